"""/privacy export and /privacy delete as a member uses them."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

from tests.backend import integrity_problems, table_columns
from tests.e2e.test_encourage import deliver_notes

EPHEMERAL = 64
USER_COLUMN = re.compile(r"(^|_)(user|sender|recipient|member|author|owner)_id$")
T = "2026-11-20T10:00:00+00:00"
NOTE_FIELD = "Your note (they get it privately)"


async def personal_counts(db, user_id) -> dict[str, int]:
    """Rows carrying the member's id in every table of the live schema."""
    counts = {}
    for table, columns in (await table_columns(db)).items():
        cols = [c for c in columns if USER_COLUMN.search(c)]
        if cols:
            where = " OR ".join(f"{c} = ?" for c in cols)
            counts[table] = await db.scalar(
                f"SELECT COUNT(*) FROM {table} WHERE {where}", [user_id] * len(cols))
    return counts


async def log(world, user_id, company, **options):
    reply = await (await world.actor(user_id).slash("rejection log", company=company,
                                                    **options)).reply()
    return int(re.search(r"#(\d+)", reply.content).group(1))


async def set_up_support(world) -> None:
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()


async def log_shared(world, user_id, company, share) -> tuple[int, int]:
    """Log an entry, post it from its preview (an anonymous one once its moment came), with
    the company shown; (entry's internal id, id of the support-channel post)."""
    member = world.actor(user_id)
    res = await member.slash("rejection log", company=company, stage="onsite")
    number = int(re.search(r"#(\d+)", (await res.reply()).content).group(1))
    entry = await world.db.scalar(
        "SELECT id FROM rejections WHERE user_id = ? AND number = ?", (user_id, number))
    preview = await (await member.slash("rejection share", entry=str(number), **{"as": share},
                                        show_company=True)).reply()
    await (await member.click(preview, label="Post it")).reply()
    if share == "anonymous":
        world.clock.advance(timedelta(minutes=61))
        await world.bot.get_cog("PersonalDMs").catch_up()
    for _ in range(100):
        post = await world.db.scalar(
            "SELECT message_id FROM shares WHERE rejection_id = ?", (entry,))
        if post is not None:
            return entry, post
        await asyncio.sleep(0.02)
    raise AssertionError("the share was never posted")


def shown(message) -> str:
    return message.content + repr(message.embeds)


async def seed_extras(world, user_id, rejection_id, other_id):
    """Rows the other commands write, so delete meets every table."""
    async with world.db.transaction() as tx:
        refl = await tx.insert(
            "INSERT INTO reflections (rejection_id, user_id, struggled, created_at, updated_at)"
            " VALUES (?, ?, 'system design', ?, ?)", (rejection_id, user_id, T, T))
        await tx.insert(
            "INSERT INTO reflection_history (reflection_id, user_id, struggled, unprepared,"
            " differently, went_well, practise, written_at, replaced_at)"
            " VALUES (?, ?, 'earlier', '', '', '', '', ?, ?)", (refl, user_id, T, T))
        await tx.insert(
            "INSERT INTO feedback_requests (rejection_id, user_id, feedback_text, created_at)"
            " VALUES (?, ?, 'they wanted more depth', ?)", (rejection_id, user_id, T))
        await tx.insert(
            "INSERT INTO applications (user_id, guild_id, company, applied_on, created_at)"
            " VALUES (?, ?, 'Hooli', '2026-11-20', ?)", (user_id, world.guild_id, T))
        await tx.insert(
            "INSERT INTO pending_notices (user_id, kind, body, created_at)"
            " VALUES (?, 'reflection_prompt', '{}', ?)", (user_id, T))
        await tx.insert(
            "INSERT INTO encouragements (sender_id, recipient_id, guild_id, message, anonymous,"
            " created_at) VALUES (?, ?, ?, 'you have got this', 1, ?)",
            (user_id, other_id, world.guild_id, T))
        await tx.insert(
            "INSERT INTO encouragements (sender_id, recipient_id, guild_id, message, anonymous,"
            " created_at) VALUES (?, ?, ?, 'proud of you', 0, ?)",
            (other_id, user_id, world.guild_id, T))


async def test_export_is_a_private_json_file_with_only_their_rows(world):
    first = await log(world, world.alice, "Acme", note="the panel ran long")
    await log(world, world.alice, "Initech", stage="final")
    await log(world, world.bob, "Globex", note="bob's own note")
    await seed_extras(world, world.alice, first, world.bob)

    reply = await (await world.actor(world.alice).slash("privacy export")).reply()

    assert reply.flags & EPHEMERAL
    assert "2 rejection entries" in reply.content and "only you can see" in reply.content
    [(filename, data)] = reply.attachments
    assert filename.startswith(f"onward-export-{world.alice}-") and filename.endswith(".json")
    document = json.loads(data)
    tables = document["tables"]
    assert [r["company"] for r in tables["rejections"]] == ["Acme", "Initech"]
    assert tables["rejections"][0]["note"] == "the panel ran long"
    assert [t["subject_id"] for t in tables["timers"]] == [r["id"] for r in tables["rejections"]]
    assert tables["reflection_history"][0]["struggled"] == "earlier"
    assert tables["feedback_requests"][0]["feedback_text"] == "they wanted more depth"
    assert {n["message"] for n in tables["encouragements"]} == {"you have got this",
                                                                "proud of you"}
    counts = await personal_counts(world.db, world.alice)
    assert {t: len(rows) for t, rows in tables.items()} == counts
    assert b"Globex" not in data and b"bob's own note" not in data


