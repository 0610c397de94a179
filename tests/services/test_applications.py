"""Logging applications against a weekly goal."""

import pytest

from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.errors import InvalidInput
from bot.services.applications import ApplicationService

ALICE, BOB = 1001, 1002


async def test_log_stores_the_application_and_counts_this_week(db, clock):
    apps = ApplicationService(db, clock)
    logged = await apps.log(user_id=ALICE, guild_id=5, company=" Acme ", role="Backend",
                            link="https://jobs.example.com/42", date="yesterday")
    app = logged.application
    assert (app.company, app.role, app.link, app.applied_on, app.guild_id) == (
        "Acme", "Backend", "https://jobs.example.com/42", "2026-11-24", 5)
    assert logged.in_this_week
    assert (logged.week.first_day.isoformat(), logged.week.last_day.isoformat()) == (
        "2026-11-23", "2026-11-29")
    assert logged.week.applications == 1 and logged.week.goal is None


async def test_progress_toward_the_goal(db, clock):
    apps = ApplicationService(db, clock)
    week = await apps.set_goal(ALICE, 3)
    assert (week.applications, week.goal, week.goal_met) == (0, 3, False)
    for company in ["A", "B", "C"]:
        logged = await apps.log(user_id=ALICE, guild_id=None, company=company)
    assert (logged.week.applications, logged.week.goal_met) == (3, True)
    # Another member's applications and earlier weeks don't count.
    await apps.log(user_id=BOB, guild_id=None, company="D")
    older = await apps.log(user_id=ALICE, guild_id=None, company="E", date="2026-11-20")
    assert not older.in_this_week
    assert older.week.applications == 3


async def test_the_week_is_the_members_local_week(db, clock):
    # Wed 15:00 UTC; a member in Kiritimati (UTC+14) is already on Thursday; one logged on
    # "today" there still lands in the same Monday–Sunday week.
    repo = MemberSettingsRepository(db)
    async with db.transaction() as tx:
        await repo.save(tx, (await repo.get(ALICE)).with_changes(
            timezone="Pacific/Kiritimati", updated_at="x"))
    clock.set(clock.now().replace(day=29, hour=11))     # Sun 11:00 UTC = Mon 01:00 there
    logged = await ApplicationService(db, clock).log(user_id=ALICE, guild_id=None, company="A")
    assert logged.application.applied_on == "2026-11-30"
    assert logged.week.first_day.isoformat() == "2026-11-30"


@pytest.mark.parametrize("options, words", [
    ({"company": "  "}, "can't be empty"),
    ({"company": "A", "link": "ftp://example.com"}, "http:// or https://"),
    ({"company": "A", "link": "javascript:alert(1)"}, "http:// or https://"),
    ({"company": "A", "link": "https://"}, "http:// or https://"),
    ({"company": "A", "link": "https://x.com/" + "a" * 500}, "under 500"),
    ({"company": "A", "date": "tomorrow"}, "future"),
    ({"company": "A", "role": "r" * 101}, "under 100"),
])
async def test_bad_input_is_refused_and_nothing_stored(db, clock, options, words):
    with pytest.raises(InvalidInput, match=words):
        await ApplicationService(db, clock).log(user_id=ALICE, guild_id=None, **options)
    assert await db.scalar("SELECT COUNT(*) FROM applications") == 0


@pytest.mark.parametrize("goal", [0, 101, -3])
async def test_goal_outside_1_to_100_is_refused(db, clock, goal):
    with pytest.raises(InvalidInput, match="between 1 and 100"):
        await ApplicationService(db, clock).set_goal(ALICE, goal)
    assert (await MemberSettingsRepository(db).get(ALICE)).weekly_goal is None


async def test_goal_is_kept_in_member_settings(db, clock):
    await ApplicationService(db, clock).set_goal(ALICE, 12)
    assert (await MemberSettingsRepository(db).get(ALICE)).weekly_goal == 12


async def test_setting_a_goal_remembers_when_and_an_unchanged_goal_keeps_that_date(db, clock):
    from datetime import timedelta

    from bot.clock import to_db
    apps, repo = ApplicationService(db, clock), MemberSettingsRepository(db)
    await apps.set_goal(ALICE, 5)
    first = to_db(clock.now())
    assert (await repo.get(ALICE)).goal_set_at == first
    clock.advance(timedelta(days=8))
    await apps.set_goal(ALICE, 5)
    assert (await repo.get(ALICE)).goal_set_at == first
    await apps.set_goal(ALICE, 3)
    stored = await db.scalar("SELECT goal_set_at FROM member_settings WHERE user_id = ?",
                             (ALICE,))
    assert stored == to_db(clock.now()) != first


async def test_clearing_the_goal_clears_when_it_was_set(db, clock):
    repo = MemberSettingsRepository(db)
    await ApplicationService(db, clock).set_goal(ALICE, 4)
    async with db.transaction() as tx:
        await repo.save(tx, (await repo.get(ALICE)).with_changes(weekly_goal=None))
    prefs = await repo.get(ALICE)
    assert prefs.weekly_goal is None and prefs.goal_set_at is None
