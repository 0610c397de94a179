"""Sharing a rejection with the group and sending encouragement, as members do it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot.services.outbox import NOTE_GATHER

EPHEMERAL = 64
PAUSE = "Pause notes by DM"
# The sender's reply, the same whatever the recipient's settings or DMs.
SENT_REPLY = "Sent. Thank you for taking a moment for them."


async def set_up_support(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()


def support_posts(world):
    return world.emu.channel_messages(world.support_id)


def labels(message) -> list[str]:
    return [b["label"] for b in message.buttons]


async def eventually(check, timeout=3.0):
    """Wait until an async check holds: a message is seen a moment before it is recorded."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def delivered_at(world, encouragement_id):
    return await world.db.scalar(
        "SELECT delivered_at FROM encouragements WHERE id = ?", (encouragement_id,))


async def delivered(world, encouragement_id) -> bool:
    return await delivered_at(world, encouragement_id) is not None


async def deliver_notes(world, after=NOTE_GATHER + timedelta(seconds=1)):
    """Move the bot's clock past the moment notes gather, and run what is due."""
    world.clock.advance(after)
    await world.bot.engine.catch_up()


def text_of(message) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


async def log_shared(world, user_id, share, **options):
    """/rejection log with share:…: the reply, then the private preview that follows it."""
    member = world.actor(user_id)
    res = await member.slash("rejection log", company="Acme", stage="onsite",
                             note="the interviewer was dismissive", share=share, **options)
    reply = await res.reply()
    assert "nothing is posted before you press **Post it**" in reply.content
    return res, await res.wait_followup(1)


async def run_due_timers(world, delta):
    """Move the bot's clock and let the timer dispatcher do what is due by then."""
    world.clock.advance(delta)
    await world.bot.get_cog("PersonalDMs").catch_up()


async def post_shared(world, user_id, share, **options):
    """Log a shared entry, press Post it on its preview and (anonymous) let its moment come:
    the post in the support channel."""
    _, preview = await log_shared(world, user_id, share, **options)
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    await (await world.actor(user_id).click(preview, label="Post it")).reply()
    if share == "anonymous":
        await run_due_timers(world, timedelta(minutes=61))
    else:
        await eventually(lambda: _says_posted(preview))
    return await posted


async def _says_posted(preview) -> bool:
    return preview.content.startswith("Posted")     # the share is recorded by then


async def test_share_anonymous_previews_then_posts_later_without_name_company_or_note(world):
    await set_up_support(world)
    _, preview = await log_shared(world, world.alice, "anonymous")
    assert preview.flags & EPHEMERAL
    assert "exactly what the group will see" in preview.content
    assert text_of(preview).count("Someone in the group got a no after an onsite interview.") == 1
    assert "Acme" not in text_of(preview)
    assert labels(preview) == ["Post it", "Cancel"]
    assert support_posts(world) == []                    # nothing before Post it
    done = await (await world.actor(world.alice).click(preview, label="Post it")).reply()
    assert done.content.startswith("Scheduled: **#1** goes up anonymously")
    assert "<t:" in done.content
    assert [b["disabled"] for b in done.buttons] == [True, True]
    assert support_posts(world) == []                    # not at the moment of the click
    await run_due_timers(world, timedelta(minutes=61))
    [post] = support_posts(world)
    shown = text_of(post)
    assert "Someone in the group got a no after an onsite interview." in shown
    assert "Acme" not in shown
    assert "alice" not in shown and str(world.alice) not in shown
    assert "dismissive" not in shown
    assert [b["label"] for b in post.buttons] == ["Send encouragement", "Send anonymously"]
    assert post.allowed_mentions == {"parse": []}
    row = await world.db.fetchone(
        "SELECT user_id, guild_id, named, show_company, status, message_id FROM shares")
    assert tuple(row) == (world.alice, world.guild_id, 0, 0, "posted", post.id)


async def test_share_named_posts_at_once_with_the_authors_name(world):
    await set_up_support(world)
    post = await post_shared(world, world.alice, "named")
    assert "**alice** got a no after an onsite interview." in text_of(post)
    assert "Acme" not in text_of(post)
    assert "dismissive" not in text_of(post)
    assert post.mentioned_user_ids == []


