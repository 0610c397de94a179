"""SQL for good news shared with a server's support channel (interviews reached, offers)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class WinShare:
    id: int
    application_id: int
    user_id: int
    guild_id: int
    status: str                  # the win shared: interviewing or offer
    named: bool
    channel_id: int
    message_id: int | None       # None until posted
    post_at: str | None          # anonymous: when it goes up
    created_at: str


_COLUMNS = ("id, application_id, user_id, guild_id, status, named, channel_id, message_id,"
            " post_at, created_at")


def _row(row) -> WinShare:
    data = dict(row)
    data["named"] = bool(data["named"])
    return WinShare(**data)


class WinShareRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, tx: Transaction, *, application_id: int, user_id: int, guild_id: int,
                    status: str, named: bool, channel_id: int, post_at: str | None,
                    now: str) -> int | None:
        """The new row's id, or None when this win was already shared in this server."""
        row = await tx.fetchone(
            "INSERT INTO win_shares (application_id, user_id, guild_id, status, named,"
            " channel_id, post_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (application_id, guild_id, status) DO NOTHING RETURNING id",
            (application_id, user_id, guild_id, status, int(named), channel_id, post_at, now),
        )
        return int(row[0]) if row else None

    async def find(self, application_id: int, guild_id: int, status: str) -> WinShare | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM win_shares WHERE application_id = ? AND guild_id = ?"
            " AND status = ?", (application_id, guild_id, status))
        return _row(row) if row else None

    async def get(self, win_id: int) -> WinShare | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM win_shares WHERE id = ?",
                                     (win_id,))
        return _row(row) if row else None

    async def set_message(self, tx: Transaction, win_id: int, message_id: int) -> None:
        await tx.execute("UPDATE win_shares SET message_id = ? WHERE id = ?",
                         (message_id, win_id))

    async def remove(self, tx: Transaction, win_id: int) -> None:
        await tx.execute("DELETE FROM win_shares WHERE id = ?", (win_id,))

    async def for_application(self, user_id: int, application_id: int) -> list[WinShare]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM win_shares WHERE user_id = ? AND application_id = ?"
            " ORDER BY id", (user_id, application_id))
        return [_row(r) for r in rows]
