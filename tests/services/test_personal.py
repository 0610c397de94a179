import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import to_db
from bot.db.repositories.applications import Application, ApplicationRepository
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.db.repositories.timers import TimerRepository
from bot.errors import NotFound, UserFacingError
from bot.services.feedback import FeedbackService
from bot.services.journal import JournalService
from bot.services.member_settings import MemberSettingsService
from bot.services.outbox import OutboxService
from bot.services.personal import (
    MAX_ITEMS,
    NUDGE_TEXTS,
    PersonalDMService,
    in_quiet_hours,
    next_nudge_due,
    pick_nudge_text,
)
from bot.services.reflection import ReflectionService

ALICE, BOB = 1001, 1002


async def log(db, clock, user=ALICE, **kwargs):
    kwargs.setdefault("company", "Acme")
    return (await JournalService(db, clock).log_rejection(user_id=user, guild_id=None,
                                                          **kwargs)).entry


async def prefs(db, clock, user=ALICE, **changes):
    repo = MemberSettingsRepository(db)
    async with db.transaction() as tx:
        await repo.save(tx, (await repo.get(user)).with_changes(**changes, updated_at="x"))


async def due_dms(db, clock):
    """What the engine does when timers fall due: claim them, and let the outbox decide."""
    due = await TimerRepository(db).claim_due(to_db(clock.now()))
    return await OutboxService(db, clock).plan(due)


def labels(claim):
    return [b.label for b in claim.payload.buttons]


async def timers(db):
    rows = await db.fetchall("SELECT kind, subject_id, status, due_at FROM timers ORDER BY id")
    return [tuple(r) for r in rows]


async def test_prompt_fires_after_the_delay_exactly_once(db, clock):
    entry = await log(db, clock, stage="onsite")
    assert await due_dms(db, clock) == []
    assert await PersonalDMService(db, clock).next_due_at() == datetime(2026, 11, 26, 15,
                                                                        tzinfo=UTC)
    clock.advance(timedelta(hours=24))
    [claim] = await due_dms(db, clock)
    assert (claim.user_id, claim.lane) == (ALICE, "onward")
    assert f"**#{entry.id}** Acme (onsite)" in claim.payload.content
    assert labels(claim) == ["Reflect now", "Remind me tomorrow", "Not this one",
                             "Pause DM prompts"]
    # Claimed before it is sent: the timer is done, the outbox row waits for the outcome.
    sent = ("reflection_prompt", entry.id, "sent", "2026-11-26T15:00:00+00:00")
    assert await timers(db) == [sent]
    assert await db.scalar("SELECT status FROM outbox") == "claimed"
    assert (await MemberSettingsRepository(db).get(ALICE)).last_personal_dm_at == \
        "2026-11-26T15:00:00+00:00"
    assert await due_dms(db, clock) == []
    service = OutboxService(db, clock)
    await service.sent(claim, 42)
    await service.sent(claim, 43)       # recording twice never re-sends or re-counts
    assert tuple(await db.fetchone("SELECT status, message_id FROM outbox")) == ("sent", 42)


async def test_no_prompt_once_they_reflected_or_paused(db, clock):
    reflected = await log(db, clock, company="Reflected")
    paused = await log(db, clock, company="Paused")
    await ReflectionService(db, clock).save(ALICE, reflected.id, {"went_well": "ok"})
    clock.advance(timedelta(hours=25))
    await MemberSettingsService(db, clock).pause(ALICE, "dm_prompts")
    assert await due_dms(db, clock) == []
    assert [t[2] for t in await timers(db)] == ["cancelled", "cancelled"]
    assert paused.id in [t[1] for t in await timers(db)]


async def test_quiet_hours_hold_it_until_they_end(db, clock):
    # 22:00 UTC is 23:00 in Berlin, inside quiet hours 22:00-08:00.
    await prefs(db, clock, timezone="Europe/Berlin", quiet_start="22:00", quiet_end="08:00",
                reflection_delay_hours=7)
    await log(db, clock)
    clock.advance(timedelta(hours=7))
    assert await due_dms(db, clock) == []
    # It waits for 08:00 Berlin, which is 07:00 UTC.
    assert [t[2:] for t in await timers(db)] == [("pending", "2026-11-26T07:00:00+00:00")]
    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    [claim] = await due_dms(db, clock)
    assert "Reflect now" in labels(claim)


def test_quiet_hours_within_a_day_and_across_midnight():
    def at(h, m=0):
        return datetime(2026, 11, 25, h, m, tzinfo=UTC)

    assert in_quiet_hours(at(23), "22:00", "08:00") and in_quiet_hours(at(7, 59), "22:00", "08:00")
    assert not in_quiet_hours(at(8), "22:00", "08:00")
    assert not in_quiet_hours(at(21), "22:00", "08:00")
    assert in_quiet_hours(at(13), "12:00", "14:00") and not in_quiet_hours(at(14), "12:00", "14:00")
    assert not in_quiet_hours(at(3), None, None)


