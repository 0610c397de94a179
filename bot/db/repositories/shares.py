"""SQL for rejections shared to a server's support channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction

SCHEDULED, POSTING, POSTED = "scheduled", "posting", "posted"


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
    show_company: bool = True
    status: str = POSTED          # scheduled (anonymous, waiting) → posting → posted
    post_at: str | None = None    # when a scheduled share goes out


_COLUMNS = (
    "id, rejection_id, user_id, guild_id, channel_id, message_id, named, created_at,"
    " show_company, status, post_at"
)


def _row(row) -> Share:
    data = dict(row)
    data["named"] = bool(data["named"])
    data["show_company"] = bool(data["show_company"])
    return Share(**data)


class ShareRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, tx: Transaction, *, rejection_id: int, user_id: int, guild_id: int,
        channel_id: int, named: bool, show_company: bool, status: str, post_at: str | None,
        now: str,
    ) -> int | None:
        """The new share's id, or None when this entry was already shared in this server."""
        row = await tx.fetchone(
            "INSERT INTO shares (rejection_id, user_id, guild_id, channel_id, named,"
            " show_company, status, post_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (rejection_id, guild_id) DO NOTHING RETURNING id",
            (rejection_id, user_id, guild_id, channel_id, int(named), int(show_company), status,
             post_at, now),
        )
        return int(row[0]) if row else None

    async def start_posting(self, tx: Transaction, share_id: int) -> bool:
        """Claim a scheduled share for posting; False when it is gone or another run has it."""
        cur = await tx.execute(
            "UPDATE shares SET status = 'posting' WHERE id = ? AND status = 'scheduled'",
            (share_id,),
        )
        return cur.rowcount == 1

    async def back_to_scheduled(self, tx: Transaction, share_id: int, post_at: str) -> None:
        await tx.execute(
            "UPDATE shares SET status = 'scheduled', post_at = ? WHERE id = ?"
            " AND status = 'posting'",
            (post_at, share_id),
        )

    async def set_message(
        self, tx: Transaction, share_id: int, message_id: int, channel_id: int | None = None
    ) -> None:
        await tx.execute(
            "UPDATE shares SET message_id = ?, status = 'posted',"
            " channel_id = COALESCE(?, channel_id) WHERE id = ?",
            (message_id, channel_id, share_id),
        )

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

    async def for_entry(self, user_id: int, rejection_id: int) -> list[Share]:
        """The entry's shares in every server, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM shares WHERE user_id = ? AND rejection_id = ? ORDER BY id",
            (user_id, rejection_id),
        )
        return [_row(r) for r in rows]

    async def remove_for_entry(self, tx: Transaction, user_id: int, rejection_id: int) -> None:
        await tx.execute("DELETE FROM shares WHERE user_id = ? AND rejection_id = ?",
                         (user_id, rejection_id))
