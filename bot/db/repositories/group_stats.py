"""Aggregates for a server's group posts: totals only, never a per-member figure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database


@dataclass(frozen=True, slots=True)
class WeekEffort:
    applications: int
    members_at_goal: int


@dataclass(frozen=True, slots=True)
class DigestTotals:
    applications: int
    reflections: int
    feedback_requests: int
    shared_rejections: int
    named_sharers: tuple[int, ...]  # active this week and shared a rejection named here
    interviews: int = 0             # applications logged here that reached interviewing
    offers: int = 0                 # ... and offers, both in the period: the group's wins
    named_winners: tuple[int, ...] = ()  # shared their good news here by name in the period


class GroupStatsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def week_effort(self, guild_id: int, first_day: str, last_day: str) -> WeekEffort:
        """Applications logged in this server on first_day..last_day (local dates), and how many
        members reached their weekly goal counting what they logged here."""
        applications = int(await self.db.scalar(
            "SELECT COUNT(*) FROM applications WHERE guild_id = ? AND applied_on BETWEEN ? AND ?",
            (guild_id, first_day, last_day),
        ))
        at_goal = int(await self.db.scalar(
            "SELECT COUNT(*) FROM (SELECT a.user_id FROM applications a"
            " JOIN member_settings m ON m.user_id = a.user_id"
            " WHERE a.guild_id = ? AND a.applied_on BETWEEN ? AND ? AND m.weekly_goal IS NOT NULL"
            " GROUP BY a.user_id, m.weekly_goal HAVING COUNT(*) >= m.weekly_goal) AS at_goal",
            (guild_id, first_day, last_day),
        ))
        return WeekEffort(applications=applications, members_at_goal=at_goal)

    async def digest(
        self, guild_id: int, *, since: str, first_day: str, last_day: str
    ) -> DigestTotals:
        """Totals for the last week: `since` bounds instants (UTC text), first_day..last_day the
        local dates of applications. Only what members logged or shared in this server counts."""
        applications = int(await self.db.scalar(
            "SELECT COUNT(*) FROM applications WHERE guild_id = ? AND applied_on BETWEEN ? AND ?",
            (guild_id, first_day, last_day),
        ))
        reflections = int(await self.db.scalar(
            "SELECT COUNT(*) FROM reflections f JOIN rejections r ON r.id = f.rejection_id"
            " WHERE r.guild_id = ? AND f.updated_at >= ?",
            (guild_id, since),
        ))
        feedback = int(await self.db.scalar(
            "SELECT COUNT(*) FROM feedback_requests f JOIN rejections r ON r.id = f.rejection_id"
            " WHERE r.guild_id = ? AND f.sent_at >= ?",
            (guild_id, since),
        ))
        shared = int(await self.db.scalar(
            "SELECT COUNT(*) FROM shares WHERE guild_id = ? AND created_at >= ?",
            (guild_id, since),
        ))
        # Named only with consent: members who shared a rejection with their name in this
        # server, and who did something here this week.
        named = await self.db.fetchall(
            "SELECT s.user_id FROM shares s WHERE s.guild_id = ? AND s.named = 1"
            " GROUP BY s.user_id HAVING MAX(s.created_at) >= ?"
            " OR s.user_id IN (SELECT user_id FROM applications WHERE guild_id = ?"
            "                  AND applied_on BETWEEN ? AND ?)"
            " OR s.user_id IN (SELECT f.user_id FROM reflections f"
            "                  JOIN rejections r ON r.id = f.rejection_id"
            "                  WHERE r.guild_id = ? AND f.updated_at >= ?)"
            " ORDER BY MIN(s.created_at)",
            (guild_id, since, guild_id, first_day, last_day, guild_id, since),
        )
        wins = {status: int(await self.db.scalar(
            "SELECT COUNT(DISTINCT h.application_id) FROM application_status_history h"
            " JOIN applications a ON a.id = h.application_id"
            " WHERE a.guild_id = ? AND h.status = ? AND h.changed_on BETWEEN ? AND ?",
            (guild_id, status, first_day, last_day),
        )) for status in ("interviewing", "offer")}
        winners = await self.db.fetchall(
            "SELECT user_id FROM win_shares WHERE guild_id = ? AND named = 1"
            " AND message_id IS NOT NULL AND created_at >= ?"
            " GROUP BY user_id ORDER BY MIN(created_at)",
            (guild_id, since),
        )
        return DigestTotals(
            applications=applications, reflections=reflections, feedback_requests=feedback,
            shared_rejections=shared, named_sharers=tuple(int(r[0]) for r in named),
            interviews=wins["interviewing"], offers=wins["offer"],
            named_winners=tuple(int(r[0]) for r in winners),
        )
