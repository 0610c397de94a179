"""Shared setup for the benchmarks: the machine, percentiles, the emulator in this process and
the bot in another one (bench._botproc), talking over 127.0.0.1.

The load generator and the emulator share this process's event loop; the bot has its own
process and loop, so a busy load generator cannot slow the bot down by taking its loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from discord_emulator import actors
from discord_emulator.actors import InteractionResult
from discord_emulator.emulator import DiscordEmulator

ROOT = Path(__file__).resolve().parents[1]


# The machine ----------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "ram": ram,
        "python": platform.python_version(),
        "discord.py": metadata.version("discord.py"),
        "aiosqlite": metadata.version("aiosqlite"),
        "sqlite": sqlite3.sqlite_version,
        "load average (1/5/15 min)": load,
    }


def print_header(title: str, command: str) -> None:
    print(f"# {title}")
    print(f"command: {command}")
    for key, value in machine().items():
        print(f"{key}: {value}")
    print()


# Figures --------------------------------------------------------------------------------------

def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Summary:
    n: int
    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: list[float]) -> Summary:
        return cls(len(samples), percentile(samples, 50), percentile(samples, 90),
                   percentile(samples, 99), max(samples) if samples else float("nan"))


def spread(values: list[float]) -> str:
    """Median and range of a figure measured in several rounds."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def ms(seconds: float) -> float:
    return seconds * 1000.0


# Timing interactions in the emulator -----------------------------------------------------------

class TimedInteractionResult(InteractionResult):
    """Stamps the moment the bot's callback arrives. `created` (set just before the emulator
    builds and sends INTERACTION_CREATE) is the start; `answered` the end. `on_answer` runs in the
    emulator's request handler, before the bot gets its HTTP response, which is what makes the
    committed-before-reply check below meaningful."""

    on_answer: Callable[[TimedInteractionResult, int, dict[str, Any]], None] | None = None

    def _set_response(self, rtype, data, message) -> None:
        self.answered = time.monotonic()
        hook = type(self).on_answer
        if hook is not None:
            hook(self, rtype, data or {})
        super()._set_response(rtype, data, message)

    @property
    def latency(self) -> float:
        return self.answered - self.created


@contextlib.contextmanager
def measuring():
    """Around a measured phase in this process: no garbage-collector pauses here (as timeit
    does), so a stall of the load generator is never counted as the bot's latency."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def forget_history(emu: DiscordEmulator) -> None:
    """Drop what the emulator remembers of finished interactions (requests, replies), so its
    memory does not grow with every phase. Only for benchmarks that never look back."""
    emu.requests.clear()
    emu._interactions.clear()
    emu.messages.clear()
    for ids in emu._channel_messages.values():
        ids.clear()


def install_timing() -> None:
    # Actor._send builds its result through this module attribute.
    actors.InteractionResult = TimedInteractionResult


# The emulator ---------------------------------------------------------------------------------

@dataclass
class Server:
    id: int
    general_id: int
    support_id: int
    members: list[int] = field(default_factory=list)


DISCORD_EPOCH_MS = 1420070400000


def spread_guild_ids(servers: int, shard_count: int) -> list[int]:
    """Server ids (snowflakes from the recent past) that fall on the shards in turn: server s
    on shard s % shard_count, as Discord's (id >> 22) % shard_count places them."""
    base = int(time.time() * 1000) - DISCORD_EPOCH_MS - 60 * 60 * 1000 - servers
    base -= base % shard_count
    return [(base + s) << 22 for s in range(servers)]


async def start_emulator(
    servers: int = 1, members: int = 3, *, channels: bool = True, shard_count: int = 1
) -> tuple[DiscordEmulator, list[Server]]:
    """An emulator with `servers` servers of `members` members each (plus owner and bot), each
    with #general and #support. Arranged before any bot connects. `shard_count` > 1: what the
    emulator recommends, and the servers spread evenly over the shards."""
    emu = DiscordEmulator(shard_count=shard_count)
    await emu.start()
    made = []
    ids = spread_guild_ids(servers, shard_count) if shard_count > 1 else [None] * servers
    for s in range(servers):
        guild = emu.add_guild(f"server-{s}", guild_id=ids[s])
        general = emu.add_channel(guild.id, "general") if channels else 0
        support = emu.add_channel(guild.id, "support") if channels else 0
        server = Server(guild.id, general, support)
        for m in range(members):
            server.members.append(emu.add_member(guild.id, name=f"member-{s}-{m}"))
        made.append(server)
    return emu, made