async def test_one_personal_dm_a_day_the_rest_waits_for_tomorrow_morning(db, clock):
    await prefs(db, clock, timezone="America/New_York", reflection_delay_hours=1)
    await log(db, clock, company="First")
    clock.advance(timedelta(hours=1))           # 16:00 UTC = 11:00 New York
    [claim] = await due_dms(db, clock)
    second = await log(db, clock, company="Second")
    clock.advance(timedelta(hours=1))
    assert await due_dms(db, clock) == []
    # Tomorrow 09:00 in New York = 14:00 UTC.
    assert (await timers(db))[-1] == ("reflection_prompt", second.id, "pending",
                                      "2026-11-26T14:00:00+00:00")
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=UTC))
    [claim] = await due_dms(db, clock)
    assert "Second" in claim.payload.content and "First" not in claim.payload.content


async def test_what_falls_due_together_is_merged_into_one_message(db, clock):
    await prefs(db, clock, personal_nudges=True, weekly_goal=7, reflection_delay_hours=0)
    asked = await log(db, clock, company="Asked")
    await FeedbackService(db, clock, followup_days=1).mark_sent(ALICE, asked.id)
    async with db.transaction() as tx:  # a nudge due at the same moment
        await TimerRepository(db).add(tx, user_id=ALICE, kind="personal_nudge", subject_id=None,
                                      due_at=to_db(clock.now() + timedelta(days=3)),
                                      created_at=to_db(clock.now()))
    clock.advance(timedelta(days=3))            # Saturday: 0 of 7 applications, 48 h passed
    [claim] = await due_dms(db, clock)
    content = claim.payload.content
    assert content.startswith("A few gentle check-ins from Onward, all in one message:")
    assert content.index("reflect on it") < content.index("asked for feedback on <t:")
    assert any("0 of 7" in line for line in content.split("\n"))
    # One line per entry and ONE button to choose among them (not a row of buttons each).
    assert labels(claim) == ["Choose an entry", "Pause DM prompts", "Pause nudges"]
    assert claim.payload.buttons[0].custom_id == f"onward:dm-pick:r{asked.id}.f{asked.id}"
    assert content.count("Five short questions") == 0 and content.count("**Choose an entry**") == 1


async def test_too_many_at_once_the_rest_comes_tomorrow(db, clock):
    await prefs(db, clock, reflection_delay_hours=0)
    for i in range(MAX_ITEMS + 2):
        await log(db, clock, company=f"Co{i}")
    [claim] = await due_dms(db, clock)
    assert [f"Co{i}" in claim.payload.content for i in range(MAX_ITEMS + 2)] == [
        True, True, True, True, False, False]
    rows = await db.fetchall("SELECT status, due_at FROM timers WHERE status = 'pending'")
    assert len(rows) == 2
    assert {r["due_at"] for r in rows} == {"2026-11-26T09:00:00+00:00"}


async def add_applications(db, n, day="2026-11-23"):
    repo = ApplicationRepository(db)
    async with db.transaction() as tx:
        for i in range(n):
            await repo.add(tx, Application(0, ALICE, None, f"Co{i}", None, None, day, "x"))


async def nudges_on(db, clock, goal=7):
    await prefs(db, clock, weekly_goal=goal)
    await MemberSettingsService(db, clock).update(ALICE, personal_nudges=True)


def nudge_wording(claim) -> int:
    [index] = [i for i, text in enumerate(NUDGE_TEXTS)
               if text.split("{done}")[0] in claim.payload.content]
    return index


async def test_nudge_only_when_behind_and_next_one_a_week_later(db, clock):
    await nudges_on(db, clock, goal=7)
    await add_applications(db, 2)                 # Wednesday: 3 expected by tonight
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    [claim] = await due_dms(db, clock)
    assert "2 of 7" in claim.payload.content
    assert labels(claim) == ["Pause nudges"]
    # At most one a week: the next look is a week from today's evening.
    assert [t[2:] for t in await timers(db)] == [
        ("sent", "2026-11-25T18:00:00+00:00"), ("pending", "2026-12-02T18:00:00+00:00")]
    settings = await MemberSettingsRepository(db).get(ALICE)
    assert settings.last_nudge_text == nudge_wording(claim)
    clock.set(datetime(2026, 12, 2, 18, 0, tzinfo=UTC))
    [again] = await due_dms(db, clock)
    assert nudge_wording(again) != nudge_wording(claim)     # never the same text twice running


