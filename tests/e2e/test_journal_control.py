"""A member controls their rejection journal: their own numbers, /rejection edit and delete,
Undo, duplicates and dates in words (PRODUCT.md, decisions of the second round)."""

from __future__ import annotations

import re
from datetime import timedelta

from bot import custom_ids
from bot.formatting import inert
from bot.services.dates import in_words, local_today
from tests.backend import all_rows

EPHEMERAL = 64


def today_words(world) -> str:
    return in_words(local_today(world.clock.now(), "UTC"))


async def log(actor, company, **options):
    return await (await actor.slash("rejection log", company=company, **options)).reply()


async def count(world, table: str = "rejections") -> int:
    return await world.db.scalar(f"SELECT COUNT(*) FROM {table}")


async def internal_id(world, user_id: int, number: int) -> int:
    return await world.db.scalar(
        "SELECT id FROM rejections WHERE user_id = ? AND number = ?", (user_id, number))


def enabled(message) -> list[str]:
    return [b["label"] for b in message.buttons if not b["disabled"]]


def text_of(message) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


def shared_posts(world, include_deleted: bool = False):
    return [m for m in world.emu.channel_messages(world.support_id,
                                                  include_deleted=include_deleted)
            if "Shared with the group" in text_of(m)]


async def set_up_support(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()


async def run_due_timers(world, delta):
    world.clock.advance(delta)
    await world.bot.get_cog("PersonalDMs").catch_up()


async def everything(world) -> dict[str, list[tuple]]:
    return await all_rows(world.db, leave_out=("meta",))


# Numbers are per member ------------------------------------------------------------------------

async def test_a_members_first_entry_is_number_one_while_another_member_has_five(world):
    bob = world.actor(world.bob)
    for n in range(5):
        reply = await log(bob, f"Bob Co {n}")
    assert reply.content.startswith("Logged **#5**: Bob Co 4")
    alice = world.actor(world.alice)
    first = await log(alice, "Acme", role="Backend", stage="onsite", date="2025-11-20")
    assert first.flags & EPHEMERAL
    assert first.content.startswith("Logged **#1**: Acme · Backend · onsite · Thu 20 Nov 2025.")
    second = await log(alice, "Globex")
    assert second.content.startswith(f"Logged **#2**: Globex · {today_words(world)}.")
    listed = await (await alice.slash("rejection list")).reply()
    assert listed.content == (f"Your entries, newest first:\n**#2** Globex · {today_words(world)}"
                              "\n**#1** Acme · Backend · onsite · Thu 20 Nov 2025")
    # Autocomplete offers her own numbers; what she types by hand means her number too.
    for command in ("rejection edit", "rejection delete", "rejection share", "reflect"):
        option = "rejection" if command == "reflect" else "entry"
        choices = await alice.autocomplete(command, option, "")
        assert [c["value"] for c in choices] == ["2", "1"], command
        assert choices[1]["name"] == "#1 Acme · Backend · onsite · Thu 20 Nov 2025"
    assert [c["value"] for c in await alice.autocomplete("reflect", "rejection", "#1")] == ["1"]
    opened = await alice.slash("reflect", rejection="#1")
    assert (await opened.modal())["title"] == "Reflect on #1 Acme"
    draft = await (await alice.slash("feedback draft", rejection="2")).reply()
    assert "feedback request for **#2** Globex" in draft.content


async def test_unknown_and_other_members_numbers_are_refused_the_same_way(world):
    bob = world.actor(world.bob)
    for n in range(3):
        await log(bob, f"Bob Co {n}")
    alice = world.actor(world.alice)
    await log(alice, "Acme")
    before = await everything(world)
    for command, options in [
        ("rejection edit", {"entry": "3", "company": "X"}),
        ("rejection edit", {"entry": "#2", "company": "X"}),
        ("rejection delete", {"entry": "2"}),
        ("rejection share", {"entry": "3"}),
        ("rejection unshare", {"entry": "2"}),
        ("reflect", {"rejection": "3"}),
        ("feedback draft", {"rejection": "2"}),
        ("feedback log", {"rejection": "3"}),
    ]:
        reply = await (await alice.slash(command, **options)).reply()
        assert reply.flags & EPHEMERAL
        number = next(iter(options.values())).lstrip("#")
        assert reply.content == f"You have no entry #{number}. /rejection list shows yours.", \
            (command, reply.content)
        assert "Bob Co" not in reply.content and reply.buttons == []
    assert await everything(world) == before


# /rejection edit -------------------------------------------------------------------------------

async def test_edit_says_exactly_what_changed_and_updates_the_row(world):
    alice = world.actor(world.alice)
    await log(alice, "Acme", role="Backend", date="2025-11-02")
    edited = await (await alice.slash("rejection edit", entry="1", company="Acme Corp",
                                      stage="final", date="2025-11-03")).reply()
    assert edited.flags & EPHEMERAL
    assert edited.content == ("Updated **#1**:\nCompany: Acme -> Acme Corp\n"
                              "Stage: (none) -> final\nDate: Sun 2 Nov 2025 -> Mon 3 Nov 2025")
    row = await world.db.fetchone("SELECT company, role, stage, occurred_on, note, number"
                                  " FROM rejections")
    assert tuple(row) == ("Acme Corp", "Backend", "final", "2025-11-03", None, 1)
    same = await (await alice.slash("rejection edit", entry="#1", company="Acme Corp")).reply()
    assert same.content == "Nothing changed: #1 Acme Corp · Backend already says that."
    noted = await (await alice.slash("rejection edit", entry="1", note="<@123> said no")).reply()
    assert noted.content == f"Updated **#1**:\nNote: (none) -> {inert('<@123> said no')}"
    bad = await (await alice.slash("rejection edit", entry="1", date="tomorrow")).reply()
    assert "is in the future" in bad.content
    assert await world.db.scalar("SELECT occurred_on FROM rejections") == "2025-11-03"


async def test_edit_updates_the_shared_post_to_match(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    await log(alice, "Acme", stage="onsite")
    shown = await (await alice.slash("rejection share", entry="1", **{"as": "named"},
                                     show_company=True)).reply()
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    await (await alice.click(shown, label="Post it")).reply()
    post = await posted
    assert "**alice** got a no from **Acme** after an onsite interview." in text_of(post)
    edited = await (await alice.slash("rejection edit", entry="1", company="Acme Corp",
                                      stage="final")).reply()
    assert "Its post in the group is updated to match." in edited.content
    [post] = shared_posts(world)
    assert "**alice** got a no from **Acme Corp** after a final-round interview." \
        in text_of(post)
    assert [b["label"] for b in post.buttons] == ["Send encouragement", "Send anonymously"]
    # Only what the post shows changes it: a new note leaves it as it is.
    edits = len(post.edits)
    await (await alice.slash("rejection edit", entry="1", note="private thought")).reply()
    assert len(world.emu.messages[post.id].edits) == edits
    assert "private thought" not in text_of(world.emu.messages[post.id])


async def test_edit_of_an_anonymous_post_keeps_the_company_hidden_and_a_waiting_one_shows_the_new_details(  # noqa: E501
        world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    await log(alice, "Acme", stage="onsite")
    await log(alice, "Initech", stage="phone-screen")
    for number in ("1", "2"):
        shown = await (await alice.slash("rejection share", entry=number)).reply()
        await (await alice.click(shown, label="Post it")).reply()
    await run_due_timers(world, timedelta(minutes=61))
    [first, _] = sorted(shared_posts(world), key=lambda m: "onsite" not in text_of(m))
    edited = await (await alice.slash("rejection edit", entry="1", company="Acme Corp",
                                      stage="final")).reply()
    assert "Its post in the group is updated to match." in edited.content
    text = text_of(world.emu.messages[first.id])
    assert "Someone in the group got a no after a final-round interview." in text
    assert "Acme" not in text
    # Shared, not yet posted: the post goes up with the entry as it is then.
    await log(alice, "Umbrella", stage="technical")
    shown = await (await alice.slash("rejection share", entry="3")).reply()
    await (await alice.click(shown, label="Post it")).reply()
    waiting = await (await alice.slash("rejection edit", entry="3", stage="take-home")).reply()
    assert "Its anonymous post isn't up yet; it will show the new details." in waiting.content
    await run_due_timers(world, timedelta(minutes=61))
    texts = [text_of(m) for m in shared_posts(world)]
    assert any("after a take-home assignment" in t for t in texts)
    assert not any("technical" in t for t in texts)


# /rejection delete -----------------------------------------------------------------------------

async def test_delete_removes_the_entry_its_reflection_feedback_timers_and_post(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    logged = await log(alice, "Acme", stage="onsite")
    await log(alice, "Globex")                                  # stays
    rid = await internal_id(world, world.alice, 1)
    opened = await alice.click(logged, label="Reflect now")
    await (await alice.submit_modal(opened, {"struggled": "system design"})).reply()
    opened = await alice.slash("reflect", rejection="1")
    await (await alice.submit_modal(opened, {"struggled": "system design, again"})).reply()
    draft = await (await alice.click(logged, label="Draft feedback request")).reply()
    await (await alice.click(draft, label="I sent it")).reply()
    opened = await alice.slash("feedback log", rejection="1")
    await (await alice.submit_modal(opened, {"feedback": "more depth on caching"})).reply()
    shown = await (await alice.slash("rejection share", entry="1", **{"as": "named"})).reply()
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    await (await alice.click(shown, label="Post it")).reply()
    post = await posted
    assert await world.db.scalar("SELECT COUNT(*) FROM reflection_history") == 1
    assert await world.db.scalar("SELECT COUNT(*) FROM timers WHERE subject_id = ?",
                                 (rid,)) == 2       # its reflection prompt and feedback follow-up

    ask = await (await alice.slash("rejection delete", entry="1")).reply()
    assert ask.flags & EPHEMERAL
    assert ask.content.startswith("Delete **#1** Acme · onsite · ")
    assert enabled(ask) == ["Delete it", "Keep it"]
    assert await count(world) == 2
    ask_again = await (await alice.slash("rejection delete", entry="1")).reply()
    done = await (await alice.click(ask, label="Delete it")).reply()
    assert done.content == ("Deleted #1 Acme, with its reflection, feedback, reminders and any "
                            "group post.")
    assert enabled(done) == []
    assert world.emu.messages[post.id].deleted
    assert shared_posts(world) == []
    for table, column in [("rejections", "id"), ("reflections", "rejection_id"),
                          ("feedback_requests", "rejection_id"), ("shares", "rejection_id"),
                          ("timers", "subject_id")]:
        assert await world.db.scalar(
            f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (rid,)) == 0, table
    assert await world.db.scalar("SELECT COUNT(*) FROM reflection_history") == 0
    assert await world.db.scalar("SELECT company FROM rejections") == "Globex"
    # The confirmation clicked again elsewhere says it is already done.
    later = await (await alice.click(ask_again, label="Delete it")).reply()
    assert later.flags & EPHEMERAL
    assert later.content == "Already done: that entry is deleted."

    # Every old button about it answers "That was deleted." and writes nothing.
    before = await everything(world)
    for message, label in [(logged, "Reflect now"), (logged, "Draft feedback request"),
                           (logged, "Share with the group"), (logged, "Undo"),
                           (ask_again, "Keep it")]:
        reply = await (await alice.click(message, label=label)).reply()
        assert reply.flags & EPHEMERAL
        assert reply.content == "That was deleted.", label
    dm_buttons = [custom_ids.feedback_sent(rid), custom_ids.feedback_log(rid),
                  custom_ids.feedback_stop(rid),
                  custom_ids.prompt_later(rid), custom_ids.prompt_skip(rid),
                  custom_ids.share_post(rid, named=True, show_company=False)]
    planted = await world.bot.get_channel(world.general_id).send("old buttons")
    view_message = world.emu.messages[planted.id]
    view_message.components = [{"type": 1, "components": [
        {"type": 2, "style": 2, "label": str(n), "custom_id": cid}
        for n, cid in enumerate(dm_buttons) if n // 3 == row]} for row in (0, 1)]
    for n, _ in enumerate(dm_buttons):
        reply = await (await alice.click(view_message, label=str(n))).reply()
        assert reply.content == "That was deleted.", dm_buttons[n]
    assert await everything(world) == before
    assert shared_posts(world) == []


async def test_keep_it_keeps_the_entry(world):
    alice = world.actor(world.alice)
    await log(alice, "Acme")
    ask = await (await alice.slash("rejection delete", entry="1")).reply()
    kept = await (await alice.click(ask, label="Keep it")).reply()
    assert kept.content == "Kept: **#1** Acme stays in your journal."
    assert enabled(kept) == []
    assert await count(world) == 1


# Undo, duplicates and dates --------------------------------------------------------------------

async def test_undo_within_15_minutes_removes_the_entry_and_its_timer_and_not_after(world):
    alice = world.actor(world.alice)
    logged = await log(alice, "Acme")
    assert "Undo works for 15 minutes." in logged.content
    assert await count(world, "timers") == 1
    world.clock.advance(timedelta(minutes=14))
    undone = await (await alice.click(logged, label="Undo")).reply()
    assert undone.content == "Undone: #1 Acme is no longer in your journal."
    assert enabled(undone) == []
    assert await count(world) == 0 and await count(world, "timers") == 0
    # The number is free again.
    late = await log(alice, "Initech")
    assert late.content.startswith("Logged **#1**: Initech")
    world.clock.advance(timedelta(minutes=16))
    answer = await (await alice.click(late, label="Undo")).reply()
    assert answer.flags & EPHEMERAL
    assert answer.content == ("The time for undo has passed (15 minutes). /rejection delete "
                              "removes #1 if you still want it gone.")
    assert await count(world) == 1 and await count(world, "timers") == 1


async def test_logging_the_same_rejection_again_names_the_earlier_number(world):
    alice = world.actor(world.alice)
    await log(alice, "Globex")
    await log(alice, "Acme", role="Backend", date="2026-06-10")
    again = await log(alice, " acme ", role="BACKEND", date="2026-06-10", share="anonymous")
    assert again.flags & EPHEMERAL
    assert again.content == ("You already logged Acme · Backend on Wed 10 Jun 2026: that's "
                             "**#2**. I haven't stored it again. If this is another rejection, "
                             "press **Log it anyway**.")
    assert enabled(again) == ["Log it anyway"]
    assert await count(world) == 2 and await count(world, "timers") == 2
    # Another role or another date is no duplicate.
    assert "**#3**" in (await log(alice, "Acme", role="Frontend", date="2026-06-10")).content
    assert "**#4**" in (await log(alice, "Acme", role="Backend", date="2026-06-09")).content
    anyway = await (await alice.click(again, label="Log it anyway")).reply()
    assert anyway.content.startswith("Logged **#5**: acme · BACKEND · Wed 10 Jun 2026.")
    # The warning became the logged reply: its buttons are the entry's, with Undo.
    assert enabled(anyway) == ["Reflect now", "Draft feedback request", "Share with the group",
                               "Undo"]
    assert await count(world) == 5


async def test_dates_follow_the_locale_and_refuse_the_future_and_the_far_past(world):
    uk = world.emu.actor(world.alice, world.guild_id, locale="en-GB")
    us = world.emu.actor(world.bob, world.guild_id, locale="en-US")
    assert "Acme · Tue 2 Dec 2025." in (await log(uk, "Acme", date="2/12/2025")).content
    assert "Acme · Tue 2 Dec 2025." in (await log(us, "Acme", date="12/2/2025")).content
    stored = await count(world)
    for typed, words in [
        ("-3 days ago", "is not a day in the past"),
        ("in 2 days", "is not a day in the past"),
        ("tomorrow", "is in the future"),
        ("1990-01-01", "dates can go back 20 years at most"),
        ("31/31/2025", "not a real date"),
    ]:
        reply = await log(uk, "Initech", date=typed)
        assert reply.flags & EPHEMERAL
        assert words in reply.content, (typed, reply.content)
    assert await count(world) == stored


async def test_list_sorts_by_the_rejections_date_newest_first(world):
    alice = world.actor(world.alice)
    await log(alice, "Old", date="2026-01-10")
    await log(alice, "Newest", date="2026-06-01")
    await log(alice, "Middle", date="2026-05-05")
    await log(alice, "Same day, logged later", date="2026-05-05")
    listed = await (await alice.slash("rejection list")).reply()
    lines = listed.content.splitlines()[1:]
    assert [re.match(r"\*\*#(\d+)\*\* ", line).group(1) for line in lines] == \
        ["2", "4", "3", "1"]
    assert lines[0] == "**#2** Newest · Mon 1 Jun 2026"