async def test_export_works_in_dms_and_for_a_new_member(world):
    reply = await (await world.actor(world.carol, dm=True).slash("privacy export")).reply()
    assert "stores nothing about you" in reply.content
    [(_, data)] = reply.attachments
    assert all(rows == [] for rows in json.loads(data)["tables"].values())


async def test_delete_removes_every_row_their_posts_and_their_name_from_digests(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    first, named_post = await log_shared(world, world.alice, "Acme", "named")
    second, anonymous_post = await log_shared(world, world.alice, "Initech", "anonymous")
    bobs, bobs_post = await log_shared(world, world.bob, "Globex", "named")
    assert "alice" in shown(world.emu.messages[named_post])
    assert "Initech" in shown(world.emu.messages[anonymous_post])
    # Bob cheers Alice's post; Carol cheers Bob's.
    bob, carol = world.actor(world.bob), world.actor(world.carol)
    for who, post, words in ((bob, named_post, "bob cheers alice"),
                             (carol, bobs_post, "carol cheers bob")):
        cheer = await who.click(world.emu.messages[post], label="Send encouragement")
        await (await who.submit_modal(cheer, {NOTE_FIELD: words})).reply()
    await seed_extras(world, world.alice, first, world.bob)
    await seed_extras(world, world.bob, bobs, world.carol)
    # The week's digest thanks both by name.
    await (await world.actor(world.admin).slash("support nudge-now", kind="digest")).reply()
    digest = [m for m in world.emu.channel_messages(world.support_id)
              if "Thank you for showing up openly" in shown(m)][-1]
    assert f"<@{world.alice}>" in shown(digest) and f"<@{world.bob}>" in shown(digest)
    await log(world, world.alice, "Umbrella")
    bob_before = await personal_counts(world.db, world.bob)

    ask = await (await alice.slash("privacy delete")).reply()
    assert ask.flags & EPHEMERAL
    assert "3 rejection entries" in ask.content and "can't be undone" in ask.content
    assert "deleted from the support channels" in ask.content
    assert [b["label"] for b in ask.buttons] == ["Delete everything", "Keep my data"]

    done = await (await alice.click(ask, label="Delete everything")).reply()

    assert done.content.startswith("Done. Deleted 3 rejection entries")
    assert "2 of your 2 shared posts were deleted from the support channels" in done.content
    assert "Your name was taken out of 1 of 1 past digests" in done.content
    assert done.buttons == []
    assert all(n == 0 for n in (await personal_counts(world.db, world.alice)).values())
    bob_after = await personal_counts(world.db, world.bob)
    # Bob keeps everything except the notes between him and Alice (two seeded, one cheer).
    assert bob_after == {**bob_before, "encouragements": bob_before["encouragements"] - 3}
    assert [r[0] for r in await world.db.fetchall(
        "SELECT message FROM encouragements WHERE ? IN (sender_id, recipient_id) ORDER BY id",
        (world.bob,))] == ["carol cheers bob", "you have got this", "proud of you"]
    # No channel message shows her name or her shared entries any more.
    assert world.emu.messages[named_post].deleted
    assert world.emu.messages[anonymous_post].deleted
    for message in world.emu.channel_messages(world.support_id):
        text = shown(message)
        assert "alice" not in text and str(world.alice) not in text, text
        assert "Acme" not in text and "Initech" not in text, text
    assert f"<@{world.bob}>" in shown(world.emu.messages[digest.id])
    assert "bob" in shown(world.emu.messages[bobs_post])
    assert world.emu.messages[bobs_post].edits == []
    assert await integrity_problems(world.db) == []

    listing = await (await alice.slash("rejection list")).reply()
    assert "No entries yet" in listing.content


async def test_old_buttons_after_delete_say_so_and_write_nothing(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    await (await alice.slash("settings", reflection_delay_hours=0)).reply()
    prompt = world.emu.wait_for_message(dm_user_id=world.alice)
    res = await alice.slash("rejection log", company="Acme", stage="onsite", share="anonymous")
    logged = await res.reply()
    preview = await res.wait_followup(1)
    await world.bot.engine.catch_up()
    prompt_dm = await prompt
    assert "Pause DM prompts" in [b["label"] for b in prompt_dm.buttons]
    _, posted = await log_shared(world, world.alice, "Initech", "named")
    post = world.emu.messages[posted]
    # A note to her, with its Report, and a DM prompt's pause.
    dm = world.emu.wait_for_message(dm_user_id=world.alice)
    await (await world.actor(world.bob).slash("encourage", member=world.alice,
                                              message="you've got this", anonymous=True)).reply()
    await deliver_notes(world)
    note_dm = await dm
    ask = await (await alice.slash("privacy delete")).reply()
    await (await alice.click(ask, label="Delete everything")).reply()
    assert all(n == 0 for n in (await personal_counts(world.db, world.alice)).values())
    before = {t: n for t, n in (await personal_counts(world.db, world.bob)).items()}

    dm_alice = world.actor(world.alice, dm=True)
    presses = [
        (alice, logged, "Share with the group"),
        (alice, preview, "Post it"),
        (alice, preview, "Cancel"),
        (dm_alice, note_dm, "Report"),
        (dm_alice, note_dm, "Pause notes by DM"),
        (dm_alice, prompt_dm, "Pause DM prompts"),
    ]
    for actor, message, label in presses:
        answer = await (await actor.click(message, label=label)).reply()
        assert answer.flags & EPHEMERAL, label
        assert answer.content == "That was deleted.", (label, answer.content)
    assert post.deleted
    # Reflect now and the prompt's other buttons refuse too, writing nothing about her.
    for actor, message, label in ((alice, logged, "Reflect now"),
                                  (dm_alice, prompt_dm, "Reflect now"),
                                  (dm_alice, prompt_dm, "Remind me tomorrow"),
                                  (dm_alice, prompt_dm, "Not this one")):
        answer = await (await actor.click(message, label=label)).reply()
        assert answer.flags & EPHEMERAL, label
    await asyncio.sleep(0.2)
    assert all(n == 0 for n in (await personal_counts(world.db, world.alice)).values())
    assert await personal_counts(world.db, world.bob) == before
    assert [m for m in world.emu.channel_messages(world.support_id)
            if "Shared with the group" in shown(m)] == []


async def test_a_failed_post_delete_does_not_stop_the_delete(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    await log_shared(world, world.alice, "Acme", "named")
    world.emu.fail_next("DELETE", r"/channels/\d+/messages/\d+$", 403)

    ask = await (await alice.slash("privacy delete")).reply()
    done = await (await alice.click(ask, label="Delete everything")).reply()

    assert "0 of your 1 shared posts were deleted" in done.content
    assert "a server admin can remove them" in done.content
    assert all(n == 0 for n in (await personal_counts(world.db, world.alice)).values())
    # The post Discord kept: its buttons know the share is gone and write nothing.
    [post] = [m for m in world.emu.channel_messages(world.support_id)
              if "Shared with the group" in shown(m)]
    bob = world.actor(world.bob)
    for label in ("Send encouragement", "Send anonymously"):
        late = await (await bob.click(post, label=label)).reply()
        assert late.flags & EPHEMERAL and late.content == "That was deleted."
    assert await world.db.scalar("SELECT COUNT(*) FROM encouragements") == 0


async def test_keep_my_data_deletes_nothing(world):
    alice = world.actor(world.alice)
    await log(world, world.alice, "Acme")
    before = await personal_counts(world.db, world.alice)
    ask = await (await alice.slash("privacy delete")).reply()
    kept = await (await alice.click(ask, label="Keep my data")).reply()
    assert kept.content == "Nothing was deleted." and kept.buttons == []
    assert await personal_counts(world.db, world.alice) == before


async def test_an_expired_button_says_so_and_deletes_nothing(world):
    alice = world.actor(world.alice)
    await log(world, world.alice, "Acme")
    before = await personal_counts(world.db, world.alice)
    ask = await (await alice.slash("privacy delete")).reply()
    world.clock.advance(timedelta(seconds=61))

    late = await (await alice.click(ask, label="Delete everything")).reply()

    assert "expired" in late.content and "nothing was deleted" in late.content
    assert late.buttons == []
    assert await personal_counts(world.db, world.alice) == before


async def test_the_confirmation_tidies_itself_when_time_is_up(world):
    alice = world.actor(world.alice)
    await log(world, world.alice, "Acme")
    world.bot.get_cog("Privacy").confirm_seconds = 0.3
    ask = await (await alice.slash("privacy delete")).reply()
    assert "works for 0.3 seconds" in ask.content
    for _ in range(50):
        if ask.edits:
            break
        await asyncio.sleep(0.05)
    assert "expired" in ask.content and ask.buttons == []
    assert (await personal_counts(world.db, world.alice))["rejections"] == 1


async def test_nothing_to_delete_shows_no_button(world):
    reply = await (await world.actor(world.carol).slash("privacy delete")).reply()
    assert reply.flags & EPHEMERAL
    assert "nothing to delete" in reply.content and reply.buttons == []


async def test_delete_survives_a_restart_between_asking_and_confirming(world):
    alice = world.actor(world.alice)
    await log(world, world.alice, "Acme")
    ask = await (await alice.slash("privacy delete")).reply()
    await world.restart()
    done = await (await alice.click(ask, label="Delete everything")).reply()
    assert done.content.startswith("Done. Deleted 1 rejection entry")
    assert (await personal_counts(world.db, world.alice))["rejections"] == 0
