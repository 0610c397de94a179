"""The one DM policy, end to end: every DM goes through the outbox, whatever sends it, and the
care rules hold for all of them together. The bot's clock is moved explicitly and the engine's
catch-up run, as the sandbox does."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

from bot.clock import from_db
from bot.db.repositories.outbox import OutboxRepository
from bot.services.outbox import NOTE_GATHER
from bot.services.personal import NUDGE_TEXTS, next_nudge_due

EPHEMERAL = 64
SENT_REPLY = "Sent. Thank you for taking a moment for them."
PAUSE_NOTES = "Pause notes by DM"


async def set_prefs(world, user_id, **values):
    """Preferences straight into the table, as /settings would store them."""
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values)
    async with world.db.transaction() as tx:
        await tx.execute(
            f"INSERT INTO member_settings (user_id, {columns}, updated_at) VALUES (?, {marks}, 'x')"
            f" ON CONFLICT (user_id) DO UPDATE SET {updates}",
            (user_id, *values.values()),
        )


async def run_due(world, after=timedelta(0)):
    """Move the bot's clock, then run what is due by it (and wait for it)."""
    world.clock.advance(after)
    await world.bot.engine.catch_up()


async def quiet_for(world, user_id, hours_left: int) -> None:
    """Quiet hours that began an hour ago and end in `hours_left` hours (UTC)."""
    now = world.clock.now()
    await set_prefs(world, user_id, timezone="UTC",
                    quiet_start=(now - timedelta(hours=1)).strftime("%H:%M"),
                    quiet_end=(now + timedelta(hours=hours_left)).strftime("%H:%M"))


def until_quiet_ends(world, hours_left: int) -> timedelta:
    now = world.clock.now()
    end = (now + timedelta(hours=hours_left)).replace(second=0, microsecond=0)
    return end - now + timedelta(seconds=1)


async def encourage(world, sender, recipient, message, **options):
    reply = await (await world.actor(sender).slash(
        "encourage", member=recipient, message=message, **options)).reply()
    assert reply.flags & EPHEMERAL
    return reply


def dms(world, user_id):
    return world.emu.dm_messages(user_id)


def labels(message):
    return [b["label"] for b in message.buttons]


def public_posts(world):
    """Every message the bot created in a server channel (not a DM, not a reply)."""
    return [m for cid, ch in world.emu.channels.items() if not ch.recipient_id
            for m in world.emu.channel_messages(cid)]


async def every_dm_has_its_outbox_row(world) -> None:
    """Each DM Discord received carries the nonce of an outbox row recorded as sent."""
    sent = await OutboxRepository(world.db).nonces("sent")
    for cid, channel in world.emu.channels.items():
        if channel.recipient_id:
            for message in world.emu.channel_messages(cid):
                assert message.nonce in sent, f"a DM went around the outbox: {message.content!r}"


