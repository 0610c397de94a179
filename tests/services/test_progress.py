from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.services.progress import (
    ProgressService,
    compute_streak,
    monday_of,
    summary_fields,
    week_window,
)

ALICE, BOB = 1001, 1002
MON = date(2026, 11, 23)   # the Monday of the conftest clock's week (Wed 2026-11-25)


# Seeding straight into the schema tables -------------------------------------------------

async def set_prefs(db, user_id, *, goal=None, timezone=None):
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_settings (user_id, timezone, weekly_goal, updated_at)"
            " VALUES (?, ?, ?, 'x')",
            (user_id, timezone, goal),
        )


async def add_applications(db, user_id, day, n=1):
    async with db.transaction() as tx:
        for i in range(n):
            await tx.execute(
                "INSERT INTO applications (user_id, company, applied_on, created_at)"
                " VALUES (?, ?, ?, ?)",
                (user_id, f"Co{i}", str(day), f"{day}T12:00:00+00:00"),
            )


async def add_rejection(db, user_id, stage=None, on="2026-11-20"):
    async with db.transaction() as tx:
        return await tx.insert(
            "INSERT INTO rejections (user_id, company, stage, occurred_on, created_at)"
            " VALUES (?, 'Acme', ?, ?, ?)",
            (user_id, stage, on, f"{on}T10:00:00+00:00"),
        )


async def add_reflection(db, user_id, at: str):
    rejection_id = await add_rejection(db, user_id)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO reflections (rejection_id, user_id, struggled, created_at, updated_at)"
            " VALUES (?, ?, 'system design', ?, ?)",
            (rejection_id, user_id, at, at),
        )


async def add_feedback(db, user_id, sent_at=None, received_at=None):
    rejection_id = await add_rejection(db, user_id)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, received_at,"
            " feedback_text, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (rejection_id, user_id, sent_at, received_at,
             "More depth on caching." if received_at else None, sent_at or "2026-11-01"),
        )


def weeks_before(this_monday: date, pattern: list[int]) -> dict[date, int]:
    """pattern[-1] is last week, pattern[-2] the week before, and so on."""
    return {this_monday - timedelta(weeks=len(pattern) - i): n for i, n in enumerate(pattern)}


# The streak -----------------------------------------------------------------------------

def test_streak_counts_consecutive_met_weeks_and_this_week_once_met():
    per_week = weeks_before(MON, [1, 5, 5, 6])
    assert compute_streak(per_week, 5, MON).weeks == 3
    per_week[MON] = 5
    streak = compute_streak(per_week, 5, MON)
    assert (streak.weeks, streak.grace_used, streak.this_week_met) == (4, 0, True)


def test_open_week_below_goal_never_breaks_the_streak():
    per_week = weeks_before(MON, [5, 5]) | {MON: 1}
    streak = compute_streak(per_week, 5, MON)
    assert (streak.weeks, streak.this_week_met) == (2, False)


def test_one_bad_week_after_four_good_ones_is_forgiven():
    per_week = weeks_before(MON, [5, 5, 5, 5, 2, 5])
    streak = compute_streak(per_week, 5, MON)
    assert (streak.weeks, streak.grace_used) == (5, 1)


def test_a_bad_week_before_four_good_ones_ends_the_run():
    per_week = weeks_before(MON, [5, 5, 5, 0, 5, 5])
    assert compute_streak(per_week, 5, MON).weeks == 2
    assert compute_streak(per_week, 5, MON).grace_used == 0


def test_two_bad_weeks_in_a_row_end_even_a_long_run():
    per_week = weeks_before(MON, [5] * 10 + [0, 0, 5])
    streak = compute_streak(per_week, 5, MON)
    assert (streak.weeks, streak.grace_used) == (1, 0)


def test_each_grace_week_needs_four_new_good_weeks():
    # 4 good, miss (forgiven), 3 good, miss (not forgiven: only 3 since the last grace).
    per_week = weeks_before(MON, [5, 5, 5, 5, 0, 5, 5, 5, 0, 5])
    assert compute_streak(per_week, 5, MON).weeks == 1
    # 4 good, miss, 4 good, miss: both forgiven, months of effort kept.
    per_week = weeks_before(MON, [5, 5, 5, 5, 0, 5, 5, 5, 5, 0])
    streak = compute_streak(per_week, 5, MON)
    assert (streak.weeks, streak.grace_used) == (8, 2)