async def test_no_nudge_when_on_track_or_just_rejected(db, clock):
    await nudges_on(db, clock, goal=7)
    await add_applications(db, 3)
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    assert await due_dms(db, clock) == []
    assert [t[2:] for t in await timers(db)] == [("pending", "2026-11-26T18:00:00+00:00")]
    # Thursday: 4 expected, 3 done — behind, but a rejection was logged 30 h ago.
    await prefs(db, clock, dm_prompts=False, weekly_goal=7, personal_nudges=True)
    clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await log(db, clock)
    clock.set(datetime(2026, 11, 26, 18, 0, tzinfo=UTC))
    assert await due_dms(db, clock) == []
    assert (await timers(db))[-1][2:] == ("pending", "2026-11-27T18:00:00+00:00")
    clock.set(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    [claim] = await due_dms(db, clock)
    assert "3 of 7" in claim.payload.content


async def test_no_nudge_once_the_weeks_goal_is_met(db, clock):
    await nudges_on(db, clock, goal=2)
    await add_applications(db, 2)
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    assert await due_dms(db, clock) == []
    # Looked at again in the new week (Monday evening).
    assert [t[2:] for t in await timers(db)] == [("pending", "2026-11-30T18:00:00+00:00")]


async def test_dms_closed_keeps_a_notice_to_show_later(db, clock):
    entry = await log(db, clock)
    clock.advance(timedelta(hours=24))
    [claim] = await due_dms(db, clock)
    service = PersonalDMService(db, clock)
    await OutboxService(db, clock).undeliverable(claim, "closed: 403 code 50007")
    assert (await timers(db))[0][2] == "sent"
    assert await db.scalar("SELECT status FROM outbox") == "notice"
    [notice] = await service.unshown_notices(ALICE)
    assert f"**#{entry.id}** Acme" in notice.content
    assert "gentle check-in" not in notice.content          # the DM's framing is left out
    assert [b.label for b in notice.buttons] == ["Reflect now", "Remind me tomorrow",
                                                 "Not this one", "Pause DM prompts"]
    stored = json.loads(await db.scalar("SELECT body FROM pending_notices"))
    assert stored["buttons"][0][:2] == ["Reflect now", f"onward:reflect:{entry.id}"]
    assert await service.unshown_notices(BOB) == []
    await service.mark_notice_shown(notice)
    assert await service.unshown_notices(ALICE) == [] and not await service.has_notices(ALICE)


async def test_failed_send_is_retried_later_with_the_same_nonce(db, clock):
    await log(db, clock)
    clock.advance(timedelta(hours=24))
    [claim] = await due_dms(db, clock)
    service = OutboxService(db, clock)
    assert await service.try_again(claim, "503 code 0") is True
    assert await service.due_retries() == []
    assert await service.next_retry_at() == datetime(2026, 11, 26, 15, 1, tzinfo=UTC)
    clock.advance(timedelta(minutes=1))
    [retry] = await service.due_retries()
    assert (retry.id, retry.nonce, retry.payload) == (claim.id, claim.nonce, claim.payload)
    # Past the member's next allowed moment it stops trying and becomes a notice.
    clock.advance(timedelta(days=1))
    assert await service.try_again(retry, "503 code 0") is False
    assert await db.scalar("SELECT status FROM outbox") == "notice"
    assert len(await PersonalDMService(db, clock).unshown_notices(ALICE)) == 1


async def test_an_entry_dated_long_before_it_was_logged_gets_no_prompt(db, clock):
    logged = await JournalService(db, clock).log_rejection(
        user_id=ALICE, guild_id=None, company="Old", date="2025-10-21")
    assert logged.prompt_due_at is None
    recent = await JournalService(db, clock).log_rejection(
        user_id=ALICE, guild_id=None, company="Recent", date="2026-11-11")
    assert recent.prompt_due_at is not None          # 14 days back still gets one


async def test_remind_tomorrow_and_not_this_one(db, clock):
    entry = await log(db, clock)
    other = await log(db, clock, company="Other")
    service = PersonalDMService(db, clock)
    clock.advance(timedelta(hours=24))
    _, due = await service.remind_tomorrow(ALICE, entry.id)
    assert due == datetime(2026, 11, 27, 15, tzinfo=UTC)
    prompts = [t for t in await timers(db) if t[1] == entry.id]
    assert [t[2:] for t in prompts] == [("cancelled", "2026-11-26T15:00:00+00:00"),
                                        ("pending", "2026-11-27T15:00:00+00:00")]
    await service.skip_prompt(ALICE, other.id)
    assert [t[2] for t in await timers(db) if t[1] == other.id] == ["cancelled"]
    with pytest.raises(NotFound):
        await service.remind_tomorrow(BOB, entry.id)
    await ReflectionService(db, clock).save(ALICE, entry.id, {"went_well": "x"})
    with pytest.raises(UserFacingError, match="already reflected"):
        await service.remind_tomorrow(ALICE, entry.id)


def test_next_nudge_due_is_the_next_local_evening():
    now = datetime(2026, 11, 25, 15, tzinfo=UTC)
    assert next_nudge_due(now, "Asia/Tokyo") == datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert next_nudge_due(now, None) == datetime(2026, 11, 25, 18, tzinfo=UTC)


def test_every_nudge_wording_gives_the_weeks_figures_and_differs_from_the_last():
    assert len(set(NUDGE_TEXTS)) == len(NUDGE_TEXTS) >= 3
    assert all("{done} of {goal} applications" in text for text in NUDGE_TEXTS)
    rng = random.Random(1)
    last = None
    for _ in range(50):
        picked = pick_nudge_text(last, rng)
        assert picked != last
        last = picked
