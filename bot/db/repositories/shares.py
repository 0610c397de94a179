"""SQL for rejections posted to a server's support channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class Share:
    id: int
    rejection_id: int
    user_id: int
    guild_id: int
    channel_id: int | None
    message_id: int | None
    named: bool
    created_at: str


_COLUMNS = "id, rejection_id, user_id, guild_id, channel_id, message_id, named, created_at"


def _row(row) -> Share:
    data = dict(row)
    data["named"] = bool(data["named"])
    return Share(**data)


class ShareRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, tx: Transaction, *, rejection_id: int, user_id: int, guild_id: int,
        channel_id: int, named: bool, now: str,
    ) -> int | None:
        """The new share's id, or None when this entry was already shared in this server."""
        row = await tx.fetchone(
            "INSERT INTO shares (rejection_id, user_id, guild_id, channel_id, named, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rejection_id, guild_id) DO NOTHING"
            " RETURNING id",
            (rejection_id, user_id, guild_id, channel_id, int(named), now),
        )
        return int(row[0]) if row else None

    async def set_message(self, tx: Transaction, share_id: int, message_id: int) -> None:
        await tx.execute("UPDATE shares SET message_id = ? WHERE id = ?", (message_id, share_id))

    async def remove(self, tx: Transaction, share_id: int) -> None:
        await tx.execute("DELETE FROM shares WHERE id = ?", (share_id,))

    async def get(self, share_id: int) -> Share | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM shares WHERE id = ?", (share_id,))
        return _row(row) if row else None

    async def find(self, rejection_id: int, guild_id: int) -> Share | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM shares WHERE rejection_id = ? AND guild_id = ?",
            (rejection_id, guild_id),
        )
        return _row(row) if row else None
