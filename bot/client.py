"""The Onward bot: wires the database, the services' clock, the cogs and the scheduler."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
from typing import cast

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot import compat
from bot.clock import Clock
from bot.db.backends import AnyDatabase, dialect_of, open_database
from bot.db.connection import Database, DatabaseUnavailable
from bot.db.migrate import migrate
from bot.scheduling.engine import TimerEngine
from bot.scheduling.outbox import Outbox
from bot.settings import Settings
from bot.tree import OnwardTree

log = logging.getLogger(__name__)

# One module per area of the product contract; each defines `setup(bot)`.
COGS = (
    "cogs.help",
    "cogs.rejection",
    "cogs.privacy",
    "cogs.progress",
    "cogs.insights",
    "cogs.reflect",
    "cogs.feedback",
    "cogs.settings",
    "cogs.personal_dms",
    "cogs.support",
    "cogs.apply",
    "cogs.encourage",
)


# Exactly what the bot needs in a channel: read it, post (with embeds and chart images), and
# read back its own posts. Slash commands need the applications.commands scope, not a permission.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True,
    read_message_history=True,
)
INVITE_SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES)


def point_at(settings: Settings) -> None:
    compat.point_at(settings.discord_api_base, settings.discord_gateway_url)


SQLITE_ONE_PROCESS = (
    "SQLite serves one process only, and SHARD_IDS={ids} leaves shards of SHARD_COUNT={count} "
    "to other processes. Use PostgreSQL (DATABASE_URL=postgresql://...) to run several, or "
    "unset SHARD_IDS to serve every shard from this one."
)


def refuse_unsupported(settings: Settings) -> None:
    """Raises DatabaseUnavailable (the operator's sentence) when SQLite would be shared by
    several processes."""
    if dialect_of(settings.database_url) == "sqlite" and not settings.serves_every_shard():
        raise DatabaseUnavailable(SQLITE_ONE_PROCESS.format(
            ids=settings.shard_ids, count=settings.shard_count))


def intents() -> discord.Intents:
    # Slash commands, buttons and modals arrive as interactions whatever the intents;
    # guilds gives channels and roles for permission checks. Nothing else is needed.
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class Onward(commands.AutoShardedBot):
    """The bot, serving the shards SHARD_IDS of SHARD_COUNT (unset: every shard, as many as
    Discord recommends); several processes, each with its own shards, share one database."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        cogs: tuple[str, ...] = COGS,
        guild_ready_timeout: float = 2.0,
        identify_spacing: float = 5.0,
    ) -> None:
        # guild_ready_timeout: how long READY waits for more servers; a local emulator
        # sends them all at once, so tests and the sandbox can shorten it. identify_spacing:
        # seconds between this process's shards identifying (Discord allows one per 5 s).
        shard_ids = settings.shards()
        sharding: dict = {"shard_count": settings.shard_count}
        if shard_ids is not None:
            sharding["shard_ids"] = list(shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=OnwardTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            max_messages=None,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            guild_ready_timeout=guild_ready_timeout,
            **sharding,
        )
        self.settings = settings
        self.served_shards = shard_ids
        self.identify_spacing = identify_spacing
        self.clock = clock or Clock()
        self.cog_modules = cogs
        self.db: AnyDatabase | None = None
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._engine: TimerEngine | None = None
        self._outbox: Outbox | None = None

        self._invite_logged = False
        point_at(settings)
        # A malformed gateway event is logged and dropped instead of ending the process.
        compat.guard_gateway_parsers(self)

    @property
    def database(self) -> Database:
        assert self.db is not None, "the database opens in setup_hook"
        # PgDatabase offers Database's calls (same names, same results); services are typed
        # against the SQLite class they were written for.
        return cast(Database, self.db)

    @property
    def engine(self) -> TimerEngine:
        """The one timer engine (personal timers, DMs, delayed posts): `register` a kind on it."""
        assert self._engine is not None, "the engine is built in setup_hook"
        return self._engine

    @property
    def outbox(self) -> Outbox:
        """Every DM goes through it: `await bot.outbox.enqueue(user_id, kind, ...)`."""
        assert self._outbox is not None, "the outbox is built in setup_hook"
        return self._outbox

    def serves(self, guild_id: int) -> bool:
        """Whether this process serves the server (its shard is one of SHARD_IDS)."""
        if self.served_shards is None or self.settings.shard_count is None:
            return True
        return (guild_id >> 22) % self.settings.shard_count in self.served_shards

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial and self.identify_spacing > 0:
            await asyncio.sleep(self.identify_spacing)

    async def setup_hook(self) -> None:
        refuse_unsupported(self.settings)
        self.db = await open_database(
            self.settings.database_url, pool_size=self.settings.database_pool_size,
            retry_for=self.settings.database_retry_seconds,
        )
        version = await migrate(self.db)
        log.info("database ready at schema version %s", version)
        self.scheduler.start()
        self._engine = TimerEngine(self.database, self.clock, self.scheduler,
                                   ready=self.wait_until_ready,
                                   sole=self.settings.serves_every_shard())
        self._outbox = Outbox(self, self._engine, self.database, self.clock)
        for name in self.cog_modules:
            await self.load_extension(name)
        if self.served_shards is None or 0 in self.served_shards:
            await self.sync_commands_if_changed()       # one process syncs: shard 0's
        else:
            log.info("serving shards %s: the process serving shard 0 syncs slash commands",
                     ",".join(map(str, self.served_shards)))
        # Handlers are registered by now: start running what is due.
        await self._outbox.start()
        await self._engine.start()
        # What is loaded by now (libraries, cogs, the scheduler's jobs) lives as long as the
        # process: left out of the garbage collector's full passes, those stay short (passes
        # of 100-230 ms under load became ~20 ms, bench/interactions.py).
        gc.freeze()

    async def on_ready(self) -> None:
        if not self._invite_logged and self.application_id is not None:
            self._invite_logged = True
            log.info("invite Onward to a server: %s", invite_url(self.application_id))

    async def sync_commands_if_changed(self) -> None:
        """Syncing is rate-limited by Discord; only do it when a definition changed."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        key = f"commands_hash:{guild.id if guild else 'global'}:{self.application_id}"
        if await self.database.scalar("SELECT value FROM meta WHERE key = ?", (key,)) == digest:
            log.info("slash commands unchanged; not syncing")
            return
        await self.tree.sync(guild=guild)
        async with self.database.transaction() as tx:
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, digest),
            )
        where = f"to {guild.id}" if guild else "globally"
        log.info("synced %d slash commands %s", len(payload), where)

    async def close(self) -> None:
        # Undo setup_hook in reverse: stop taking work, let cogs finish, close the database.
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._engine is not None:
            await self._engine.stop()
        for name in list(self.extensions):
            try:
                await self.unload_extension(name)
            except commands.ExtensionError:
                log.exception("unloading %s failed", name)
        await super().close()
        if self.db is not None:
            await self.db.close()
            self.db = None