def test_last_week_missed_is_forgiven_while_this_week_is_under_way():
    per_week = weeks_before(MON, [6, 6, 6, 6, 1]) | {MON: 2}
    streak = compute_streak(per_week, 5, MON)
    assert (streak.weeks, streak.grace_used, streak.this_week_met) == (4, 1, False)


def test_streak_is_zero_without_history_and_weeks_with_no_applications_are_misses():
    assert compute_streak({}, 3, MON).weeks == 0
    # A gap of silent weeks (no rows at all) counts as missed weeks.
    per_week = {MON - timedelta(weeks=6): 3, MON - timedelta(weeks=5): 3}
    assert compute_streak(per_week, 3, MON).weeks == 0


def test_streak_runs_across_the_iso_year_end():
    # 2026 has 53 ISO weeks: Mon 2026-12-28 .. Sun 2027-01-03 is 2026-W53.
    this_week = date(2027, 1, 11)
    per_week = {date(2026, 12, 14): 4, date(2026, 12, 21): 4, date(2026, 12, 28): 4,
                date(2027, 1, 4): 4}
    assert date(2026, 12, 28).isocalendar()[:2] == (2026, 53)
    assert compute_streak(per_week, 4, this_week).weeks == 4


def test_goal_below_one_is_refused():
    with pytest.raises(ValueError):
        compute_streak({}, 0, MON)


# Weeks in the member's timezone ---------------------------------------------------------

def test_week_window_is_local_midnight_to_midnight_and_follows_daylight_saving():
    # Europe/Berlin leaves summer time on Sunday 2026-10-25: that week is 169 hours long.
    assert week_window(date(2026, 10, 19), "Europe/Berlin") == (
        "2026-10-18T22:00:00+00:00", "2026-10-25T23:00:00+00:00")
    assert week_window(MON, "America/Los_Angeles") == (
        "2026-11-23T08:00:00+00:00", "2026-11-30T08:00:00+00:00")
    assert week_window(MON, None) == ("2026-11-23T00:00:00+00:00", "2026-11-30T00:00:00+00:00")


def test_monday_of_across_year_end():
    assert monday_of(date(2027, 1, 3)) == date(2026, 12, 28)   # Sunday of 2026-W53
    assert monday_of(date(2027, 1, 4)) == date(2027, 1, 4)
    assert monday_of(date(2026, 12, 31)) == date(2026, 12, 28)


async def test_reflections_fall_in_the_members_local_week(db):
    # Sun 2026-11-22 23:30 UTC is already Monday in Berlin, still Sunday in Los Angeles.
    clock = FixedClock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    await set_prefs(db, ALICE, timezone="Europe/Berlin")
    await set_prefs(db, BOB, timezone="America/Los_Angeles")
    for user in (ALICE, BOB):
        await add_reflection(db, user, "2026-11-22T23:30:00+00:00")
        # Mon 2026-11-23 07:30 UTC: Monday in Berlin, still Sunday 23:30 in Los Angeles.
        await add_reflection(db, user, "2026-11-23T07:30:00+00:00")
    alice = await ProgressService(db, clock).report(ALICE)
    bob = await ProgressService(db, clock).report(BOB)
    assert alice.this_week.monday == bob.this_week.monday == MON
    assert [w.reflections for w in alice.weeks[-2:]] == [0, 2]
    assert [w.reflections for w in bob.weeks[-2:]] == [2, 0]


