"""The bot side of the benchmarks, run in its own process so that the load generator and the
emulator (in the parent) never take the bot's event loop or its core.

    python -m bench._botproc onward --api URL --gateway URL --token T --db PATH [--ack] ...
    python -m bench._botproc bare   --api URL --gateway URL --token T
    python -m bench._botproc durable --api URL --gateway URL --token T --db PATH

`onward` is the real bot (every cog in bot.client.COGS); `--ack` also loads bench._ack, a cog
with one command that only acknowledges. `bare` is a tiny discord.py bot with that one command
and nothing else: the floor any discord.py bot pays. `durable` is a bare discord.py bot whose
`/rejection log` stores the entry the way a typical bot of this kind does (one aiosqlite INSERT
and COMMIT, WAL, synchronous=FULL; or one asyncpg INSERT in autocommit with --database-url)
before it replies. `--database-url postgresql://...` runs Onward on PostgreSQL as well.

The process reports milestones as JSON lines on stdout ({"event": ..., "t": wall time}) and
takes one-word commands on stdin: `gc` (collect, then report RSS), `stats`, `quit`.

Under the cluster supervisor (`bench.fanout --processes N`): `--database-url` names the shared
PostgreSQL database, SHARD_COUNT and SHARD_IDS come from the environment, `--events PATH`
appends the milestones (with the process id) to a file instead, and `--no-stdin` runs until
SIGTERM.
"""

from __future__ import annotations

import time

STARTED = time.time()    # before anything else is imported

import argparse
import asyncio
import gc
import inspect
import json
import logging
import os
import signal
import sys
import threading
from datetime import timedelta

import discord
import yarl
from discord import app_commands

_out_lock = threading.Lock()
_events_path: str | None = None


def emit(event: str, **fields) -> None:
    record = {"event": event, "t": time.time(), **rss_kb(), **fields}
    if _events_path is not None:
        # One O_APPEND write per line: the lines of several processes never interleave.
        record["pid"] = os.getpid()
        fd = os.open(_events_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, json.dumps(record).encode() + b"\n")
        finally:
            os.close(fd)
        return
    with _out_lock:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


