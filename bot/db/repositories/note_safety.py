"""SQL for keeping anonymous notes safe: how many a sender sent lately, and admins' blocks."""

from __future__ import annotations

from bot.db.connection import Database, Transaction


class NoteSafetyRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def anonymous_sent_since(
        self, sender_id: int, since: str, recipient_id: int | None = None
    ) -> int:
        """Anonymous notes the sender wrote since `since` (to one recipient, when given)."""
        if recipient_id is None:
            return int(await self.db.scalar(
                "SELECT COUNT(*) FROM encouragements WHERE sender_id = ? AND anonymous = 1"
                " AND created_at >= ?",
                (sender_id, since),
            ))
        return int(await self.db.scalar(
            "SELECT COUNT(*) FROM encouragements WHERE sender_id = ? AND anonymous = 1"
            " AND created_at >= ? AND recipient_id = ?",
            (sender_id, since, recipient_id),
        ))

    async def is_blocked(self, guild_id: int, member_id: int) -> bool:
        return await self.db.fetchone(
            "SELECT 1 FROM note_blocks WHERE guild_id = ? AND member_id = ?",
            (guild_id, member_id),
        ) is not None

    async def block(
        self, tx: Transaction, guild_id: int, member_id: int, by: int, now: str
    ) -> bool:
        """True when the block is new (False: they were already blocked)."""
        cur = await tx.execute(
            "INSERT INTO note_blocks (guild_id, member_id, blocked_by, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (guild_id, member_id, by, now),
        )
        return cur.rowcount == 1

    async def unblock(self, tx: Transaction, guild_id: int, member_id: int) -> bool:
        """True when a block was lifted (False: there was none)."""
        cur = await tx.execute(
            "DELETE FROM note_blocks WHERE guild_id = ? AND member_id = ?", (guild_id, member_id)
        )
        return cur.rowcount == 1
