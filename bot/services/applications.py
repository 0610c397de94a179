"""Logging applications against a weekly goal: habit 5, keep applying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from bot.clock import Clock, to_db
from bot.db.connection import Database, SyncTransaction
from bot.db.repositories.applications import Application, ApplicationRepository
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.errors import InvalidInput
from bot.services import text
from bot.services.dates import local_today, parse_day

GOAL_MIN, GOAL_MAX = 1, 100


@dataclass(frozen=True, slots=True)
class WeekProgress:
    first_day: date          # Monday of the member's current local week
    last_day: date           # its Sunday
    applications: int
    goal: int | None

    @property
    def goal_met(self) -> bool:
        return self.goal is not None and self.applications >= self.goal


@dataclass(frozen=True, slots=True)
class LoggedApplication:
    application: Application
    week: WeekProgress
    in_this_week: bool       # False when the date given falls in an earlier week


def clean_link(value: str | None) -> str | None:
    link = text.clean_optional(value, "link", text.LINK_MAX)
    if link is None:
        return None
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in link:
        raise InvalidInput("The link must be a web address starting with http:// or https://.")
    return link


def _week_around(today: date) -> tuple[date, date]:
    """The Monday and Sunday of the week holding `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


class ApplicationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.applications = ApplicationRepository(db)
        self.settings = MemberSettingsRepository(db)

    async def log(
        self, *, user_id: int, guild_id: int | None, company: str, role: str | None = None,
        link: str | None = None, date: str | None = None,
    ) -> LoggedApplication:
        now = self.clock.now()
        company = text.clean_required(company, "company", text.COMPANY_MAX)
        role = text.clean_optional(role, "role", text.ROLE_MAX)
        link = clean_link(link)

        def write(tx: SyncTransaction) -> LoggedApplication:
            # One trip to the database thread: the member's settings (read once, for the date
            # and the week), the application, the stored row and the week's count with it.
            prefs = self.settings.get_sync(tx, user_id)
            day = parse_day(date, now, prefs.timezone)
            stored = self.applications.add_sync(tx, Application(
                id=0, user_id=user_id, guild_id=guild_id, company=company, role=role, link=link,
                applied_on=day.isoformat(), created_at=to_db(now),
            ))
            monday, sunday = _week_around(local_today(now, prefs.timezone))
            count = self.applications.count_between_sync(
                tx, user_id, monday.isoformat(), sunday.isoformat()
            )
            week = WeekProgress(first_day=monday, last_day=sunday, applications=count,
                                goal=prefs.weekly_goal)
            return LoggedApplication(application=stored, week=week,
                                     in_this_week=day >= week.first_day)

        return await self.db.run(write)

    async def set_goal(self, user_id: int, per_week: int) -> WeekProgress:
        if not GOAL_MIN <= per_week <= GOAL_MAX:
            raise InvalidInput(f"The weekly goal must be between {GOAL_MIN} and {GOAL_MAX}.")
        prefs = await self.settings.get(user_id)
        async with self.db.transaction() as tx:
            await self.settings.save(
                tx, prefs.with_changes(weekly_goal=per_week, updated_at=to_db(self.clock.now()))
            )
        return await self.week(user_id)

    async def week(self, user_id: int) -> WeekProgress:
        """This local Monday–Sunday week for the member, with every application they logged."""
        prefs = await self.settings.get(user_id)
        monday, sunday = _week_around(local_today(self.clock.now(), prefs.timezone))
        count = await self.applications.count_between(
            user_id, monday.isoformat(), sunday.isoformat()
        )
        return WeekProgress(first_day=monday, last_day=sunday, applications=count,
                            goal=prefs.weekly_goal)