async def eventually(check, timeout=3.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


# Quiet hours and pacing ---------------------------------------------------------------------

async def test_a_note_sent_inside_the_recipients_quiet_hours_arrives_when_they_end(world):
    await quiet_for(world, world.alice, hours_left=2)
    reply = await encourage(world, world.bob, world.alice, "thinking of you")
    assert reply.content == SENT_REPLY           # nothing about her quiet hours
    await run_due(world, NOTE_GATHER + timedelta(minutes=1))
    assert dms(world, world.alice) == []
    await run_due(world, timedelta(minutes=30))
    assert dms(world, world.alice) == []         # still quiet
    await run_due(world, until_quiet_ends(world, 2) - timedelta(minutes=32))
    [dm] = dms(world, world.alice)
    assert "**bob** in Job Hunt Circle sent you a note" in dm.content
    assert "> thinking of you" in dm.content
    assert labels(dm) == [PAUSE_NOTES]
    await every_dm_has_its_outbox_row(world)


async def test_three_notes_within_a_minute_make_one_dm(world):
    await encourage(world, world.bob, world.alice, "first note")
    await run_due(world, timedelta(seconds=20))
    await encourage(world, world.carol, world.alice, "second note", anonymous=True)
    await run_due(world, timedelta(seconds=20))
    await encourage(world, world.admin, world.alice, "third note")
    await run_due(world, NOTE_GATHER)
    [dm] = dms(world, world.alice)
    assert dm.content.startswith("3 notes of encouragement for you:")
    for words in ("> first note", "> second note", "> third note"):
        assert words in dm.content
    assert labels(dm) == [PAUSE_NOTES, "Report"]     # the one anonymous note can be reported
    # All three are delivered by that one DM; a fourth waits 3 hours for the next one.
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM encouragements WHERE delivered_at IS NOT NULL") == 3
    await encourage(world, world.bob, world.alice, "fourth note")
    await run_due(world, timedelta(hours=2))
    assert len(dms(world, world.alice)) == 1
    await run_due(world, timedelta(hours=1))
    assert len(dms(world, world.alice)) == 2
    assert "> fourth note" in dms(world, world.alice)[1].content
    await every_dm_has_its_outbox_row(world)


async def test_a_prompt_and_a_note_due_together_prompt_with_onwards_own_note_paced_apart(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    await quiet_for(world, world.alice, hours_left=2)
    alice = world.actor(world.alice)
    await (await alice.slash("rejection log", company="Acme", stage="onsite")).reply()
    await (await alice.slash("rejection log", company="Globex")).reply()
    await encourage(world, world.bob, world.alice, "you've got this")
    await run_due(world, NOTE_GATHER)
    assert dms(world, world.alice) == []                     # none in quiet hours
    await run_due(world, until_quiet_ends(world, 2) - NOTE_GATHER)
    onward, note = sorted(dms(world, world.alice), key=lambda m: "check-in" not in m.content)
    # Onward's own DMs merged into one message: a line per entry, one button to choose.
    assert onward.content.startswith("A few gentle check-ins from Onward, all in one message:")
    assert "Acme" in onward.content and "Globex" in onward.content
    assert labels(onward).count("Pause DM prompts") == 1
    assert labels(onward) == ["Choose an entry", "Pause DM prompts"]
    # The note is a DM of its own, with its own pause.
    assert "> you've got this" in note.content and "Acme" not in note.content
    assert labels(note) == [PAUSE_NOTES]
    # Another of each, a minute later: Onward's waits for tomorrow, the note for 3 hours.
    await (await alice.slash("rejection log", company="Initech")).reply()
    await encourage(world, world.carol, world.alice, "proud of you")
    await run_due(world, NOTE_GATHER + timedelta(minutes=1))
    assert len(dms(world, world.alice)) == 2
    await run_due(world, timedelta(hours=3))
    assert "> proud of you" in dms(world, world.alice)[-1].content
    assert len(dms(world, world.alice)) == 3
    await every_dm_has_its_outbox_row(world)


# Failures -------------------------------------------------------------------------------------

def dm_posts(world, user_id):
    channel = world.emu._dm_channel_by_user.get(user_id)
    return [r for r in world.emu.requests
            if r.method == "POST" and r.path == f"/channels/{channel}/messages"]


async def test_a_dm_whose_send_gets_a_500_is_retried_later_and_arrives_once(world, monkeypatch):
    # discord.py waits a second before its own retry of a 500; the outbox stops waiting
    # sooner, so the outcome is unknown and the outbox tries again later itself.
    monkeypatch.setattr("bot.scheduling.outbox.SEND_TIMEOUT", 0.3)
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    world.emu.fail_next("POST", r"/channels/\d+/messages", 500)
    await (await world.actor(world.alice).slash("rejection log", company="Wonka")).reply()

    async def tried():
        return await world.db.scalar("SELECT attempts FROM outbox") == 1
    await eventually(tried)
    assert dms(world, world.alice) == []
    row = await world.db.fetchone("SELECT status, nonce, next_try_at FROM outbox")
    assert row["status"] == "claimed"
    monkeypatch.setattr("bot.scheduling.outbox.SEND_TIMEOUT", 20.0)
    await run_due(world, from_db(row["next_try_at"]) - world.clock.now())
    [dm] = dms(world, world.alice)
    assert "Wonka" in dm.content
    posts = dm_posts(world, world.alice)
    assert len(posts) == 2
    assert all(p.json["nonce"] == row["nonce"] and p.json["enforce_nonce"] for p in posts)
    assert len(row["nonce"]) <= 25
    await run_due(world, timedelta(hours=1))
    assert len(dms(world, world.alice)) == 1
    assert await world.db.scalar("SELECT status FROM outbox") == "sent"


async def test_a_database_that_refuses_writes_does_not_send_the_same_dm_twice(world, monkeypatch):
    await set_prefs(world, world.alice, reflection_delay_hours=0)

    async def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(OutboxRepository, "mark_sent", disk_full)
    await (await world.actor(world.alice).slash("rejection log", company="Hooli")).reply()
    await eventually(lambda: asyncio.sleep(0, result=len(dms(world, world.alice)) == 1))
    for minutes in (1, 1, 2, 5, 10, 30):
        await run_due(world, timedelta(minutes=minutes))
    assert len(dms(world, world.alice)) == 1
    assert len(dm_posts(world, world.alice)) == 1
    assert await world.db.scalar("SELECT status FROM outbox") == "claimed"
    # Once the database takes writes again, the record is written; still one DM.
    monkeypatch.undo()
    await run_due(world, timedelta(minutes=2))
    assert await world.db.scalar("SELECT status FROM outbox") == "sent"
    assert len(dms(world, world.alice)) == 1
    await every_dm_has_its_outbox_row(world)


# Closed DMs -------------------------------------------------------------------------------------

async def test_closed_dms_post_nothing_in_any_channel_and_show_the_note_at_the_next_button(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()
    alice = world.actor(world.alice)
    logged = await alice.slash("rejection log", company="Acme", stage="onsite", share="named")
    entry_reply = await logged.reply()
    preview = await logged.wait_followup(1)       # sharing shows a preview first
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    await (await alice.click(preview, label="Post it")).reply()
    post = await posted
    while not preview.content.startswith("Posted"):     # recorded once the reply says so
        await asyncio.sleep(0.02)
    before = len(public_posts(world))
    world.emu.set_dms_closed(world.alice, True)
    bob = world.actor(world.bob)
    opened = await bob.click(post, label="Send encouragement")
    done = await (await bob.submit_modal(opened, {"Your note (they get it privately)":
                                                  "you'll find the right team"})).reply()
    assert done.content == SENT_REPLY             # her closed DMs don't show in his reply
    await run_due(world, NOTE_GATHER + timedelta(seconds=1))
    assert dms(world, world.alice) == []
    assert len(public_posts(world)) == before      # nothing posted in any channel
    assert await world.db.scalar("SELECT status FROM outbox") == "notice"
    # Her next button press shows it, privately, naming what it is about.
    clicked = await alice.click(entry_reply, label="Draft feedback request")
    await clicked.reply()
    notice = await clicked.wait_followup(1)
    assert notice.flags & EPHEMERAL
    entry_id = await world.db.scalar("SELECT id FROM rejections")
    assert notice.content.startswith("I couldn't reach you by DM")
    assert f"about **#{entry_id} Acme**, which you shared" in notice.content
    assert "> you'll find the right team" in notice.content

    async def delivered():
        return await world.db.scalar("SELECT delivered_at IS NOT NULL FROM encouragements") == 1
    await eventually(delivered)
    assert len(public_posts(world)) == before


# Old entries --------------------------------------------------------------------------------------

async def test_a_400_day_old_entry_gets_no_dm_and_its_reply_promises_none(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    old = (world.clock.now().date() - timedelta(days=400)).isoformat()
    reply = await (await world.actor(world.alice).slash(
        "rejection log", company="Oldco", date=old)).reply()
    assert "Logged" in reply.content
    assert "DM" not in reply.content
    assert "No DMs, thanks" not in labels(reply)
    assert await world.db.scalar("SELECT COUNT(*) FROM timers") == 0
    await run_due(world, timedelta(days=2))
    assert dms(world, world.alice) == []
    # /reflect still works for it.
    opened = await world.actor(world.alice).slash("reflect")
    assert "Oldco" in (await opened.modal())["title"]


# Consent up front ---------------------------------------------------------------------------------

async def test_the_first_reply_that_plans_a_dm_says_when_and_offers_no_dms_thanks(world):
    alice = world.actor(world.alice)
    first = await (await alice.slash("rejection log", company="Acme")).reply()
    assert "by DM <t:" in first.content and "No DMs, thanks" in first.content
    assert labels(first)[-1] == "No DMs, thanks"
    second = await (await alice.slash("rejection log", company="Globex")).reply()
    assert "by DM <t:" in second.content
    assert "No DMs, thanks" not in labels(second)      # said once is enough
    thanks = await (await alice.click(first, label="No DMs, thanks")).reply()
    assert thanks.flags & EPHEMERAL
    assert thanks.content.startswith("Done: no reflection prompts or feedback follow-ups by DM.")
    assert await world.db.scalar(
        "SELECT dm_prompts FROM member_settings WHERE user_id = ?", (world.alice,)) == 0
    assert await world.db.scalar("SELECT COUNT(*) FROM timers WHERE status = 'pending'") == 0
    await run_due(world, timedelta(days=2))
    assert dms(world, world.alice) == []


async def test_the_first_i_sent_it_offers_no_dms_thanks_when_no_prompt_came_first(world):
    alice = world.actor(world.alice)
    old = (world.clock.now().date() - timedelta(days=30)).isoformat()
    logged = await (await alice.slash("rejection log", company="Acme", date=old)).reply()
    assert "No DMs, thanks" not in labels(logged)
    draft = await (await alice.slash("feedback draft")).reply()
    clicked = await alice.click(draft, label="I sent it")
    sent = await clicked.reply()                   # the draft, its button now used up
    assert "I'll check in once by DM" in sent.content
    consent = await clicked.wait_followup(1)
    assert consent.flags & EPHEMERAL
    assert labels(consent) == ["No DMs, thanks"]
    await (await alice.click(consent, label="No DMs, thanks")).reply()
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'feedback_followup' AND status = 'pending'"
    ) == 0


# Personal nudges ----------------------------------------------------------------------------------

async def nudges_for(world, goal=7):
    await set_prefs(world, world.alice, weekly_goal=goal, timezone="UTC", dm_prompts=0)
    await (await world.actor(world.alice).slash("settings", personal_nudges=True)).reply()


def nudge_wording(message) -> int:
    [index] = [i for i, text in enumerate(NUDGE_TEXTS)
               if text.split("{done}")[0] in message.content]
    return index


async def to_next_evening(world):
    due = next_nudge_due(world.clock.now(), "UTC")
    await run_due(world, due - world.clock.now() + timedelta(seconds=1))


async def test_nudges_come_once_a_week_and_never_twice_with_the_same_words(world):
    await nudges_for(world, goal=100)              # behind every day of the week
    await to_next_evening(world)
    [first] = dms(world, world.alice)
    assert "0 of 100 applications" in first.content and labels(first) == ["Pause nudges"]
    for _ in range(6):                             # the six evenings after: nothing
        await to_next_evening(world)
    assert len(dms(world, world.alice)) == 1
    await to_next_evening(world)                   # a week later
    first_again, second = dms(world, world.alice)
    assert nudge_wording(second) != nudge_wording(first)
    assert await world.db.scalar(
        "SELECT last_nudge_text FROM member_settings WHERE user_id = ?", (world.alice,)
    ) == nudge_wording(second)


async def test_no_nudge_within_48_hours_of_a_logged_rejection(world):
    await nudges_for(world, goal=100)
    await (await world.actor(world.alice).slash("rejection log", company="Acme")).reply()
    await to_next_evening(world)
    await to_next_evening(world)
    logged_at = from_db(await world.db.scalar("SELECT created_at FROM rejections"))
    assert world.clock.now() - logged_at < timedelta(hours=48)
    assert dms(world, world.alice) == []
    await to_next_evening(world)
    [nudge] = dms(world, world.alice)
    assert "0 of 100 applications" in nudge.content


async def test_no_nudge_once_the_weeks_goal_is_met(world):
    await nudges_for(world, goal=1)
    await (await world.actor(world.alice).slash("apply log", company="Acme")).reply()
    evening = next_nudge_due(world.clock.now(), "UTC")
    today = world.clock.now().date()
    sunday = today + timedelta(days=6 - today.weekday())
    # Every evening until the week is over: the goal is met, so nothing.
    while evening.date() <= sunday:
        await to_next_evening(world)
        evening = next_nudge_due(world.clock.now(), "UTC")
    assert dms(world, world.alice) == []


# Nothing goes around the outbox -------------------------------------------------------------------

async def test_every_dm_the_bot_sent_has_a_matching_outbox_row(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0, personal_nudges=1,
                    weekly_goal=100, timezone="UTC")
    alice = world.actor(world.alice)
    await (await alice.slash("rejection log", company="Acme")).reply()
    draft = await (await alice.slash("feedback draft")).reply()
    await (await alice.click(draft, label="I sent it")).reply()
    await encourage(world, world.bob, world.alice, "hang in there")
    await encourage(world, world.alice, world.bob, "you too")
    for _ in range(9):
        await run_due(world, timedelta(days=1))
    assert len(dms(world, world.alice)) >= 3 and len(dms(world, world.bob)) == 1
    await every_dm_has_its_outbox_row(world)


# Other DMs and other timers -----------------------------------------------------------------------

async def test_any_other_dm_enqueued_follows_the_same_rules_and_names_what_it_is_about(world):
    await quiet_for(world, world.admin, hours_left=1)
    outbox = world.bot.outbox
    await outbox.enqueue(world.admin, "report", about="A report of an anonymous note",
                         content="Someone reported a note sent in Job Hunt Circle.")
    await run_due(world)
    assert dms(world, world.admin) == []                     # quiet hours
    await run_due(world, until_quiet_ends(world, 1))
    [dm] = dms(world, world.admin)
    assert dm.content == ("**A report of an anonymous note**\n"
                          "Someone reported a note sent in Job Hunt Circle.")
    # A second one within 3 hours waits; with DMs closed it becomes a notice, never a post.
    world.emu.set_dms_closed(world.admin, True)
    await outbox.enqueue(world.admin, "report", about="Another report", content="Second.")
    await run_due(world, timedelta(hours=3))
    assert len(dms(world, world.admin)) == 1 and public_posts(world) == []
    shown = await world.actor(world.admin).slash("support status")
    await shown.reply()
    notice = await shown.wait_followup(1)
    assert notice.flags & EPHEMERAL and "**Another report**\nSecond." in notice.content
    await every_dm_has_its_outbox_row(world)


async def test_a_registered_timer_kind_runs_once_when_due_and_survives_a_restart(world):
    ran: list[int] = []

    async def post_share(timer):
        ran.append(timer.subject_id)

    world.bot.engine.register("share_post", post_share)
    due = world.clock.now() + timedelta(minutes=30)
    await world.bot.engine.schedule("share_post", due_at=due, user_id=world.alice, subject_id=7)
    await run_due(world, timedelta(minutes=29))
    assert ran == []
    await world.restart()                          # the row outlives the process
    world.bot.engine.register("share_post", post_share)
    await run_due(world, timedelta(minutes=2))
    assert ran == [7]
    await run_due(world, timedelta(hours=1))
    assert ran == [7]
    assert await world.db.scalar("SELECT status FROM timers WHERE kind = 'share_post'") == "sent"


async def test_a_failing_timer_handler_is_tried_again_later(world):
    calls: list[int] = []

    async def flaky(timer):
        calls.append(timer.attempts)
        if len(calls) == 1:
            raise RuntimeError("channel unavailable for a moment")

    world.bot.engine.register("share_post", flaky)
    await world.bot.engine.schedule("share_post", due_at=world.clock.now(), subject_id=3)
    await run_due(world)
    assert calls == [0]
    assert await world.db.scalar("SELECT status FROM timers") == "pending"
    await run_due(world, timedelta(minutes=1, seconds=1))
    assert calls == [0, 1]
    assert await world.db.scalar("SELECT status FROM timers") == "sent"


async def test_an_unexpected_refusal_is_logged_once_with_its_route_and_kept_as_a_notice(
        world, caplog):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    refusal = {"code": 50035, "message": "Invalid Form Body"}
    world.emu.fail_next("POST", r"/channels/\d+/messages", 400, times=2, json=refusal)
    await (await world.actor(world.alice).slash("rejection log", company="Acme")).reply()
    await encourage(world, world.bob, world.alice, "chin up")
    await run_due(world, NOTE_GATHER + timedelta(seconds=1))
    await run_due(world)
    statuses = [r[0] for r in await world.db.fetchall("SELECT status FROM outbox ORDER BY id")]
    assert statuses == ["notice", "notice"]
    refused = [r for r in caplog.records if "refused by Discord" in r.getMessage()]
    assert len(refused) == 1 and "/channels/" in refused[0].getMessage()
    assert public_posts(world) == [] and dms(world, world.alice) == []
    shown = await world.actor(world.alice).slash("rejection list")
    await shown.reply()
    first = await shown.wait_followup(1)
    second = await shown.wait_followup(2)
    assert "Acme" in first.content and "> chin up" in second.content


async def test_a_dm_whose_claim_cannot_be_written_is_not_sent_until_it_can_be(world, monkeypatch):
    await set_prefs(world, world.alice, reflection_delay_hours=0)

    async def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(OutboxRepository, "claim", disk_full)
    await (await world.actor(world.alice).slash("rejection log", company="Pied Piper")).reply()
    for _ in range(3):
        await run_due(world, timedelta(minutes=5))
    assert dms(world, world.alice) == []           # never sent without its claim written
    assert await world.db.scalar("SELECT status FROM timers") == "pending"
    monkeypatch.undo()
    await run_due(world, timedelta(minutes=30))
    [dm] = dms(world, world.alice)
    assert "Pied Piper" in dm.content
    await every_dm_has_its_outbox_row(world)