def rss_kb() -> dict[str, int]:
    """Resident memory now and at its peak, from /proc (kB)."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                found[key] = int(value.split()[0])
    return {"rss_kb": found["VmRSS"], "hwm_kb": found["VmHWM"]}


def point_at(api: str, gateway: str) -> None:
    discord.http.Route.BASE = api.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


# The bare bot ---------------------------------------------------------------------------------

class BareBot(discord.Client):
    """A minimal discord.py bot: the same intents as Onward, one command that acknowledges."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents)
        self.tree = app_commands.CommandTree(self)

        @self.tree.command(name="ack", description="Acknowledge, nothing else.")
        async def ack(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok", ephemeral=True)

    async def setup_hook(self) -> None:
        await self.tree.sync()
        emit("setup")

    async def on_ready(self) -> None:
        emit("ready", guilds=len(self.guilds))


# The durable peer ------------------------------------------------------------------------------

PEER_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS rejections (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, guild_id INTEGER,
    company TEXT NOT NULL, stage TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rejections_by_user ON rejections (user_id, id);
"""
PEER_POSTGRESQL_SCHEMA = """
CREATE TABLE IF NOT EXISTS rejections (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id BIGINT NOT NULL,
    guild_id BIGINT, company TEXT NOT NULL, stage TEXT, created_at TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS rejections_by_user ON rejections (user_id, id);
"""


class DurablePeer(discord.Client):
    """A bare discord.py bot with the same intents as Onward and one command that stores what
    it is told before it replies, written the way bots of this field usually are."""

    def __init__(self, db_path: str | None, database_url: str | None) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents)
        self.tree = app_commands.CommandTree(self)
        self.db_path, self.database_url = db_path, database_url
        self.db = None      # aiosqlite.Connection
        self.pool = None    # asyncpg.Pool
        group = app_commands.Group(name="rejection", description="Your rejections.")

        @group.command(name="log", description="Log an interview rejection.")
        async def log(interaction: discord.Interaction, company: str,
                      stage: str | None = None) -> None:
            now = discord.utils.utcnow()
            if self.pool is not None:
                entry_id = await self.pool.fetchval(
                    "INSERT INTO rejections (user_id, guild_id, company, stage, created_at) "
                    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    interaction.user.id, interaction.guild_id, company, stage, now)
            else:
                cursor = await self.db.execute(
                    "INSERT INTO rejections (user_id, guild_id, company, stage, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (interaction.user.id, interaction.guild_id, company, stage, now.isoformat()))
                await self.db.commit()
                entry_id = cursor.lastrowid
            await interaction.response.send_message(
                f"Saved rejection {entry_id}: {company}.", ephemeral=True)

        self.tree.add_command(group)

    async def setup_hook(self) -> None:
        if self.database_url:
            import asyncpg

            self.pool = await asyncpg.create_pool(self.database_url, min_size=2, max_size=10)
            await self.pool.execute(PEER_POSTGRESQL_SCHEMA)
        else:
            import aiosqlite

            self.db = await aiosqlite.connect(self.db_path)
            await self.db.execute("PRAGMA journal_mode = WAL")
            await self.db.execute("PRAGMA synchronous = FULL")
            await self.db.executescript(PEER_SQLITE_SCHEMA)
            await self.db.commit()
        await self.tree.sync()
        emit("setup")

    async def on_ready(self) -> None:
        emit("ready", guilds=len(self.guilds))

    async def close(self) -> None:
        await super().close()
        if self.db is not None:
            await self.db.close()
        if self.pool is not None:
            await self.pool.close()


# Onward ---------------------------------------------------------------------------------------

async def watch_armed(bot, expect_armed: int, expect_dm_job: bool) -> None:
    """Report when every (server, kind) job has run its start-up check and been armed for its
    next slot, and (when asked) the personal-DM job is armed too. `expect_armed` -1: one job
    for each server of this process's shards (known once it is ready)."""
    if expect_armed < 0:
        await bot.wait_until_ready()
        expect_armed = len(bot.guilds)
    while True:
        support = bot.get_cog("Support")
        armed = len(support.scheduler.armed) if support is not None else 0
        dm_ok = not expect_dm_job or bot.scheduler.get_job("onward:personal-dms") is not None
        if armed >= expect_armed and dm_ok:
            emit("armed", armed=armed, jobs=len(bot.scheduler.get_jobs()))
            return
        await asyncio.sleep(0.005)


def make_onward(args):
    from bot.client import COGS, Onward
    from bot.clock import Clock
    from bot.settings import Settings

    emit("imported")
    settings = Settings(
        _env_file=None,
        discord_token=args.token,
        database_url=args.database_url or f"sqlite:///{args.db}",
        discord_api_base=args.api,
        discord_gateway_url=args.gateway,
    )
    cogs = COGS + (("bench._ack",) if args.ack else ())
    clock = Clock(timedelta(seconds=args.clock_offset))

    class BenchOnward(Onward):
        async def setup_hook(self) -> None:
            emit("setup_start")
            await super().setup_hook()
            emit("setup", jobs=len(self.scheduler.get_jobs()))
            if args.expect_armed or args.expect_dm_job:
                asyncio.get_running_loop().create_task(
                    watch_armed(self, args.expect_armed, args.expect_dm_job))

        async def on_ready(self) -> None:
            emit("ready", guilds=len(self.guilds))

    options = {}
    if "identify_spacing" in inspect.signature(Onward.__init__).parameters:
        options["identify_spacing"] = 0.0   # the emulator takes every shard's identify at once
    return BenchOnward(settings, clock=clock, cogs=cogs, **options)


def stats(bot) -> dict:
    state = bot._connection
    return {
        "guilds": len(bot.guilds),
        "users": len(state._users),
        "members": sum(len(g._members) for g in bot.guilds),
        "channels": sum(len(g._channels) for g in bot.guilds),
        "views": len(state._view_store._views),
        "jobs": len(bot.scheduler.get_jobs()) if hasattr(bot, "scheduler") else 0,
        "tasks": len(asyncio.all_tasks()),
    }


def read_commands(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line.strip())
    loop.call_soon_threadsafe(queue.put_nowait, "quit")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("onward", "bare", "durable"))
    parser.add_argument("--api", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--db")
    parser.add_argument("--database-url", help="instead of --db (e.g. postgresql://...)")
    parser.add_argument("--events", help="append the milestones to this file, not stdout")
    parser.add_argument("--no-stdin", action="store_true",
                        help="take no commands; run until SIGTERM (under the supervisor)")
    parser.add_argument("--ack", action="store_true", help="load the benchmark-only /ack cog")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="seconds")
    parser.add_argument("--expect-armed", type=int, default=0)
    parser.add_argument("--expect-dm-job", action="store_true")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    global _events_path
    _events_path = args.events
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    emit("start", started=STARTED)
    if args.kind == "bare":
        bot = BareBot()
        emit("imported")
    elif args.kind == "durable":
        bot = DurablePeer(args.db, args.database_url)
        emit("imported")
    else:
        bot = make_onward(args)
    point_at(args.api, args.gateway)

    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()
    if args.no_stdin:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, commands.put_nowait, "quit")
    else:
        threading.Thread(target=read_commands, args=(loop, commands), daemon=True).start()
    runner = asyncio.create_task(bot.start(args.token))
    try:
        while True:
            getter = asyncio.create_task(commands.get())
            done, _ = await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                getter.cancel()
                runner.result()
                emit("exited")
                return
            command = getter.result()
            if command == "gc":
                gc.collect()
                emit("rss", **rss_kb())
            elif command == "stats":
                emit("stats", **stats(bot), **rss_kb())
            elif command == "quit":
                break
    finally:
        await bot.close()
        if not runner.done():
            runner.cancel()
        emit("closed")


if __name__ == "__main__":
    asyncio.run(main())
