"""Sharing with the group and notes between members, made safe (the care rules "Anonymous
means nobody can tell", "Anonymous notes can't be used to harass", "Member text never becomes
a tag"), as members and admins meet them."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from bot.clock import from_db
from cogs.encourage import SENT_REPLY
from tests.e2e.test_encourage import deliver_notes

EPHEMERAL = 64
NOTE_FIELD = "Your note (they get it privately)"
LIVE_TAGS = ("<@", "<#", "</", "@everyone", "@here")


async def set_up_support(world, **options):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id, **options)).reply()


async def log(world, user_id, company="Acme", **options) -> int:
    reply = await (await world.actor(user_id).slash(
        "rejection log", company=company, note="the interviewer was dismissive",
        role="Backend", **options)).reply()
    return int(re.search(r"#(\d+)", reply.content).group(1))


async def preview(world, user_id, entry, **options):
    return await (await world.actor(user_id).slash("rejection share", entry=str(entry),
                                                   **options)).reply()


async def run_due_timers(world, delta):
    world.clock.advance(delta)
    await world.bot.get_cog("PersonalDMs").catch_up()


def shared_posts(world):
    return [m for m in world.emu.channel_messages(world.support_id)
            if "Shared with the group" in text_of(m)]


def text_of(message) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


def labels(message):
    return [b["label"] for b in message.buttons]


# Anonymous means nobody can tell ---------------------------------------------------------------

async def test_an_anonymous_share_is_posted_once_5_to_60_minutes_later_even_across_a_restart(
        world):
    await set_up_support(world)
    entry = await log(world, world.alice, stage="onsite")
    shown = await preview(world, world.alice, entry)
    assert shown.flags & EPHEMERAL
    assert "Someone in the group got a no after an onsite interview." in text_of(shown)
    for hidden in ("Acme", "alice", "Backend", "dismissive"):
        assert hidden not in text_of(shown).split("\n", 1)[1]
    assert labels(shown) == ["Post it", "Cancel"]
    assert shared_posts(world) == []

    clicked_at = world.clock.now()
    scheduled = await (await world.actor(world.alice).click(shown, label="Post it")).reply()
    due = from_db(await world.db.scalar(
        "SELECT due_at FROM timers WHERE kind = 'share_post' AND status = 'pending'"))
    assert timedelta(minutes=5) <= due - clicked_at <= timedelta(minutes=60, seconds=1)
    assert f"<t:{int(due.timestamp())}:t>" in scheduled.content     # told when, privately
    assert [b["disabled"] for b in scheduled.buttons] == [True, True]
    assert shared_posts(world) == []

    await run_due_timers(world, timedelta(minutes=4))
    assert shared_posts(world) == []                  # not within the first 5 minutes
    await world.restart()                             # the timer row is the truth
    await run_due_timers(world, due - world.clock.now() + timedelta(seconds=1))
    await world.bot.get_cog("PersonalDMs").catch_up()
    [post] = shared_posts(world)
    text = text_of(post)
    assert "Someone in the group got a no after an onsite interview." in text
    for hidden in ("Acme", "alice", str(world.alice), "Backend", "dismissive"):
        assert hidden not in text
    assert labels(post) == ["Send encouragement", "Send anonymously"]
    assert await world.db.scalar("SELECT status FROM shares") == "posted"


async def test_show_company_shows_it_and_application_stage_never_mentions_an_interview(world):
    await set_up_support(world)
    entry = await log(world, world.bob, company="Globex", stage="application")
    shown = await preview(world, world.bob, entry, show_company=True)
    assert "Someone in the group got a no from **Globex** on an application." in text_of(shown)
    await (await world.actor(world.bob).click(shown, label="Post it")).reply()
    await run_due_timers(world, timedelta(minutes=61))
    [post] = shared_posts(world)
    assert "from **Globex** on an application." in text_of(post)
    assert "interview" not in text_of(post)
    assert "bob" not in text_of(post)


async def test_named_share_previews_then_posts_at_once_with_the_name(world):
    await set_up_support(world)
    entry = await log(world, world.bob, stage="final")
    shown = await preview(world, world.bob, entry, **{"as": "named"})
    assert "**bob** got a no after a final-round interview." in text_of(shown)
    assert shared_posts(world) == []
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    await (await world.actor(world.bob).click(shown, label="Post it")).reply()
    post = await posted
    assert "**bob** got a no after a final-round interview." in text_of(post)


async def test_cancel_posts_nothing_and_disables_the_buttons(world):
    await set_up_support(world)
    entry = await log(world, world.alice)
    shown = await preview(world, world.alice, entry)
    cancelled = await (await world.actor(world.alice).click(shown, label="Cancel")).reply()
    assert cancelled.content.startswith("Cancelled: nothing was posted.")
    assert [b["disabled"] for b in cancelled.buttons] == [True, True]
    await run_due_timers(world, timedelta(minutes=61))
    assert shared_posts(world) == []
    assert await world.db.scalar("SELECT COUNT(*) FROM shares") == 0


async def test_sharing_from_a_dm_explains_where_and_how(world):
    await set_up_support(world)
    entry = await log(world, world.alice)
    reply = await (await world.actor(world.alice, dm=True).slash(
        "rejection share", entry=str(entry))).reply()
    assert reply.content.startswith("Sharing happens in a server")
    assert "/rejection share there" in reply.content
    assert shared_posts(world) == []


async def test_unshare_takes_the_post_down_or_stops_it_and_keeps_the_entry(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    posted_entry = await log(world, world.alice, company="Acme")
    pending_entry = await log(world, world.alice, company="Initech")
    for entry in (posted_entry, pending_entry):
        await (await alice.click(await preview(world, world.alice, entry),
                                 label="Post it")).reply()
    await run_due_timers(world, timedelta(minutes=61))
    assert len(shared_posts(world)) == 2
    post = world.emu.messages[await world.db.scalar(
        "SELECT message_id FROM shares WHERE rejection_id = ?", (posted_entry,))]
    # Take one down once posted, and stop another before its moment.
    late_entry = await log(world, world.alice, company="Umbrella")
    await (await alice.click(await preview(world, world.alice, late_entry),
                             label="Post it")).reply()
    gone = await (await alice.slash("rejection unshare", entry=str(posted_entry))).reply()
    assert gone.content.startswith("Done: its post is deleted from the support channel")
    assert world.emu.messages[post.id].deleted
    stopped = await (await alice.slash("rejection unshare", entry=str(late_entry))).reply()
    assert "won't go up" in stopped.content
    await run_due_timers(world, timedelta(minutes=61))
    assert len(shared_posts(world)) == 1              # only Initech's
    assert await world.db.scalar("SELECT COUNT(*) FROM rejections") == 3
    again = await (await alice.slash("rejection unshare", entry=str(posted_entry))).reply()
    assert "isn't shared" in again.content


async def test_entry_autocomplete_offers_only_your_own_entries(world):
    await log(world, world.alice, company="Acme")
    await log(world, world.bob, company="Globex")
    for command in ("rejection share", "rejection unshare"):
        choices = await world.actor(world.alice).autocomplete(command, "entry", "")
        assert [c["name"].split(" ", 1)[1].split(" · ")[0] for c in choices] == ["Acme"]


# Anonymous notes can't be used to harass -------------------------------------------------------

async def anon(world, sender, recipient, message="thinking of you"):
    return await (await world.actor(sender).slash(
        "encourage", member=recipient, message=message, anonymous=True)).reply()


async def test_a_second_anonymous_note_of_the_day_to_one_member_is_refused(world):
    first = await anon(world, world.bob, world.alice)
    assert first.content == SENT_REPLY
    second = await anon(world, world.bob, world.alice)
    assert second.flags & EPHEMERAL
    assert "already sent this member an anonymous note in the last day" in second.content
    signed = await (await world.actor(world.bob).slash(
        "encourage", member=world.alice, message="signed")).reply()
    assert signed.content == SENT_REPLY
    assert await world.db.scalar("SELECT COUNT(*) FROM encouragements WHERE anonymous = 1") == 1


async def test_the_sixth_anonymous_note_of_the_day_from_one_sender_is_refused(world):
    members = [world.alice, world.carol, world.admin] + [
        world.emu.add_member(world.guild_id, name=f"member{i}") for i in range(3)]
    for member in members[:5]:
        assert (await anon(world, world.bob, member)).content == SENT_REPLY
    refused = await anon(world, world.bob, members[5])
    assert refused.flags & EPHEMERAL
    assert "5 anonymous notes in the last day" in refused.content
    assert await world.db.scalar("SELECT COUNT(*) FROM encouragements") == 5


async def test_a_member_who_takes_signed_notes_only_refuses_anonymous_ones(world):
    await set_up_support(world)
    off = await (await world.actor(world.alice).slash("settings", anonymous_notes=False)).reply()
    assert "**Anonymous notes** from other members: refused" in off.content
    refused = await anon(world, world.bob, world.alice)
    assert "takes signed notes only" in refused.content
    # The Send anonymously button says so before a note is typed.
    entry = await log(world, world.alice)
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    shown = await preview(world, world.alice, entry, **{"as": "named"})
    await (await world.actor(world.alice).click(shown, label="Post it")).reply()
    post = await posted
    while not shown.content.startswith("Posted"):      # recorded once the reply says so
        await asyncio.sleep(0.02)
    early = await (await world.actor(world.carol).click(post, label="Send anonymously")).reply()
    assert "takes signed notes only" in early.content
    assert await world.db.scalar("SELECT COUNT(*) FROM encouragements") == 0


async def report_flow(world):
    dm = world.emu.wait_for_message(dm_user_id=world.alice)
    await anon(world, world.bob, world.alice, message="you don't belong here")
    await deliver_notes(world)
    note = await dm
    assert note.content.startswith("Someone in Job Hunt Circle")
    assert "bob" not in note.content
    assert labels(note) == ["Pause notes by DM", "Report"]
    return await (await world.actor(world.alice, dm=True).click(note, label="Report")).reply()


async def test_report_reaches_the_reports_channel_with_the_sender_named(world):
    await set_up_support(world, reports_channel=world.general_id)
    confirmed = await report_flow(world)
    assert confirmed.flags & EPHEMERAL
    assert confirmed.content.startswith("Thank you for reporting it.")
    assert "bob" not in confirmed.content                  # the reporter isn't told who
    [report] = world.emu.channel_messages(world.general_id)
    assert f"<@{world.bob}> (bob, id {world.bob})" in report.content
    assert "> you don't belong here" in report.content
    assert report.mentioned_user_ids == [] and report.allowed_mentions == {"parse": []}


@pytest.mark.parametrize("held_because", ["dms closed", "notes by DM paused"])
async def test_an_anonymous_note_shown_privately_later_still_carries_report(world, held_because):
    await set_up_support(world, reports_channel=world.general_id)
    if held_because == "dms closed":
        world.emu.set_dms_closed(world.alice, True)
    else:
        await (await world.actor(world.alice).slash("settings", encouragement_dms=False)).reply()
    await anon(world, world.bob, world.alice, message="you don't belong here")
    await deliver_notes(world)
    assert world.emu.dm_messages(world.alice) == []
    # Her next command shows it privately, with the same Report an anonymous DM carries.
    res = await world.actor(world.alice).slash("rejection list")
    await res.reply()
    notice = await res.wait_followup(1)
    assert notice.flags & EPHEMERAL
    assert "> you don't belong here" in notice.content and "bob" not in notice.content
    assert "Report" in labels(notice)
    confirmed = await (await world.actor(world.alice).click(notice, label="Report")).reply()
    assert confirmed.content.startswith("Thank you for reporting it.")
    [report] = world.emu.channel_messages(world.general_id)
    assert f"(bob, id {world.bob})" in report.content


async def test_report_without_a_reports_channel_goes_to_the_owner_by_dm(world):
    await set_up_support(world)
    owner = world.emu.guilds[world.guild_id].owner_id
    to_owner = world.emu.wait_for_message(dm_user_id=owner)
    confirmed = await report_flow(world)
    assert confirmed.content.startswith("Thank you for reporting it.")
    await world.bot.engine.catch_up()         # the report goes through the outbox like any DM
    report = await to_owner
    assert f"(bob, id {world.bob})" in report.content
    assert "> you don't belong here" in report.content
    assert world.emu.channel_messages(world.support_id) == []


async def test_admins_block_and_unblock_anonymous_notes(world):
    admin = world.actor(world.admin)
    blocked = await (await admin.slash("support block", member=world.bob)).reply()
    assert blocked.flags & EPHEMERAL
    assert blocked.content.startswith("Blocked: bob can no longer send anonymous notes")
    refused = await anon(world, world.bob, world.alice)
    assert "admins have turned off anonymous notes from you" in refused.content
    signed = await (await world.actor(world.bob).slash(
        "encourage", member=world.alice, message="signed")).reply()
    assert signed.content == SENT_REPLY
    lifted = await (await admin.slash("support unblock", member=world.bob)).reply()
    assert lifted.content.startswith("Unblocked: bob")
    assert (await anon(world, world.bob, world.alice)).content == SENT_REPLY
    assert await world.db.scalar("SELECT COUNT(*) FROM note_blocks") == 0


# Member text never becomes a tag ---------------------------------------------------------------

async def test_tags_typed_as_a_company_stay_text_in_the_post_and_the_replies(world):
    await set_up_support(world)
    company = f"<@&123> <@456> @everyone <@{world.carol}> </x:1> <#{world.support_id}>"
    alice = world.actor(world.alice)
    logged = await (await alice.slash("rejection log", company=company, role="@here")).reply()
    entry = int(re.search(r"#(\d+)", logged.content).group(1))
    shown = await preview(world, world.alice, entry, **{"as": "named"}, show_company=True)
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    done = await (await alice.click(shown, label="Post it")).reply()
    post = await posted
    listing = await (await alice.slash("rejection list")).reply()
    unshared = await (await alice.slash("rejection unshare", entry=str(entry))).reply()
    choices = await alice.autocomplete("rejection share", "entry", "")
    for message in (logged, shown, done, post, listing, unshared):
        assert _only_our_channel_tag(text_of(message), world), text_of(message)
        assert message.mentioned_user_ids == []
    assert "123" in text_of(post) and "everyone" in text_of(post)     # shown, as text
    assert all(not any(tag in c["name"] for tag in LIVE_TAGS) for c in choices)


def _only_our_channel_tag(text: str, world) -> bool:
    """Our own sentences may name the support channel; member text never makes a tag."""
    rest = text.replace(f"<#{world.support_id}>", "")
    return not any(tag in rest for tag in LIVE_TAGS)


async def test_remove_entry_posts_takes_down_one_entrys_posts_for_rejection_delete(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    kept, removed = await log(world, world.alice, "Acme"), await log(world, world.alice, "Hooli")
    for entry in (kept, removed):
        await (await alice.click(await preview(world, world.alice, entry, show_company=True),
                                 label="Post it")).reply()
    await run_due_timers(world, timedelta(minutes=61))
    assert len(shared_posts(world)) == 2
    gone = await world.bot.get_cog("Encourage").remove_entry_posts(world.alice, removed)
    assert gone == 1
    [left] = shared_posts(world)
    assert "Acme" in text_of(left)
    assert await world.db.scalar("SELECT COUNT(*) FROM shares WHERE rejection_id = ?",
                                 (removed,)) == 0