async def test_private_entries_never_reach_a_channel(world):
    await set_up_support(world)
    res = await world.actor(world.alice).slash("rejection log", company="Acme", note="secret")
    await res.reply()
    await (await world.actor(world.admin).slash("support nudge-now", kind="digest")).reply()
    assert res.followups == []
    posts = support_posts(world)
    assert len(posts) == 1 and "Acme" not in text_of(posts[0])
    assert "secret" not in text_of(posts[0])


async def test_share_button_opens_the_anonymous_preview_and_shares_only_once(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    logged = await (await alice.slash("rejection log", company="Globex",
                                      stage="technical")).reply()
    preview = await (await alice.click(logged, label="Share with the group")).reply()
    assert preview.flags & EPHEMERAL
    assert "anonymously" in preview.content
    assert "Someone in the group got a no after a technical interview." in text_of(preview)
    assert "Globex" not in text_of(preview)
    second = await (await alice.click(logged, label="Share with the group")).reply()
    await (await alice.click(preview, label="Post it")).reply()
    # The other preview's Post it, pressed later, says it is already done.
    again = await (await alice.click(second, label="Post it")).reply()
    assert again.flags & EPHEMERAL
    assert again.content.startswith("Already done")
    assert await world.db.scalar("SELECT COUNT(*) FROM shares") == 1
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'share_post'") == 1
    refused = await (await alice.click(logged, label="Share with the group")).reply()
    assert refused.content.startswith("Already done")


async def test_share_button_after_a_named_share_says_it_is_already_done(world):
    await set_up_support(world)
    res, preview = await log_shared(world, world.bob, "named")
    await (await world.actor(world.bob).click(preview, label="Post it")).reply()
    again = await (await world.actor(world.bob).click(await res.reply(),
                                                      label="Share with the group")).reply()
    assert again.content.startswith("Already done")
    assert "**bob** got a no" in text_of(support_posts(world)[0])


async def test_sharing_before_a_support_channel_exists_says_so(world):
    alice = world.actor(world.alice)
    res = await alice.slash("rejection log", company="Acme", share="anonymous")
    note = await res.wait_followup(1)
    assert note.flags & EPHEMERAL
    assert "no support channel yet" in note.content
    button = await (await alice.click(await res.reply(), label="Share with the group")).reply()
    assert "no support channel yet" in button.content
    assert await world.db.scalar("SELECT COUNT(*) FROM shares") == 0


async def test_send_encouragement_button_opens_a_modal_and_dms_the_author(world):
    await set_up_support(world)
    post = await post_shared(world, world.alice, "anonymous")
    bob = world.actor(world.bob)
    opened = await bob.click(post, label="Send encouragement")
    modal = await opened.modal()
    assert modal["title"] == "Send a note of encouragement"
    done = await (await bob.submit_modal(opened, {"Your note (they get it privately)":
                                                  "Been there. You'll land somewhere great."})
                  ).reply()
    assert done.flags & EPHEMERAL
    assert done.content == SENT_REPLY            # the sender doesn't learn who shared
    await deliver_notes(world)
    [received] = world.emu.dm_messages(world.alice)
    entry_id = await world.db.scalar("SELECT id FROM rejections")
    # It names the entry it answers, to her alone.
    assert received.content.startswith(
        f"**bob** in Job Hunt Circle sent you a note of encouragement about **#{entry_id} Acme**,"
        " which you shared:")
    assert "> Been there. You'll land somewhere great." in received.content
    assert labels(received) == [PAUSE]
    row = await world.db.fetchone(
        "SELECT sender_id, recipient_id, anonymous, delivered_at, share_id FROM encouragements")
    assert (row["sender_id"], row["recipient_id"], row["anonymous"]) == (world.bob, world.alice, 0)
    assert row["delivered_at"] is not None and row["share_id"] is not None


async def test_send_anonymously_hides_the_sender(world):
    await set_up_support(world)
    post = await post_shared(world, world.alice, "named")
    carol = world.actor(world.carol)
    opened = await carol.click(post, label="Send anonymously")
    await (await carol.submit_modal(opened, {"Your note (they get it privately)":
                                             "Proud of you for sharing."})).reply()
    await deliver_notes(world)
    [received] = world.emu.dm_messages(world.alice)
    assert received.content.startswith("Someone in Job Hunt Circle sent you a note")
    assert "carol" not in received.content
    assert await world.db.scalar("SELECT anonymous FROM encouragements") == 1


async def test_the_author_cannot_encourage_their_own_post(world):
    await set_up_support(world)
    post = await post_shared(world, world.alice, "anonymous")
    refused = await (await world.actor(world.alice).click(post,
                                                          label="Send encouragement")).reply()
    assert refused.flags & EPHEMERAL
    assert "your own post" in refused.content


async def test_encourage_command_dms_the_member(world):
    bob = world.actor(world.bob)
    reply = await (await bob.slash("encourage", member=world.alice,
                                   message="@everyone you've got this")).reply()
    assert reply.flags & EPHEMERAL
    assert reply.content == SENT_REPLY
    await deliver_notes(world)
    [received] = world.emu.dm_messages(world.alice)
    assert "**bob** in Job Hunt Circle" in received.content
    assert labels(received) == [PAUSE]
    assert received.mentioned_user_ids == []
    assert received.allowed_mentions == {"parse": []}
    # A second note within 3 hours waits for the next DM of notes.
    await (await bob.slash("encourage", member=world.alice, message="keep going",
                           anonymous=True)).reply()
    await deliver_notes(world)
    assert len(world.emu.dm_messages(world.alice)) == 1
    await deliver_notes(world, timedelta(hours=3))
    assert world.emu.dm_messages(world.alice)[-1].content.startswith("Someone in Job Hunt Circle")


async def test_encourage_refuses_yourself_and_bots(world):
    alice = world.actor(world.alice)
    myself = await (await alice.slash("encourage", member=world.alice, message="hi")).reply()
    assert "That's you" in myself.content
    bot = await (await alice.slash("encourage", member=world.emu.bot_user_id,
                                   message="hi")).reply()
    assert "Bots can't read encouragement" in bot.content
    assert await world.db.scalar("SELECT COUNT(*) FROM encouragements") == 0


async def test_encourage_with_dms_closed_waits_privately_and_posts_nothing_in_any_channel(world):
    await set_up_support(world)
    world.emu.set_dms_closed(world.alice, True)
    bob = world.actor(world.bob)
    reply = await (await bob.slash("encourage", member=world.alice,
                                   message="the right team is out there")).reply()
    assert reply.content == SENT_REPLY           # nothing says her DMs are closed
    await deliver_notes(world)
    assert world.emu.dm_messages(world.alice) == []
    row = await world.db.fetchone("SELECT id, delivered_at FROM encouragements")
    assert row["delivered_at"] is None
    notice = await world.db.fetchone(
        "SELECT user_id, kind, subject_id, body FROM pending_notices")
    assert (notice["user_id"], notice["kind"], notice["subject_id"]) == (
        world.alice, "encouragement", row["id"])
    assert "the right team is out there" in json.loads(notice["body"])["content"]
    # Nothing was posted in any channel: not the note, not a mention of her.
    assert support_posts(world) == []
    assert world.emu.channel_messages(world.general_id) == []
    # At Alice's next command the note is shown to her, privately.
    next_command = await world.actor(world.alice).slash("apply goal", per_week=2)
    shown = await next_command.wait_followup(1)
    assert shown.flags & EPHEMERAL
    assert "**bob** in Job Hunt Circle sent you a note" in shown.content
    assert "> the right team is out there" in shown.content


async def test_closed_dms_on_an_anonymous_share_never_unmask_the_author(world):
    await set_up_support(world)
    post = await post_shared(world, world.alice, "anonymous")
    world.emu.set_dms_closed(world.alice, True)
    bob = world.actor(world.bob)
    opened = await bob.click(post, label="Send encouragement")
    done = await (await bob.submit_modal(opened, {"Your note (they get it privately)":
                                                  "hugs"})).reply()
    assert done.content == SENT_REPLY
    await deliver_notes(world)
    assert len(support_posts(world)) == 1            # no mention of the anonymous author
    assert await world.db.scalar("SELECT COUNT(*) FROM pending_notices") == 1


async def test_sharing_from_a_dm_says_it_happens_in_a_server(world):
    await set_up_support(world)
    alice = world.actor(world.alice, dm=True)
    res = await alice.slash("rejection log", company="Acme", share="named")
    note = await res.wait_followup(1)
    assert "Sharing happens in a server" in note.content
    assert support_posts(world) == []


async def test_a_waiting_note_shown_at_the_next_command_is_delivered_and_shown_once(world):
    world.emu.set_dms_closed(world.alice, True)
    bob = world.actor(world.bob)
    await (await bob.slash("encourage", member=world.alice, message="proud of you")).reply()
    await deliver_notes(world)
    note_id = await world.db.scalar("SELECT id FROM encouragements")
    assert await delivered_at(world, note_id) is None           # waiting
    alice = world.actor(world.alice)
    first = await alice.slash("rejection list")
    await first.reply()
    shown = await first.wait_followup(1)
    assert shown.flags & EPHEMERAL
    assert shown.content.startswith("I couldn't reach you by DM")
    assert "> proud of you" in shown.content
    await eventually(lambda: delivered(world, note_id))
    notice = await world.db.fetchone("SELECT shown_at FROM pending_notices")
    assert notice["shown_at"] == await delivered_at(world, note_id)   # one transaction
    again = await alice.slash("apply goal", per_week=3)
    await again.reply()
    await asyncio.sleep(0.3)
    assert again.followups == []
    assert world.emu.dm_messages(world.alice) == []


async def test_pause_notes_by_dm_holds_them_for_the_next_command_until_turned_back_on(world):
    await set_up_support(world)
    bob = world.actor(world.bob)
    await (await bob.slash("encourage", member=world.alice, message="you've got this")).reply()
    await deliver_notes(world)
    [dm] = world.emu.dm_messages(world.alice)
    assert labels(dm) == [PAUSE]
    # The button outlives a restart: its id names what it does.
    await world.restart()
    paused = await (await world.actor(world.alice, dm=True).click(dm, label=PAUSE)).reply()
    assert paused.flags & EPHEMERAL
    assert paused.content.startswith("Paused")
    assert "/settings encouragement_dms:True" in paused.content
    assert await world.db.scalar(
        "SELECT encouragement_dms FROM member_settings WHERE user_id = ?", (world.alice,)) == 0
    # The next note is saved, not DMed, and nobody is pinged in the support channel.
    carol = world.actor(world.carol)
    sent = await (await carol.slash("encourage", member=world.alice,
                                    message="one step at a time", anonymous=True)).reply()
    assert sent.flags & EPHEMERAL
    assert sent.content == SENT_REPLY            # her pause doesn't show in his reply
    await deliver_notes(world)
    assert len(world.emu.dm_messages(world.alice)) == 1
    assert support_posts(world) == []
    note_id = await world.db.scalar("SELECT MAX(id) FROM encouragements")
    assert await delivered_at(world, note_id) is None
    # Her next command shows it, privately, and says how to get notes by DM again.
    alice = world.actor(world.alice)
    settings_shown = await alice.slash("settings")
    shown_settings = await settings_shown.reply()
    assert "Notes of encouragement by DM:** off" in shown_settings.content
    notice = await settings_shown.wait_followup(1)
    assert notice.flags & EPHEMERAL
    assert notice.content.startswith("You've paused notes by DM")
    assert "Someone in Job Hunt Circle sent you a note" in notice.content
    assert "> one step at a time" in notice.content
    assert "/settings encouragement_dms:True" in notice.content
    assert labels(notice) == ["Report"]          # an anonymous note can always be reported
    await eventually(lambda: delivered(world, note_id))
    # Turned back on: the next note comes by DM again, with its pause.
    back = await (await alice.slash("settings", encouragement_dms=True)).reply()
    assert back.content.startswith("Saved.")
    assert "Notes of encouragement by DM:** on" in back.content
    assert await world.db.scalar(
        "SELECT encouragement_dms FROM member_settings WHERE user_id = ?", (world.alice,)) == 1
    again = await (await bob.slash("encourage", member=world.alice, message="welcome back")).reply()
    assert again.content == SENT_REPLY
    await deliver_notes(world, timedelta(hours=3))
    received = world.emu.dm_messages(world.alice)[-1]
    assert "> welcome back" in received.content and labels(received) == [PAUSE]
