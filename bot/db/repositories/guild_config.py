"""SQL for a server's support-channel configuration."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class GuildConfig:
    guild_id: int
    support_channel_id: int | None
    timezone: str
    paused_reason: str | None
    created_at: str
    updated_at: str
    reports_channel_id: int | None = None     # reports of anonymous notes; None: the owner
    language: str | None = None               # group posts' language; None: the server's own


_COLUMNS = (
    "guild_id, support_channel_id, timezone, paused_reason, created_at, updated_at,"
    " reports_channel_id, language"
)


class GuildConfigRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int) -> GuildConfig | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM guild_config WHERE guild_id = ?", (guild_id,)
        )
        return GuildConfig(**dict(row)) if row else None

    async def get_in(self, tx: Transaction, guild_id: int) -> GuildConfig | None:
        row = await tx.fetchone(
            f"SELECT {_COLUMNS} FROM guild_config WHERE guild_id = ?", (guild_id,)
        )
        return GuildConfig(**dict(row)) if row else None

    async def with_channel(self) -> list[GuildConfig]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM guild_config WHERE support_channel_id IS NOT NULL"
            " ORDER BY guild_id"
        )
        return [GuildConfig(**dict(r)) for r in rows]

    async def save_setup(
        self, tx: Transaction, *, guild_id: int, channel_id: int, timezone: str, now: str
    ) -> None:
        """Set channel and timezone; setting them up again also lifts a pause."""
        await tx.execute(
            "INSERT INTO guild_config (guild_id, support_channel_id, timezone, paused_reason,"
            " created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET"
            " support_channel_id = excluded.support_channel_id,"
            " timezone = excluded.timezone, paused_reason = NULL, updated_at = excluded.updated_at",
            (guild_id, channel_id, timezone, now, now),
        )

    async def set_reports_channel(
        self, tx: Transaction, guild_id: int, channel_id: int, now: str
    ) -> None:
        """Where reports of anonymous notes go. The server's row must exist (save_setup)."""
        await tx.execute(
            "UPDATE guild_config SET reports_channel_id = ?, updated_at = ? WHERE guild_id = ?",
            (channel_id, now, guild_id),
        )

    async def set_language(
        self, tx: Transaction, guild_id: int, language: str | None, now: str
    ) -> None:
        """The language of the server's group posts (None: its preferred locale). The server's
        row must exist (save_setup)."""
        await tx.execute(
            "UPDATE guild_config SET language = ?, updated_at = ? WHERE guild_id = ?",
            (language, now, guild_id),
        )

    async def language_of(self, guild_id: int) -> str | None:
        """The language set for the server's group posts, None when none was set."""
        return await self.db.scalar(
            "SELECT language FROM guild_config WHERE guild_id = ?", (guild_id,))

    async def pause(self, tx: Transaction, guild_id: int, reason: str, now: str) -> None:
        await tx.execute(
            "UPDATE guild_config SET paused_reason = ?, updated_at = ? WHERE guild_id = ?",
            (reason, now, guild_id),
        )
