"""SQL for when each kind of group nudge is posted in a server."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class NudgeSchedule:
    guild_id: int
    kind: str
    days: str          # "mon,thu": always the expanded list
    time: str          # "HH:MM" in the server's timezone
    enabled: bool
    updated_at: str


_COLUMNS = "guild_id, kind, days, time, enabled, updated_at"


def _row(row) -> NudgeSchedule:
    data = dict(row)
    data["enabled"] = bool(data["enabled"])
    return NudgeSchedule(**data)


class ScheduleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int, kind: str) -> NudgeSchedule | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM nudge_schedules WHERE guild_id = ? AND kind = ?",
            (guild_id, kind),
        )
        return _row(row) if row else None

    async def for_guild(self, guild_id: int) -> list[NudgeSchedule]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM nudge_schedules WHERE guild_id = ? ORDER BY kind", (guild_id,)
        )
        return [_row(r) for r in rows]

    async def all(self) -> list[NudgeSchedule]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM nudge_schedules ORDER BY guild_id, kind"
        )
        return [_row(r) for r in rows]

    async def active_with_timezone(self) -> list[tuple[NudgeSchedule, str]]:
        """Every enabled schedule of a server that has a support channel and is not paused,
        with the server's timezone: what a start-up arms, in one read."""
        rows = await self.db.fetchall(
            "SELECT s.guild_id, s.kind, s.days, s.time, s.enabled, s.updated_at, g.timezone"
            " FROM nudge_schedules s JOIN guild_config g ON g.guild_id = s.guild_id"
            " WHERE s.enabled = 1 AND g.support_channel_id IS NOT NULL"
            " AND g.paused_reason IS NULL ORDER BY s.guild_id, s.kind"
        )
        return [
            (NudgeSchedule(r[0], r[1], r[2], r[3], bool(r[4]), r[5]), r[6]) for r in rows
        ]

    async def save(self, tx: Transaction, schedule: NudgeSchedule) -> None:
        await tx.execute(
            f"INSERT INTO nudge_schedules ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, kind) DO UPDATE SET days = excluded.days,"
            " time = excluded.time, enabled = excluded.enabled, updated_at = excluded.updated_at",
            (schedule.guild_id, schedule.kind, schedule.days, schedule.time,
             int(schedule.enabled), schedule.updated_at),
        )

    async def add_if_missing(self, tx: Transaction, schedule: NudgeSchedule) -> None:
        await tx.execute(
            f"INSERT INTO nudge_schedules ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, kind) DO NOTHING",
            (schedule.guild_id, schedule.kind, schedule.days, schedule.time,
             int(schedule.enabled), schedule.updated_at),
        )

    async def touch_all(self, tx: Transaction, guild_id: int, now: str) -> None:
        """Mark every schedule of a server as edited now, so no earlier slot is caught up."""
        await tx.execute(
            "UPDATE nudge_schedules SET updated_at = ? WHERE guild_id = ?", (now, guild_id)
        )
