"""SQL for rejection entries."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, SyncTransaction, Transaction


@dataclass(frozen=True, slots=True)
class Rejection:
    id: int
    user_id: int
    guild_id: int | None
    company: str
    role: str | None
    stage: str | None
    occurred_on: str
    note: str | None
    share: str
    created_at: str


_COLUMNS = "id, user_id, guild_id, company, role, stage, occurred_on, note, share, created_at"


_INSERT = (
    "INSERT INTO rejections (user_id, guild_id, company, role, stage, occurred_on, note, share,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_RETURNING = f"{_INSERT} RETURNING {_COLUMNS}"
_GET_OWNED = f"SELECT {_COLUMNS} FROM rejections WHERE id = ? AND user_id = ?"


def _row(row) -> Rejection:
    return Rejection(**dict(row))


def _insert_params(entry: Rejection) -> tuple:
    return (entry.user_id, entry.guild_id, entry.company, entry.role, entry.stage,
            entry.occurred_on, entry.note, entry.share, entry.created_at)


class RejectionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tx: Transaction, entry: Rejection) -> int:
        return await tx.insert(_INSERT, _insert_params(entry))

    @staticmethod
    def add_sync(tx: SyncTransaction, entry: Rejection) -> Rejection:
        """`add` inside `Database.run`; returns the row as stored, in the same statement."""
        (row,) = tx.fetchall(_INSERT_RETURNING, _insert_params(entry))
        return _row(row)

    async def get_owned(self, user_id: int, rejection_id: int) -> Rejection | None:
        """The entry only if it belongs to this member."""
        row = await self.db.fetchone(_GET_OWNED, (rejection_id, user_id))
        return _row(row) if row else None

    async def latest(self, user_id: int) -> Rejection | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return _row(row) if row else None

    async def list_recent(self, user_id: int, limit: int, offset: int = 0) -> list[Rejection]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [_row(r) for r in rows]

    async def search(self, user_id: int, text: str, limit: int = 25) -> list[Rejection]:
        """Newest first, matching company, role or id; for autocomplete."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ? AND (company LIKE ? ESCAPE '\\'"
            " OR IFNULL(role, '') LIKE ? ESCAPE '\\' OR CAST(id AS TEXT) = ?)"
            " ORDER BY id DESC LIMIT ?",
            (user_id, pattern, pattern, text.strip(), limit),
        )
        return [_row(r) for r in rows]

    async def count(self, user_id: int) -> int:
        return int(await self.db.scalar(
            "SELECT COUNT(*) FROM rejections WHERE user_id = ?", (user_id,)
        ))
