"""SQL for logged job applications."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, SyncTransaction, Transaction


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
_INSERT = (
    "INSERT INTO applications (user_id, guild_id, company, role, link, applied_on, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_RETURNING = f"{_INSERT} RETURNING {_COLUMNS}"
_GET = f"SELECT {_COLUMNS} FROM applications WHERE id = ?"
_COUNT_BETWEEN = (
    "SELECT COUNT(*) FROM applications WHERE user_id = ? AND applied_on BETWEEN ? AND ?"
)


def _insert_params(app: Application) -> tuple:
    return (app.user_id, app.guild_id, app.company, app.role, app.link, app.applied_on,
            app.created_at)


class ApplicationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tx: Transaction, app: Application) -> int:
        return await tx.insert(_INSERT, _insert_params(app))

    @staticmethod
    def add_sync(tx: SyncTransaction, app: Application) -> Application:
        """`add` inside `Database.run`; returns the row as stored, in the same statement."""
        (row,) = tx.fetchall(_INSERT_RETURNING, _insert_params(app))
        return Application(**dict(row))

    async def count_between(self, user_id: int, first_day: str, last_day: str) -> int:
        """Applications applied on first_day..last_day inclusive (local YYYY-MM-DD)."""
        return int(await self.db.scalar(_COUNT_BETWEEN, (user_id, first_day, last_day)))

    @staticmethod
    def count_between_sync(tx: SyncTransaction, user_id: int, first_day: str,
                           last_day: str) -> int:
        """`count_between` inside `Database.run` (it counts that transaction's writes)."""
        row = tx.fetchone(_COUNT_BETWEEN, (user_id, first_day, last_day))
        return int(row[0])

    async def get(self, application_id: int) -> Application | None:
        row = await self.db.fetchone(_GET, (application_id,))
        return Application(**dict(row)) if row else None
