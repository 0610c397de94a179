import json
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
from bot.services.personal import MAX_ITEMS, PersonalDMService, in_quiet_hours, next_nudge_due
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


async def timers(db):
    rows = await db.fetchall("SELECT kind, subject_id, status, due_at FROM timers ORDER BY id")
    return [tuple(r) for r in rows]


async def test_prompt_fires_after_the_delay_exactly_once(db, clock):
    entry = await log(db, clock, stage="onsite")
    service = PersonalDMService(db, clock)
    assert await service.collect_due() == []
    assert await service.next_due_at() == datetime(2026, 11, 26, 15, tzinfo=UTC)
    clock.advance(timedelta(hours=24))
    [batch] = await service.collect_due()
    assert batch.user_id == ALICE
    assert [(i.kind, i.subject_id, i.entry.company) for i in batch.items] == [
        ("reflection_prompt", entry.id, "Acme")]
    assert batch.pauses == ("dm_prompts",)
    await service.record_delivered(batch)
    sent = ("reflection_prompt", entry.id, "sent", "2026-11-26T15:00:00+00:00")
    assert await timers(db) == [sent]
    assert (await MemberSettingsRepository(db).get(ALICE)).last_personal_dm_at == \
        "2026-11-26T15:00:00+00:00"
    assert await service.collect_due() == []
    await service.record_delivered(batch)   # recording twice never re-sends or re-counts
    assert await db.scalar("SELECT COUNT(*) FROM timers WHERE status = 'pending'") == 0


async def test_no_prompt_once_they_reflected_or_paused(db, clock):
    reflected = await log(db, clock, company="Reflected")
    paused = await log(db, clock, company="Paused")
    await ReflectionService(db, clock).save(ALICE, reflected.id, {"went_well": "ok"})
    clock.advance(timedelta(hours=25))
    await MemberSettingsService(db, clock).pause(ALICE, "dm_prompts")
    assert await PersonalDMService(db, clock).collect_due() == []
    assert [t[2] for t in await timers(db)] == ["cancelled", "cancelled"]
    assert paused.id in [t[1] for t in await timers(db)]


async def test_quiet_hours_hold_it_until_they_end(db, clock):
    # 22:00 UTC is 23:00 in Berlin, inside quiet hours 22:00-08:00.
    await prefs(db, clock, timezone="Europe/Berlin", quiet_start="22:00", quiet_end="08:00",
                reflection_delay_hours=7)
    await log(db, clock)
    clock.advance(timedelta(hours=7))
    service = PersonalDMService(db, clock)
    assert await service.collect_due() == []
    # It waits for 08:00 Berlin, which is 07:00 UTC.
    assert [t[2:] for t in await timers(db)] == [("pending", "2026-11-26T07:00:00+00:00")]
    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    [batch] = await service.collect_due()
    assert batch.items[0].kind == "reflection_prompt"


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
    service = PersonalDMService(db, clock)
    [batch] = await service.collect_due()
    await service.record_delivered(batch)
    second = await log(db, clock, company="Second")
    clock.advance(timedelta(hours=1))
    assert await service.collect_due() == []
    # Tomorrow 09:00 in New York = 14:00 UTC.
    assert (await timers(db))[-1] == ("reflection_prompt", second.id, "pending",
                                      "2026-11-26T14:00:00+00:00")
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=UTC))
    [batch] = await service.collect_due()
    assert [i.entry.company for i in batch.items] == ["Second"]


async def test_what_falls_due_together_is_merged_into_one_message(db, clock):
    await prefs(db, clock, personal_nudges=True, weekly_goal=7, reflection_delay_hours=0)
    asked = await log(db, clock, company="Asked")
    await FeedbackService(db, clock, followup_days=1).mark_sent(ALICE, asked.id)
    async with db.transaction() as tx:  # a nudge due at the same moment
        await TimerRepository(db).add(tx, user_id=ALICE, kind="personal_nudge", subject_id=None,
                                      due_at=to_db(clock.now() + timedelta(days=3)),
                                      created_at=to_db(clock.now()))
    clock.advance(timedelta(days=3))            # Saturday: 0 of 7 applications, 48 h passed
    [batch] = await PersonalDMService(db, clock).collect_due()
    assert [i.kind for i in batch.items] == ["reflection_prompt", "feedback_followup",
                                             "personal_nudge"]
    assert batch.items[1].requested_at == "2026-11-25T15:00:00+00:00"
    assert (batch.items[2].applications, batch.items[2].goal) == (0, 7)
    assert batch.pauses == ("dm_prompts", "personal_nudges")


