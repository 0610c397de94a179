"""SQL for logged job applications."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    user_id: int
    guild_id: int | None
    company: str
    role: str | None
    link: str | None
    applied_on: str
    created_at: str


_COLUMNS = "id, user_id, guild_id, company, role, link, applied_on, created_at"


class ApplicationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tx: Transaction, app: Application) -> int:
        return await tx.insert(
            "INSERT INTO applications (user_id, guild_id, company, role, link, applied_on,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (app.user_id, app.guild_id, app.company, app.role, app.link, app.applied_on,
             app.created_at),
        )

    async def count_between(self, user_id: int, first_day: str, last_day: str) -> int:
        """Applications applied on first_day..last_day inclusive (local YYYY-MM-DD)."""
        return int(await self.db.scalar(
            "SELECT COUNT(*) FROM applications WHERE user_id = ? AND applied_on BETWEEN ? AND ?",
            (user_id, first_day, last_day),
        ))

    async def get(self, application_id: int) -> Application | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM applications WHERE id = ?", (application_id,)
        )
        return Application(**dict(row)) if row else None
