"""SQL for notes of encouragement between members."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class Encouragement:
    id: int
    sender_id: int
    recipient_id: int
    guild_id: int | None
    share_id: int | None
    message: str
    anonymous: bool
    delivered_at: str | None
    created_at: str


_COLUMNS = (
    "id, sender_id, recipient_id, guild_id, share_id, message, anonymous, delivered_at, created_at"
)


def _row(row) -> Encouragement:
    data = dict(row)
    data["anonymous"] = bool(data["anonymous"])
    return Encouragement(**data)


class EncouragementRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, tx: Transaction, *, sender_id: int, recipient_id: int, guild_id: int | None,
        share_id: int | None, message: str, anonymous: bool, now: str,
    ) -> int:
        return await tx.insert(
            "INSERT INTO encouragements (sender_id, recipient_id, guild_id, share_id, message,"
            " anonymous, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sender_id, recipient_id, guild_id, share_id, message, int(anonymous), now),
        )

    async def get(self, encouragement_id: int) -> Encouragement | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM encouragements WHERE id = ?", (encouragement_id,)
        )
        return _row(row) if row else None

    async def mark_delivered(self, tx: Transaction, encouragement_id: int, now: str) -> None:
        """The first time it reached them (by DM, or shown at a command) is kept."""
        await tx.execute(
            "UPDATE encouragements SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            (now, encouragement_id),
        )

    async def count_sent_since(self, sender_id: int, since: str) -> int:
        return int(await self.db.scalar(
            "SELECT COUNT(*) FROM encouragements WHERE sender_id = ? AND created_at >= ?",
            (sender_id, since),
        ))