# The bot process ------------------------------------------------------------------------------

class BotProcess:
    """The bot in a child process: milestones arrive as events, RSS comes from /proc."""

    def __init__(self, proc: asyncio.subprocess.Process, spawned_at: float, label: str) -> None:
        self.proc = proc
        self.spawned_at = spawned_at      # wall time just before the process was created
        self.label = label
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(
        cls, kind: str, emu: DiscordEmulator, *, db: Path | None = None,
        database_url: str | None = None, ack: bool = False,
        clock_offset: float = 0.0, expect_armed: int = 0, expect_dm_job: bool = False,
        log_path: Path | None = None, cpu: int | None = None, label: str | None = None,
        profile: Path | None = None,
    ) -> BotProcess:
        """`profile`: run the bot under py-spy (on PATH), collapsed stacks to that file."""
        argv = [sys.executable, "-m", "bench._botproc", kind, "--api", emu.api_base,
                "--gateway", emu.gateway_url, "--token", emu.token]
        if db is not None:
            argv += ["--db", str(db)]
        if database_url is not None:
            argv += ["--database-url", database_url]
        if ack:
            argv.append("--ack")
        if clock_offset:
            argv += ["--clock-offset", str(clock_offset)]
        if expect_armed:
            argv += ["--expect-armed", str(expect_armed)]
        if expect_dm_job:
            argv.append("--expect-dm-job")
        if profile is not None:
            argv = ["py-spy", "record", "--format", "raw", "--rate", "250", "--subprocesses",
                    "--output", str(profile), "--", *argv]
        stderr = open(log_path, "ab") if log_path else asyncio.subprocess.DEVNULL  # noqa: SIM115, ASYNC230

        def pin() -> None:
            if cpu is not None:
                os.sched_setaffinity(0, {cpu})

        spawned_at = time.time()
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=stderr, preexec_fn=pin if cpu is not None else None,
            limit=1 << 20,
        )
        if log_path:
            stderr.close()
        return cls(proc, spawned_at, label or kind)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))
                self._changed.set()
        self.events.append({"event": "eof", "t": time.time()})
        self._changed.set()

    def event(self, name: str) -> dict[str, Any] | None:
        return next((e for e in reversed(self.events) if e["event"] == name), None)

    async def wait(self, name: str, timeout: float = 60.0, *, after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = next((e for e in self.events[after:] if e["event"] == name), None)
            if found is not None:
                return found
            if any(e["event"] in ("eof", "exited") for e in self.events):
                raise RuntimeError(f"{self.label} bot exited before {name!r}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.label} bot: no {name!r} within {timeout:.0f} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def ask(self, command: str, reply: str, timeout: float = 30.0) -> dict[str, Any]:
        mark = len(self.events)
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        return await self.wait(reply, timeout, after=mark)

    def rss_kb(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time the bot process has used."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    async def stop(self, timeout: float = 30.0) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                assert self.proc.stdin is not None
                self.proc.stdin.write(b"quit\n")
                await self.proc.stdin.drain()
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._reader.cancel()


def pinning(enabled: bool) -> tuple[int | None, int | None]:
    """With --pin: this process (load generator + emulator) on one CPU, the bot on another."""
    cpus = sorted(os.sched_getaffinity(0))
    if not enabled or len(cpus) < 2:
        return None, None
    os.sched_setaffinity(0, {cpus[0]})
    return cpus[0], cpus[1]


async def fresh_database(path: Path):
    """A migrated, empty Onward database at `path` (returns the open Database)."""
    from bot.db.connection import Database
    from bot.db.migrate import migrate

    db = await Database.open(str(path))
    await migrate(db)
    return db


def read_only(path: Path) -> sqlite3.Connection:
    """A second connection to the bot's database (WAL: sees what the bot has committed)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
