"""/progress: a member's effort week by week, led by what they control.

Weeks run Monday to Sunday in the member's timezone (member_settings.timezone, UTC when
unset). Applications carry the local day they were made on; reflections and feedback
carry UTC instants, so each local week is turned into a UTC window before counting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.db.repositories.progress import ProgressRepository, Totals
from bot.i18n import N_, _, ngettext
from bot.services.dates import local_today, zone

CHART_WEEKS = 12
GRACE_EVERY = 4


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_window(monday: date, timezone: str | None) -> tuple[str, str]:
    """The local week starting on monday as [start, end) in the database's UTC text form.
    Computed per week, so a daylight-saving change inside the week is respected."""
    tz = zone(timezone)
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return to_db(start), to_db(end)


@dataclass(frozen=True, slots=True)
class Streak:
    weeks: int           # weeks that met the goal in the current run
    grace_used: int      # missed weeks forgiven inside the current run
    this_week_met: bool  # whether the week in progress already counts


def compute_streak(per_week: Mapping[date, int], goal: int, this_week: date) -> Streak:
    """The member's current streak of weeks meeting their weekly goal.

    Definition (weeks are Monday–Sunday in the member's timezone, keyed by their Monday):
      * A week *meets the goal* when its applications are at least `goal` (today's goal is
        applied to every week, also those before it was set: effort made earlier counts).
      * Walk forward week by week from the member's first week with an application up to
        last week:
          - a met week adds 1 to the streak;
          - a missed week is a *grace week* when at least GRACE_EVERY (4) met weeks came
            since the run began or since the previous grace week: the run goes on and keeps
            its count, but the grace week itself adds nothing;
          - any other missed week ends the run: the streak is back to 0.
        So one bad week never erases a month or more of effort, while two bad weeks in a
        row, or a bad week early in a run, do end it.
      * This week is still open: it adds 1 once it meets the goal and never ends the run.
        A missed last week can still be forgiven while this week is under way.
    """
    if goal < 1:
        raise ValueError("goal must be at least 1")
    earlier = [monday for monday, count in per_week.items() if count > 0 and monday < this_week]
    run = grace_used = since_grace = 0
    if earlier:
        week = min(earlier)
        while week < this_week:
            if per_week.get(week, 0) >= goal:
                run += 1
                since_grace += 1
            elif since_grace >= GRACE_EVERY:
                grace_used += 1
                since_grace = 0
            else:
                run = grace_used = since_grace = 0
            week += timedelta(days=7)
    this_week_met = per_week.get(this_week, 0) >= goal
    return Streak(weeks=run + (1 if this_week_met else 0), grace_used=grace_used,
                  this_week_met=this_week_met)


def goal_since(goal_set_at: str | None, timezone: str | None) -> date | None:
    """The Monday of the member's local week in which their goal was last set (None when
    that isn't known: a goal set before it was kept)."""
    if goal_set_at is None:
        return None
    return monday_of(local_today(from_db(goal_set_at), timezone))


def goal_applies(monday: date, since: date | None) -> bool:
    """Whether the week starting on monday is compared with the goal: only weeks from the one
    the goal was set in, so earlier weeks are never drawn as misses of a goal they didn't
    have. Unknown (None): every week, as before the goal's date was kept."""
    return since is None or monday >= since


@dataclass(frozen=True, slots=True)
class WeekPoint:
    monday: date
    applications: int
    reflections: int
    feedback_asked: int
    feedback_received: int
    goal_applies: bool = True   # False: the goal was set later; a plain effort bar

    @property
    def active(self) -> bool:
        return bool(self.applications or self.reflections or self.feedback_asked
                    or self.feedback_received)


@dataclass(frozen=True, slots=True)
class ProgressReport:
    today: date
    timezone: str
    goal: int | None
    streak: Streak | None                # None until a goal is set
    totals: Totals
    weeks: list[WeekPoint]               # the last CHART_WEEKS weeks, oldest first; the
                                         # last one is this week

    @property
    def this_week(self) -> WeekPoint:
        return self.weeks[-1]

    @property
    def is_new(self) -> bool:
        """Nothing logged at all: a friendly start instead of zeros and an empty chart."""
        t = self.totals
        return not (t.applications or t.rejections or t.reflections or t.feedback_asked
                    or t.feedback_received or t.interviews_won or t.offers)

    @property
    def only_rejections(self) -> bool:
        """Rejections and nothing else yet: no count leads, a kind next step does."""
        t = self.totals
        return bool(t.rejections) and not (
            t.applications or t.reflections or t.feedback_asked or t.feedback_received
            or t.interviews_won or t.offers)

    @property
    def has_chart(self) -> bool:
        return any(w.active for w in self.weeks)

    @property
    def chart_weeks(self) -> list[WeekPoint]:
        """The weeks to draw: from the first with anything in it, so weeks before the
        member started are not drawn as misses against a goal set later."""
        first = next((i for i, w in enumerate(self.weeks) if w.active), len(self.weeks) - 1)
        return self.weeks[first:]


ONLY_REJECTIONS = N_(
    "Logging a no takes honesty, and it's the first step. Next, you could:\n"
    "• **/reflect** on the latest one: five short questions, skip any you like.\n"
    "• **/feedback draft** to ask them what would make your next try stronger.\n"
    "• **/apply log** your next application; your week fills up here."
)


def only_rejections_text(report: ProgressReport) -> str:
    """For a member whose journal so far holds only rejections: what they can do next, and no
    count of their rejections."""
    lines = [_(ONLY_REJECTIONS)]
    if report.goal:
        lines.append(ngettext(
            "Your goal is one application a week: **/apply log** counts it.",
            "Your goal is {goal} applications a week: **/apply log** counts each one.",
            report.goal).format(goal=report.goal))
    return "\n".join(lines)


def summary_fields(report: ProgressReport) -> list[tuple[str, str]]:
    """(name, value) pairs in the order the member reads them: effort first, the things
    they control, then wins (interviews reached and offers); rejections last, as a plain
    count and never as a score. Lines whose numbers are all zero are left out."""
    week = report.this_week
    t = report.totals
    fields: list[tuple[str, str]] = []
    lines: list[str] = []
    if report.goal:
        left = report.goal - week.applications
        if week.applications == 0:
            lines.append(ngettext("Your goal: {count} application this week.",
                                  "Your goal: {count} applications this week.",
                                  report.goal).format(count=report.goal))
        elif left > 0:
            # Translators: this week's applications against the weekly goal, e.g.
            # "2 of 5 applications · 3 to go".
            lines.append(ngettext("{done} of {count} application · {left} to go",
                                  "{done} of {count} applications · {left} to go",
                                  report.goal).format(done=week.applications,
                                                      count=report.goal, left=left))
        else:
            lines.append(ngettext("{done} of {count} application · goal met",
                                  "{done} of {count} applications · goal met",
                                  report.goal).format(done=week.applications,
                                                      count=report.goal))
    elif week.applications:
        lines.append(ngettext(
            "{count} application. Set a weekly goal with /apply goal to see how you're pacing.",
            "{count} applications. Set a weekly goal with /apply goal to see how you're pacing.",
            week.applications).format(count=week.applications))
    else:
        lines.append(_("Set a weekly goal with /apply goal to see how you're pacing."))
    if t.applications:
        lines.append(ngettext("{count} application in total", "{count} applications in total",
                              t.applications).format(count=t.applications))
    # Translators: the name of a field of /progress.
    fields.append((_("This week"), "\n".join(lines)))

    if report.streak is None:
        streak = _("Set a weekly goal with /apply goal and your streak starts counting.")
    elif report.streak.weeks == 0:
        streak = _("Meet this week's goal to start a streak.")
    else:
        streak = ngettext("{count} week meeting your goal", "{count} weeks meeting your goal",
                          report.streak.weeks).format(count=report.streak.weeks)
        if report.streak.grace_used:
            forgiven = ngettext("{count} grace week forgiven", "{count} grace weeks forgiven",
                                report.streak.grace_used).format(count=report.streak.grace_used)
            # Translators: {streak} is e.g. "6 weeks meeting your goal", {forgiven} e.g.
            # "1 grace week forgiven"; a missed week is forgiven once per {every} met weeks.
            streak = _("{streak} ({forgiven}: one per {every} good weeks)").format(
                streak=streak, forgiven=forgiven, every=GRACE_EVERY)
        if not report.streak.this_week_met:
            streak += "\n" + _("This week can add one more.")
    fields.append((_("Streak"), streak))

    if t.reflections:
        # Translators: how many reflections the member has written.
        value = ngettext("{count} written", "{count} written", t.reflections).format(
            count=t.reflections)
        if week.reflections:
            value += " · " + ngettext("{count} this week", "{count} this week",
                                      week.reflections).format(count=week.reflections)
        fields.append((_("Reflections"), value))
    feedback = []
    if t.feedback_asked:
        # Translators: how many feedback requests the member has sent.
        feedback.append(ngettext("{count} asked", "{count} asked", t.feedback_asked)
                        .format(count=t.feedback_asked))
    if t.feedback_received:
        # Translators: how many times the member has received feedback.
        feedback.append(ngettext("{count} received", "{count} received", t.feedback_received)
                        .format(count=t.feedback_received))
    if feedback:
        fields.append((_("Feedback"), " · ".join(feedback)))
    wins = []
    if t.interviews_won:
        wins.append(ngettext("{count} interview reached", "{count} interviews reached",
                             t.interviews_won).format(count=t.interviews_won))
    if t.offers:
        wins.append(ngettext("{count} offer", "{count} offers", t.offers).format(count=t.offers))
    if wins:
        fields.append((_("Wins"), " · ".join(wins)))
    if t.interviews_reached:
        fields.append((_("Interviews reached"), ngettext(
            "{count} entry got to an interview", "{count} entries got to an interview",
            t.interviews_reached).format(count=t.interviews_reached)))
    if t.rejections:
        fields.append((_("Rejections logged"), f"{t.rejections}"))
    return fields


class ProgressService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = ProgressRepository(db)
        self.settings = MemberSettingsRepository(db)

    async def report(self, user_id: int) -> ProgressReport:
        prefs = await self.settings.get(user_id)
        timezone = prefs.timezone or "UTC"
        today = local_today(self.clock.now(), timezone)
        this_week = monday_of(today)
        mondays = [this_week - timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]

        per_week = {
            date.fromisoformat(monday): count
            for monday, count in (await self.repo.applications_per_week(user_id)).items()
        }
        activity = await self.repo.activity_per_window(
            user_id, [week_window(m, timezone) for m in mondays]
        )
        totals = await self.repo.totals(user_id)
        goal = prefs.weekly_goal if prefs.weekly_goal and prefs.weekly_goal > 0 else None
        since = goal_since(prefs.goal_set_at, timezone) if goal else None
        weeks = [
            WeekPoint(m, per_week.get(m, 0), a.reflections, a.feedback_asked,
                      a.feedback_received, goal_applies=bool(goal) and goal_applies(m, since))
            for m, a in zip(mondays, activity, strict=True)
        ]
        streak = compute_streak(per_week, goal, this_week) if goal else None
        return ProgressReport(today=today, timezone=timezone, goal=goal, streak=streak,
                              totals=totals, weeks=weeks)