async def test_today_and_this_week_follow_the_timezone_at_a_week_boundary(db):
    # Sunday 2026-11-29 23:30 UTC is Monday 00:30 in Berlin: a new week there.
    clock = FixedClock(datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    await set_prefs(db, ALICE, goal=2, timezone="Europe/Berlin")
    await set_prefs(db, BOB, goal=2)
    for user in (ALICE, BOB):
        await add_applications(db, user, date(2026, 11, 29), n=2)
    alice = await ProgressService(db, clock).report(ALICE)
    bob = await ProgressService(db, clock).report(BOB)
    assert (alice.today, alice.this_week.monday) == (date(2026, 11, 30), date(2026, 11, 30))
    assert (alice.this_week.applications, alice.weeks[-2].applications) == (0, 2)
    assert (bob.today, bob.this_week.monday) == (date(2026, 11, 29), MON)
    assert bob.this_week.applications == 2
    assert alice.streak.weeks == bob.streak.weeks == 1


async def test_applications_group_by_week_around_the_year_end(db):
    clock = FixedClock(datetime(2027, 1, 6, 12, 0, tzinfo=UTC))   # Wednesday of 2027-W01
    await set_prefs(db, ALICE, goal=3, timezone="Pacific/Auckland")
    await add_applications(db, ALICE, date(2026, 12, 27), n=3)   # Sunday of 2026-W52
    await add_applications(db, ALICE, date(2026, 12, 28))        # Monday of 2026-W53
    await add_applications(db, ALICE, date(2026, 12, 31))
    await add_applications(db, ALICE, date(2027, 1, 3))          # Sunday of 2026-W53
    await add_applications(db, ALICE, date(2027, 1, 4), n=2)     # Monday of 2027-W01
    report = await ProgressService(db, clock).report(ALICE)
    assert report.today == date(2027, 1, 7)   # already Thursday in Auckland
    assert [(w.monday, w.applications) for w in report.weeks[-3:]] == [
        (date(2026, 12, 21), 3), (date(2026, 12, 28), 3), (date(2027, 1, 4), 2)]
    assert len(report.weeks) == 12
    assert report.weeks[0].monday == date(2026, 10, 19)
    assert (report.streak.weeks, report.streak.this_week_met) == (2, False)


# The report -----------------------------------------------------------------------------

async def test_report_counts_effort_interviews_and_only_the_members_own_rows(db, clock):
    await set_prefs(db, ALICE, goal=5)
    await add_applications(db, ALICE, date(2026, 11, 24), n=3)
    await add_applications(db, ALICE, date(2026, 11, 10), n=2)
    for stage in ("application", "recruiter-screen", "phone-screen", "onsite", "final", None):
        await add_rejection(db, ALICE, stage)
    await add_reflection(db, ALICE, "2026-11-24T09:00:00+00:00")
    await add_reflection(db, ALICE, "2026-11-02T09:00:00+00:00")
    await add_feedback(db, ALICE, sent_at="2026-11-24T10:00:00+00:00",
                       received_at="2026-11-25T10:00:00+00:00")
    await add_feedback(db, ALICE, sent_at="2026-11-12T10:00:00+00:00")
    await add_feedback(db, ALICE)   # drafted, never sent: not "asked"
    # Bob's busy month must not leak into Alice's numbers.
    await set_prefs(db, BOB, goal=1)
    await add_applications(db, BOB, date(2026, 11, 24), n=7)
    await add_rejection(db, BOB, "onsite")
    await add_reflection(db, BOB, "2026-11-24T09:00:00+00:00")
    await add_feedback(db, BOB, sent_at="2026-11-24T10:00:00+00:00",
                       received_at="2026-11-24T11:00:00+00:00")

    report = await ProgressService(db, clock).report(ALICE)
    t = report.totals
    assert (t.applications, t.reflections, t.feedback_asked, t.feedback_received) == (5, 2, 2, 1)
    # Rejections: 6 logged directly + 2 behind reflections + 3 behind feedback requests.
    assert t.rejections == 11
    assert t.interviews_reached == 3        # phone-screen, onsite, final
    week = report.this_week
    assert (week.monday, week.applications, week.reflections, week.feedback_asked,
            week.feedback_received) == (MON, 3, 1, 1, 1)
    assert report.goal == 5 and report.streak.weeks == 0
    assert not report.is_new and report.has_chart


async def test_fields_lead_with_effort_and_end_with_rejections(db, clock):
    await set_prefs(db, ALICE, goal=4)
    await add_applications(db, ALICE, date(2026, 11, 24), n=4)
    await add_rejection(db, ALICE, "onsite")
    fields = summary_fields(await ProgressService(db, clock).report(ALICE))
    names = [name for name, _ in fields]
    # Nothing reflected, asked or won yet: those lines are left out, not shown as zeros.
    assert names == ["This week", "Streak", "Interviews reached", "Rejections logged"]
    values = dict(fields)
    assert values["This week"].startswith("4 of 4 applications · goal met")
    assert values["Streak"].startswith("1 week meeting your goal")
    assert values["Interviews reached"] == "1 entry got to an interview"
    assert values["Rejections logged"] == "1"


async def test_without_a_goal_the_member_is_pointed_to_apply_goal(db, clock):
    await add_applications(db, ALICE, date(2026, 11, 24), n=2)
    report = await ProgressService(db, clock).report(ALICE)
    assert report.goal is None and report.streak is None
    values = dict(summary_fields(report))
    assert "/apply goal" in values["This week"]
    assert "/apply goal" in values["Streak"]


async def test_grace_week_is_explained(db, clock):
    await set_prefs(db, ALICE, goal=1)
    for weeks_ago, n in [(6, 1), (5, 1), (4, 1), (3, 1), (2, 0), (1, 1)]:
        if n:
            await add_applications(db, ALICE, MON - timedelta(weeks=weeks_ago))
    report = await ProgressService(db, clock).report(ALICE)
    assert (report.streak.weeks, report.streak.grace_used) == (5, 1)
    streak_text = dict(summary_fields(report))["Streak"]
    assert "5 weeks meeting your goal (1 grace week forgiven" in streak_text
    assert "This week can add one more." in streak_text


async def test_a_new_member_is_new_and_old_history_has_no_chart(db, clock):
    report = await ProgressService(db, clock).report(ALICE)
    assert report.is_new and not report.has_chart
    assert len(report.weeks) == 12 and report.this_week.monday == MON
    await add_applications(db, ALICE, date(2025, 3, 3))
    report = await ProgressService(db, clock).report(ALICE)
    assert not report.is_new and not report.has_chart


async def test_only_rejections_gets_a_kind_next_step_and_no_count(db, clock):
    from bot.services.progress import only_rejections_text
    await set_prefs(db, ALICE, goal=10)
    await add_rejection(db, ALICE, "application")
    await add_rejection(db, ALICE, "onsite")
    report = await ProgressService(db, clock).report(ALICE)
    assert report.only_rejections
    text = only_rejections_text(report)
    assert "/reflect" in text and "/apply log" in text and "10 applications a week" in text
    assert "2" not in text and "0 of" not in text and "ejection" not in text


async def test_zero_lines_are_left_out_and_the_chart_starts_with_the_first_active_week(db, clock):
    await set_prefs(db, ALICE, goal=3)
    await add_applications(db, ALICE, date(2026, 11, 17), n=1)
    report = await ProgressService(db, clock).report(ALICE)
    values = dict(summary_fields(report))
    assert values["This week"].startswith("Your goal: 3 applications this week.")
    assert "1 application in total" in values["This week"]
    assert not any(v.startswith("0 ") or " 0 " in v for v in values.values())
    assert [w.monday for w in report.chart_weeks] == [date(2026, 11, 16), date(2026, 11, 23)]


# The goal covers only the weeks since it was set ------------------------------------------

def test_goal_since_is_the_monday_of_the_members_local_week():
    from bot.services.progress import goal_since
    assert goal_since(None, "UTC") is None
    assert goal_since("2026-11-25T10:00:00+00:00", None) == MON
    # Sunday evening in UTC is already Monday in Kiritimati (UTC+14).
    assert goal_since("2026-11-22T20:00:00+00:00", "UTC") == date(2026, 11, 16)
    assert goal_since("2026-11-22T20:00:00+00:00", "Pacific/Kiritimati") == MON


def test_goal_applies_from_the_week_it_was_set_and_everywhere_when_unknown():
    from bot.services.progress import goal_applies
    assert not goal_applies(MON - timedelta(weeks=1), MON)
    assert goal_applies(MON, MON) and goal_applies(MON + timedelta(weeks=1), MON)
    assert goal_applies(MON - timedelta(weeks=10), None)


async def test_a_goal_set_this_week_is_not_compared_with_earlier_weeks(db, clock):
    from bot.services.applications import ApplicationService
    for weeks_ago in (3, 2, 1):
        await add_applications(db, ALICE, MON - timedelta(weeks=weeks_ago), n=weeks_ago)
    await add_applications(db, ALICE, MON + timedelta(days=1), n=1)
    await ApplicationService(db, clock).set_goal(ALICE, 4)
    report = await ProgressService(db, clock).report(ALICE)
    drawn = report.chart_weeks
    assert [w.monday for w in drawn] == [MON - timedelta(weeks=n) for n in (3, 2, 1, 0)]
    # Three weeks of effort before the goal existed: plain bars, never misses of it.
    assert [w.goal_applies for w in drawn] == [False, False, False, True]
    assert report.goal == 4


async def test_a_goal_from_before_its_date_was_kept_covers_every_week(db, clock):
    await set_prefs(db, ALICE, goal=2)
    await add_applications(db, ALICE, MON - timedelta(weeks=2), n=1)
    report = await ProgressService(db, clock).report(ALICE)
    assert all(w.goal_applies for w in report.chart_weeks)
    await add_applications(db, BOB, MON - timedelta(weeks=2), n=1)
    assert not any(w.goal_applies for w in (await ProgressService(db, clock).report(BOB)).weeks)
