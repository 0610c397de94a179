"""Personal DMs end to end: reflection prompts, feedback follow-ups and nudges, with the care
rules (quiet hours, one a day, merged, pausable) and members whose DMs are closed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import from_db
from bot.db.backends import open_database
from bot.services.personal import next_nudge_due

EPHEMERAL = 64


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


async def log_entry(actor, **options):
    options.setdefault("company", "Acme")
    return await (await actor.slash("rejection log", **options)).reply()


async def latest_id(world, user_id):
    return await world.db.scalar("SELECT MAX(id) FROM rejections WHERE user_id = ?", (user_id,))


def labels(message):
    return [b["label"] for b in message.buttons]


async def eventually(check, timeout=3.0):
    """Wait until an async check holds: the DM is seen a moment before it is recorded."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def unshown_notices(world, expected):
    return await world.db.scalar(
        "SELECT COUNT(*) FROM pending_notices WHERE shown_at IS NULL") == expected


async def timer_status(world, status):
    async def check():
        return await world.db.scalar("SELECT status FROM timers ORDER BY id LIMIT 1") == status
    return check


async def settle(world, seconds=0.3):
    """Let the dispatcher run what is due (it runs on the bot's loop, right away)."""
    await asyncio.sleep(seconds)


async def test_prompt_right_away_names_company_and_stage_with_its_buttons(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    alice = world.actor(world.alice)
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    await log_entry(alice, company="Acme", stage="onsite")
    dm = await waiting
    entry_id = await latest_id(world, world.alice)
    assert f"#{entry_id}" in dm.content and "Acme" in dm.content and "onsite" in dm.content
    assert labels(dm) == ["Reflect now", "Remind me tomorrow", "Not this one", "Pause DM prompts"]
    assert not dm.flags & EPHEMERAL
    await eventually(await timer_status(world, "sent"))
    assert await world.db.scalar(
        "SELECT last_personal_dm_at FROM member_settings WHERE user_id = ?", (world.alice,))
    # Reflect now, from the DM, opens the same questions.
    dm_alice = world.actor(world.alice, dm=True)
    opened = await dm_alice.click(dm, label="Reflect now")
    assert "Acme" in (await opened.modal())["title"]
    reply = await (await dm_alice.submit_modal(opened, {"went_well": "the system design"})).reply()
    assert "Saved your reflection" in reply.content
    assert await world.db.scalar("SELECT went_well FROM reflections") == "the system design"


async def test_restart_between_logging_and_the_prompt_fires_it_exactly_once(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Globex", stage="final")
    await settle(world)
    assert world.emu.dm_messages(world.alice) == []          # due in 24 h, not yet
    await world.stop()
    world.clock.advance(timedelta(hours=25))                 # the bot was down when it fell due
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    await world.start()
    dm = await waiting
    assert "Globex" in dm.content
    await world.restart()
    await settle(world, 0.5)
    assert len(world.emu.dm_messages(world.alice)) == 1
    assert await world.db.scalar("SELECT status FROM timers") == "sent"


async def test_buttons_still_work_after_a_restart(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    alice = world.actor(world.alice)
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    await log_entry(alice, company="Initech")
    dm = await waiting
    entry_id = await latest_id(world, world.alice)
    await world.restart()
    dm_alice = world.actor(world.alice, dm=True)
    later = await (await dm_alice.click(dm, label="Remind me tomorrow")).reply()
    assert later.flags & EPHEMERAL and "again" in later.content
    rows = await world.db.fetchall(
        "SELECT status, due_at, created_at FROM timers WHERE subject_id = ? ORDER BY id",
        (entry_id,))
    assert [r["status"] for r in rows] == ["sent", "pending"]
    assert from_db(rows[1]["due_at"]) - from_db(rows[1]["created_at"]) == timedelta(hours=24)
    skip = await (await dm_alice.click(dm, label="Not this one")).reply()
    assert "no reflection prompt" in skip.content
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE status = 'pending'") == 0
    pause = await (await dm_alice.click(dm, label="Pause DM prompts")).reply()
    assert "Paused" in pause.content
    assert await world.db.scalar(
        "SELECT dm_prompts FROM member_settings WHERE user_id = ?", (world.alice,)) == 0


async def test_closed_dms_show_the_prompt_at_the_next_command(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    world.emu.set_dms_closed(world.alice, True)
    alice = world.actor(world.alice)
    await log_entry(alice, company="Umbrella", stage="technical")
    await settle(world)
    assert world.emu.dm_messages(world.alice) == []
    await eventually(await timer_status(world, "sent"))
    assert await world.db.scalar("SELECT COUNT(*) FROM pending_notices WHERE shown_at IS NULL") == 1
    result = await alice.slash("rejection list")
    notice = await result.wait_followup()
    assert notice.flags & EPHEMERAL
    assert "couldn't reach you by DM" in notice.content and "Umbrella" in notice.content
    assert labels(notice) == ["Reflect now", "Remind me tomorrow", "Not this one",
                              "Pause DM prompts"]
    await eventually(lambda: unshown_notices(world, 0))
    # Its buttons work like the DM's, and the notice is not shown twice.
    opened = await alice.click(notice, label="Reflect now")
    done = await (await alice.submit_modal(opened, {"unprepared": "the take-home"})).reply()
    assert "Umbrella" in done.content
    again = await alice.slash("rejection list")
    await again.reply()
    await settle(world)
    assert again.followups == []


async def test_a_notice_waits_while_a_modal_is_open_and_shows_after_it(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    world.emu.set_dms_closed(world.alice, True)
    alice = world.actor(world.alice)
    await log_entry(alice, company="Soylent")
    await eventually(lambda: unshown_notices(world, 1))
    opened = await alice.slash("reflect")
    await opened.modal()
    await settle(world)
    assert await unshown_notices(world, 1)          # a modal can't carry a follow-up
    done = await alice.submit_modal(opened, {"struggled": "nerves"})
    assert "Saved your reflection" in (await done.reply()).content
    notice = await done.wait_followup()
    assert "Soylent" in notice.content and notice.flags & EPHEMERAL
    await eventually(lambda: unshown_notices(world, 0))


async def test_quiet_hours_hold_the_prompt_until_they_end(world):
    now = world.clock.now()
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    await set_prefs(world, world.alice, reflection_delay_hours=0, timezone="UTC",
                    quiet_start=start, quiet_end=end)
    await log_entry(world.actor(world.alice), company="Hooli")
    await settle(world)
    assert world.emu.dm_messages(world.alice) == []
    due = from_db(await world.db.scalar("SELECT due_at FROM timers"))
    assert due.strftime("%H:%M") == end and due > now
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    world.clock.advance(due - world.clock.now() + timedelta(seconds=1))
    await world.bot.engine.wake()
    assert "Hooli" in (await waiting).content


async def test_one_personal_dm_a_day_and_merged_when_due_together(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0, timezone="UTC")
    alice = world.actor(world.alice)
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    await log_entry(alice, company="First")
    assert "First" in (await waiting).content
    await log_entry(alice, company="Second")
    await log_entry(alice, company="Third")
    await settle(world)
    assert len(world.emu.dm_messages(world.alice)) == 1     # the rest waits for tomorrow
    due = {from_db(r[0]) for r in await world.db.fetchall(
        "SELECT due_at FROM timers WHERE status = 'pending'")}
    assert len(due) == 1
    [tomorrow] = due
    assert tomorrow.strftime("%H:%M") == "09:00" and tomorrow.date() > world.clock.now().date()
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    world.clock.advance(tomorrow - world.clock.now() + timedelta(seconds=1))
    await world.bot.engine.wake()
    merged = await waiting
    assert "Second" in merged.content and "Third" in merged.content
    second, third = (await world.db.fetchall(
        "SELECT id FROM rejections WHERE company IN ('Second', 'Third') ORDER BY id"))
    # One line per entry, named by its number and company; one "Choose an entry" button.
    assert "• **#2** Second: ready when you are to reflect on it" in merged.content
    assert "• **#3** Third: ready when you are to reflect on it" in merged.content
    assert labels(merged) == ["Choose an entry", "Pause DM prompts"]
    # After a restart the button and its menu still work; picking an entry shows its buttons.
    await world.restart()
    alice = world.actor(world.alice)
    menu = await (await alice.click(merged, label="Choose an entry")).reply()
    [select] = menu.selects
    assert [o["label"] for o in select["options"]] == ["#2 Second", "#3 Third"]
    chosen = await (await alice.select(menu, values=[f"r{third[0]}"])).reply()
    assert "**#3** Third" in chosen.content
    assert labels(chosen) == ["Reflect now", "Remind me tomorrow", "Not this one"]
    skipped = await (await alice.click(chosen, label="Not this one")).reply()
    assert "Third" in skipped.content
    await settle(world)
    assert len(world.emu.dm_messages(world.alice)) == 2


async def test_feedback_followup_asks_once_and_its_buttons_work(world):
    await set_prefs(world, world.alice, dm_prompts=1, reflection_delay_hours=168)
    alice = world.actor(world.alice)
    await log_entry(alice, company="Vandelay", role="Importer")
    draft = await (await alice.slash("feedback draft")).reply()
    await (await alice.click(draft, label="I sent it")).reply()
    entry_id = await latest_id(world, world.alice)
    # Leave only the follow-up (the reflection prompt is 168 h away, but be explicit).
    async with world.db.transaction() as tx:
        await tx.execute("UPDATE timers SET status = 'cancelled' WHERE kind = 'reflection_prompt'")
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    world.clock.advance(timedelta(days=7, minutes=1))
    await world.bot.engine.wake()
    dm = await waiting
    assert "Vandelay" in dm.content and "hear back" in dm.content
    assert labels(dm) == ["Log feedback", "Stop reminding", "Pause DM prompts"]
    dm_alice = world.actor(world.alice, dm=True)
    opened = await dm_alice.click(dm, label="Log feedback")
    await (await dm_alice.submit_modal(opened, {"feedback": "Strong, but we hired internally."})
           ).reply()
    assert await world.db.scalar(
        "SELECT feedback_text FROM feedback_requests WHERE rejection_id = ?", (entry_id,)) == \
        "Strong, but we hired internally."
    stop = await (await dm_alice.click(dm, label="Stop reminding")).reply()
    assert "no more reminders" in stop.content
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'feedback_followup'") == 1


async def test_no_followup_when_feedback_came_first(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Kramerica")
    draft = await (await alice.slash("feedback draft")).reply()
    await (await alice.click(draft, label="I sent it")).reply()
    opened = await alice.slash("feedback log")
    await (await alice.submit_modal(opened, {"feedback": "Good answers."})).reply()
    async with world.db.transaction() as tx:
        await tx.execute("UPDATE timers SET status = 'cancelled' WHERE kind = 'reflection_prompt'")
    world.clock.advance(timedelta(days=8))
    await world.bot.engine.wake()
    await settle(world, 0.5)
    assert world.emu.dm_messages(world.alice) == []


async def test_personal_nudge_when_behind_with_a_one_click_pause(world):
    await set_prefs(world, world.alice, weekly_goal=7, timezone="UTC")
    alice = world.actor(world.alice)
    await (await alice.slash("settings", personal_nudges=True)).reply()
    due = next_nudge_due(world.clock.now(), "UTC")
    assert from_db(await world.db.scalar(
        "SELECT due_at FROM timers WHERE kind = 'personal_nudge'")) == due
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    world.clock.advance(due - world.clock.now() + timedelta(seconds=1))
    await world.bot.engine.wake()
    dm = await waiting
    assert "0 of 7 applications" in dm.content
    assert labels(dm) == ["Pause nudges"]
    # The next evening's look is already planned; the pause removes it.
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'personal_nudge' AND status = 'pending'") == 1
    paused = await (await world.actor(world.alice, dm=True).click(dm, label="Pause nudges")).reply()
    assert "Paused" in paused.content
    assert await world.db.scalar(
        "SELECT personal_nudges FROM member_settings WHERE user_id = ?", (world.alice,)) == 0
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'personal_nudge' AND status = 'pending'") == 0


async def outbox_row(world):
    return await world.db.fetchone(
        "SELECT status, attempts, nonce, next_try_at, created_at FROM outbox")


def dm_posts(world, user_id):
    """Every request the bot made to create a message in the member's DM channel."""
    channel = world.emu._dm_channel_by_user.get(user_id)
    return [r for r in world.emu.requests
            if r.method == "POST" and r.path == f"/channels/{channel}/messages"]


async def test_a_failed_send_is_retried_not_lost(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    # 503 is answered at once by discord.py (500s are retried for a while first).
    world.emu.fail_next("POST", r"/channels/\d+/messages", 503)
    await log_entry(world.actor(world.alice), company="Wonka")

    async def tried_once():
        row = await outbox_row(world)
        return row is not None and row["attempts"] == 1
    await eventually(tried_once)
    assert world.emu.dm_messages(world.alice) == []
    row = await outbox_row(world)
    assert row["status"] == "claimed"
    assert from_db(row["next_try_at"]) > from_db(row["created_at"])
    assert await world.db.scalar("SELECT COUNT(*) FROM pending_notices") == 0
    # A little later it is tried again, with the same nonce, and arrives once.
    world.clock.advance(timedelta(minutes=2))
    await world.bot.engine.catch_up()
    [dm] = world.emu.dm_messages(world.alice)
    assert "Wonka" in dm.content
    assert [r.json["nonce"] for r in dm_posts(world, world.alice)] == [row["nonce"]] * 2
    assert (await outbox_row(world))["status"] == "sent"


async def test_a_dm_cut_off_by_shutdown_is_sent_once_after_restart_with_its_nonce(
        world, monkeypatch):
    monkeypatch.setattr("bot.scheduling.engine.SHUTDOWN_WAIT_SECONDS", 0.3)
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    # Discord keeps answering 500: discord.py is still retrying the DM when the bot stops.
    rule = world.emu.fail_next("POST", r"/channels/\d+/messages", 500, times=20)
    await log_entry(world.actor(world.alice), company="Tyrell")
    await settle(world, 0.5)
    await world.stop()
    row = await outbox_row_after_stop(world)
    assert row["status"] == "claimed"            # may have reached them: not sent blindly again
    rule.remaining = 0
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    await world.start()
    dm = await waiting
    assert "Tyrell" in dm.content
    await world.restart()
    await settle(world, 0.5)
    assert len(world.emu.dm_messages(world.alice)) == 1
    # Every try carried the claim's nonce, so Discord keeps it to one message.
    assert {r.json["nonce"] for r in dm_posts(world, world.alice)} == {row["nonce"]}
    assert (await outbox_row(world))["status"] == "sent"
    assert await world.db.scalar("SELECT status FROM timers") == "sent"


async def outbox_row_after_stop(world):
    db = await open_database(world.settings().database_url)
    try:
        return await db.fetchone("SELECT status, nonce FROM outbox")
    finally:
        await db.close()