async def test_too_many_at_once_the_rest_comes_tomorrow(db, clock):
    await prefs(db, clock, reflection_delay_hours=0)
    for i in range(MAX_ITEMS + 2):
        await log(db, clock, company=f"Co{i}")
    [batch] = await PersonalDMService(db, clock).collect_due()
    assert len(batch.items) == MAX_ITEMS
    assert [i.entry.company for i in batch.items] == ["Co0", "Co1", "Co2", "Co3"]
    rows = await db.fetchall("SELECT id, due_at FROM timers")
    waiting = [tuple(r) for r in rows if r[0] not in batch.timer_ids]
    assert len(waiting) == 2
    assert {due for _, due in waiting} == {"2026-11-26T09:00:00+00:00"}


async def add_applications(db, n, day="2026-11-23"):
    repo = ApplicationRepository(db)
    async with db.transaction() as tx:
        for i in range(n):
            await repo.add(tx, Application(0, ALICE, None, f"Co{i}", None, None, day, "x"))


async def nudges_on(db, clock, goal=7):
    await prefs(db, clock, weekly_goal=goal)
    await MemberSettingsService(db, clock).update(ALICE, personal_nudges=True)


async def test_nudge_only_when_behind_and_next_one_tomorrow(db, clock):
    await nudges_on(db, clock, goal=7)
    await add_applications(db, 2)                 # Wednesday: 3 expected by tonight
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    service = PersonalDMService(db, clock)
    [batch] = await service.collect_due()
    assert [(i.kind, i.applications, i.goal) for i in batch.items] == [("personal_nudge", 2, 7)]
    assert batch.pauses == ("personal_nudges",)
    await service.record_delivered(batch)
    assert [t[2:] for t in await timers(db)] == [
        ("sent", "2026-11-25T18:00:00+00:00"), ("pending", "2026-11-26T18:00:00+00:00")]


async def test_no_nudge_when_on_track_or_just_rejected(db, clock):
    await nudges_on(db, clock, goal=7)
    await add_applications(db, 3)
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    service = PersonalDMService(db, clock)
    assert await service.collect_due() == []
    assert [t[2:] for t in await timers(db)] == [("pending", "2026-11-26T18:00:00+00:00")]
    # Thursday: 4 expected, 3 done — behind, but a rejection was logged 30 h ago.
    await prefs(db, clock, dm_prompts=False, weekly_goal=7, personal_nudges=True)
    clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await log(db, clock)
    clock.set(datetime(2026, 11, 26, 18, 0, tzinfo=UTC))
    assert await service.collect_due() == []
    assert (await timers(db))[-1][2:] == ("pending", "2026-11-27T18:00:00+00:00")
    clock.set(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    [batch] = await service.collect_due()
    assert batch.items[0].kind == "personal_nudge"


async def test_dms_closed_keeps_a_notice_to_show_later(db, clock):
    entry = await log(db, clock)
    clock.advance(timedelta(hours=24))
    service = PersonalDMService(db, clock)
    [batch] = await service.collect_due()
    await service.record_undeliverable(batch, "A prompt about #1")
    assert (await timers(db))[0][2] == "sent"
    [notice] = await service.unshown_notices(ALICE)
    assert notice.content == "A prompt about #1"
    assert notice.items == (("reflection_prompt", entry.id),)
    stored = json.loads(await db.scalar("SELECT body FROM pending_notices"))
    assert stored["items"] == [{"kind": "reflection_prompt", "subject_id": entry.id}]
    assert await service.unshown_notices(BOB) == []
    await service.mark_notice_shown(notice)
    assert await service.unshown_notices(ALICE) == [] and not await service.has_notices(ALICE)


async def test_failed_send_is_retried_later(db, clock):
    await log(db, clock)
    clock.advance(timedelta(hours=24))
    service = PersonalDMService(db, clock)
    [batch] = await service.collect_due()
    await service.postpone(batch.timer_ids)
    assert await service.collect_due() == []
    assert await service.next_due_at() == datetime(2026, 11, 26, 15, 10, tzinfo=UTC)


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
