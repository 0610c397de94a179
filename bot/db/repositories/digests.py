"""SQL for the digests that thanked members by name (so a name can be taken out later)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.db.connection import Transaction


class DigestRepository:
    @staticmethod
    async def record(
        tx: Transaction, *, message_id: int, guild_id: int, channel_id: int, title: str,
        description: str, footer: str | None, thanked: Iterable[int], now: str,
    ) -> None:
        """Keep a posted digest's text and whom it thanks by name."""
        await tx.execute(
            "INSERT INTO digest_posts (message_id, guild_id, channel_id, title, description,"
            " footer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (message_id) DO NOTHING",
            (message_id, guild_id, channel_id, title, description, footer, now),
        )
        await tx.executemany(
            "INSERT INTO digest_thanks (message_id, user_id) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING",
            [(message_id, user_id) for user_id in thanked],
        )
