"""Group-nudge fan-out: many servers whose nudges fall in the same minute, under Discord's
global rate limit.

Run: .venv/bin/python -m bench.fanout [--servers 1000] [--lead 20]
     .venv/bin/python -m bench.fanout --servers 10000 --lead 60      (about 4 minutes)
     .venv/bin/python -m bench.fanout --servers 10000 --lead 60 --processes 2 --shards 4 \
         --database-url postgresql://USER@HOST/postgres

With --processes N the bot runs as a cluster (bot.cluster.Supervisor, as `python -m bot
cluster` does): N processes sharing SHARD_COUNT shards, each pacing at its share of the global
limit, on a fresh PostgreSQL database made on the server --database-url names (and dropped
after).

The emulator answers past 50 requests per second with 429 and retry_after, as Discord does
(global limit), so N posts cannot take less than N / 50 seconds: that is the bound. The servers
are spread over several timezones, each with a daily encouragement at the local time that is
the same instant everywhere. The real bot (own process) starts on a database holding those
schedules; its clock is shifted so that the instant comes `--lead` seconds after start.

Reported: total time from the slot to the last post against the bound (aim ≤ 1.1×), 429s
answered, duplicates and misses (the emulator's channel posts against the deliveries table;
aim 0 and 0), and how long a command takes to be answered during the fan-out (aim < 3 s)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._harness import (
    ROOT,
    BotProcess,
    Summary,
    fresh_database,
    install_timing,
    ms,
    pinning,
    print_header,
    read_only,
    start_emulator,
)
from bot.clock import to_db
from bot.cluster import Supervisor

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
         "America/Sao_Paulo", "Asia/Tokyo", "Europe/London")
GLOBAL_LIMIT = 50   # requests per second, Discord's global limit for a bot


async def seed(db, servers, slot_bot_time: datetime) -> None:
    """One support channel and one daily encouragement per server, all at `slot_bot_time`
    (written as each server's local time). Edited ten minutes earlier, so nothing is caught
    up at start. `db` is open and migrated; it is closed here."""
    edited = to_db(slot_bot_time - timedelta(minutes=10))
    configs, schedules = [], []
    for i, server in enumerate(servers):
        zone = ZONES[i % len(ZONES)]
        local = slot_bot_time.astimezone(ZoneInfo(zone))
        configs.append((server.id, server.support_id, zone, edited, edited))
        schedules.append((server.id, "encouragement", "mon,tue,wed,thu,fri,sat,sun",
                          local.strftime("%H:%M"), edited))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO guild_config (guild_id, support_channel_id, timezone, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?)", configs)
        await tx.executemany(
            "INSERT INTO nudge_schedules (guild_id, kind, days, time, enabled, updated_at)"
            " VALUES (?, ?, ?, ?, 1, ?)", schedules)
    await db.close()


class PostgresqlScratch:
    """A fresh database on the server `server_url` names, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"onward_bench_{uuid.uuid4().hex[:10]}"
        self.url = f"{server_url.rpartition('/')[0]}/{self.name}"

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create(self):
        """The new database, migrated and open."""
        from bot.db.migrate import migrate
        from bot.db.postgres import PgDatabase

        await self._admin(f'CREATE DATABASE "{self.name}"')
        db = await PgDatabase.open(self.url, pool_size=2)
        await migrate(db)
        return db

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def fetchall(self, sql: str) -> list[tuple]:
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()


class Cluster:
    """The bot as `python -m bot cluster` runs it: the supervisor and N bench._botproc
    processes, their milestones in one file."""

    def __init__(self, emu, args, url: str, offset: float, folder: Path) -> None:
        self.events_path = folder / "events.jsonl"
        self.log = open(folder / "onward.log", "ab")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "bench._botproc", "onward", "--api", emu.api_base,
                   "--gateway", emu.gateway_url, "--token", emu.token, "--database-url", url,
                   "--clock-offset", str(offset), "--expect-armed", "-1",
                   "--events", str(self.events_path), "--no-stdin"]
        self.supervisor = Supervisor(processes=args.processes, shard_count=args.shards,
                                     command=command, cwd=str(ROOT), output=self.log)
        self.spawned_at = time.time()
        self.task = asyncio.create_task(self.supervisor.run(handle_signals=False))

    def events(self, name: str) -> list[dict]:
        if not self.events_path.exists():
            return []
        lines = self.events_path.read_text().splitlines()
        return [e for e in map(json.loads, lines) if e["event"] == name]

    async def wait_all(self, name: str, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(found := self.events(name)) < len(self.supervisor.children):
            if self.task.done():
                raise RuntimeError(f"the cluster stopped before every process reported {name}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {name!r} from every process within {timeout:.0f} s")
            await asyncio.sleep(0.1)
        return found

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU time each process has used so far (process index → s)."""
        used = {}
        for child in self.supervisor.children:
            with open(f"/proc/{child.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            used[child.index] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return used

    async def stop(self) -> None:
        self.supervisor.stop()
        await self.task
        self.log.close()


async def probe(actor, stop: asyncio.Event, every: float, latencies: list[float],
                failures: list[str]) -> None:
    """A member using a command now and then while the posts go out."""
    count = 0
    while not stop.is_set():
        started = time.perf_counter()
        count += 1      # a new company each time: the same one twice a day is refused
        try:
            result = await actor.slash("rejection log", company=f"Probe {count}",
                                       stage="onsite")
            latencies.append(result.latency)
            content = str((result.response_data or {}).get("content") or "")
            if not content.startswith("Logged"):
                failures.append(content[:80])
        except Exception as error:  # noqa: BLE001 - a failed probe is a figure, not a crash
            failures.append(repr(error)[:80])
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - started)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--lead", type=float, default=20.0,
                        help="seconds from starting the bot to the slot (start-up must fit)")
    parser.add_argument("--probe-every", type=float, default=0.5, help="seconds between probes")
    parser.add_argument("--pin", action="store_true",
                        help="this process on one CPU, the bot on another")
    parser.add_argument("--processes", type=int, default=1,
                        help="bot processes under the cluster supervisor (needs PostgreSQL)")
    parser.add_argument("--shards", type=int, help="SHARD_COUNT in all (default: --processes)")
    parser.add_argument("--database-url", default=os.environ.get("ONWARD_BENCH_DATABASE_URL"),
                        help="PostgreSQL server for --processes > 1 (a scratch database is "
                             "made on it)")
    args = parser.parse_args()
    clustered = args.processes > 1
    args.shards = args.shards or args.processes
    if clustered and not (args.database_url or "").startswith(("postgresql://", "postgres://")):
        parser.error("--processes > 1 needs --database-url postgresql://... (several "
                     "processes cannot share SQLite)")
    print_header("Group-nudge fan-out", f"python -m bench.fanout --servers {args.servers} "
                 f"--lead {args.lead:g}" + (" --pin" if args.pin else "")
                 + (f" --processes {args.processes} --shards {args.shards}" if clustered
                    else ""))
    _, bot_cpu = pinning(args.pin and not clustered)
    install_timing()
    bound = args.servers / GLOBAL_LIMIT

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "onward.db"
        built = time.perf_counter()
        emu, servers = await start_emulator(args.servers, 1, shard_count=args.shards)
        print(f"emulator: {args.servers:,} servers in {time.perf_counter() - built:.1f} s"
              + (f", {args.shards} shards" if clustered else ""))

        # The slot is a whole minute of the bot's clock; shift that clock so the minute comes
        # `lead` seconds from now in real time.
        fire_at = time.time() + args.lead
        slot = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        offset = (slot - datetime.fromtimestamp(fire_at, UTC)).total_seconds()
        scratch = PostgresqlScratch(args.database_url) if clustered else None
        if scratch is not None:
            await seed(await scratch.create(), servers, slot)
        else:
            await seed(await fresh_database(db_path), servers, slot)

        emu.global_rate_limit = GLOBAL_LIMIT
        bot: BotProcess | Cluster
        if scratch is not None:
            bot = Cluster(emu, args, scratch.url, offset, Path(folder))
        else:
            bot = await BotProcess.spawn("onward", emu, db=db_path, clock_offset=offset,
                                         expect_armed=args.servers, cpu=bot_cpu,
                                         log_path=Path(folder) / "onward.log")
        stop = asyncio.Event()
        latencies: list[float] = []
        failures: list[str] = []
        try:
            if isinstance(bot, Cluster):
                armed_all = await bot.wait_all("armed", timeout=args.lead + 120)
                ready_all = await bot.wait_all("ready", timeout=120)
                per = ", ".join(f"{e['armed']:,}" for e in armed_all)
                armed = dict(max(armed_all, key=lambda e: e["t"]),
                             armed=sum(e["armed"] for e in armed_all))
                ready = max(ready_all, key=lambda e: e["t"])
                print(f"cluster: {args.processes} processes × "
                      f"{args.shards // args.processes} shards; jobs armed per process: {per}")
            else:
                armed = await bot.wait("armed", timeout=args.lead + 120)
                ready = await bot.wait("ready", timeout=120)
            print(f"bot: ready {ready['t'] - bot.spawned_at:.1f} s, {armed['armed']:,} jobs "
                  f"armed {armed['t'] - bot.spawned_at:.1f} s after start; slot in "
                  f"{fire_at - time.time():.1f} s")
            if armed["t"] > fire_at:
                print("WARNING: the jobs were armed after the slot; raise --lead")

            support_ids = [s.support_id for s in servers]
            actor = emu.actor(servers[0].members[0], servers[0].id, timeout=60)
            await asyncio.sleep(max(0.0, fire_at - time.time() - 2))
            prober = asyncio.create_task(probe(actor, stop, args.probe_every, latencies,
                                               failures))
            deadline = fire_at + bound * 3 + 60
            posted = 0
            while time.time() < deadline:
                posted = sum(1 for cid in support_ids if emu._channel_messages.get(cid))
                if posted >= args.servers:
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(2)       # let stragglers (duplicates) arrive
            stop.set()
            await prober
            cpu = bot.cpu_seconds() if isinstance(bot, Cluster) else {}
            own_cpu = time.process_time()
        finally:
            await bot.stop()
            await emu.stop()

        posts = [r for r in emu.requests
                 if r.method == "POST" and r.path.endswith("/messages") and r.status == 200
                 and r.path.startswith("/channels/")]
        refused = Counter(r.status for r in emu.requests if r.status and r.status >= 400)
        per_channel = Counter(int(r.path.split("/")[2]) for r in posts)
        nudge_posts = [r for r in posts if int(r.path.split("/")[2]) in set(support_ids)]
        duplicates = sum(n - 1 for cid, n in per_channel.items() if n > 1)
        missing_channels = sum(1 for cid in support_ids if per_channel.get(cid, 0) == 0)

        if scratch is not None:
            statuses = dict(await scratch.fetchall(
                "SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
            delivered = {int(mid) for (mid,) in await scratch.fetchall(
                "SELECT message_id FROM deliveries WHERE status = 'posted'")}
            await scratch.drop()
        else:
            conn = read_only(db_path)
            statuses = dict(conn.execute(
                "SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
            delivered = {
                int(mid) for (mid,) in conn.execute(
                    "SELECT message_id FROM deliveries WHERE status = 'posted'").fetchall()}
            conn.close()
        channel_message_ids = {m.id for cid in support_ids for m in emu.channel_messages(cid)}
        unrecorded = len(channel_message_ids - delivered)
        recorded_not_posted = len(delivered - channel_message_ids)

        print()
        if nudge_posts:
            first = min(r.time for r in nudge_posts) - fire_at
            last = max(r.time for r in nudge_posts) - fire_at
            print(f"posts: {len(nudge_posts):,} of {args.servers:,}; first {first:+.2f} s, "
                  f"last {last:+.2f} s after the slot")
            print(f"total {last:.1f} s against the bound {bound:.1f} s "
                  f"({args.servers:,} / {GLOBAL_LIMIT} per s): {last / bound:.2f}×   aim ≤ 1.1×")
        else:
            print("posts: none")
        print(f"refused requests: {dict(refused) or 'none'}")
        print(f"duplicates: {duplicates}   missed servers: {missing_channels}   aim 0 and 0")
        print(f"deliveries table: {statuses}; posts without a 'posted' row: {unrecorded}; "
              f"'posted' rows without a post: {recorded_not_posted}")
        s = Summary.of([ms(x) for x in latencies])
        print(f"/rejection log during the fan-out: n={s.n} p50 {s.p50:.0f} ms, p99 "
              f"{s.p99:.0f} ms, max {s.max:.0f} ms, failures {len(failures)}   aim max < 3000 ms")
        if clustered and nudge_posts:
            by_channel = {server.support_id: server.id for server in servers}
            per_process: dict[int, list[float]] = {}
            for r in nudge_posts:
                shard = (by_channel[int(r.path.split("/")[2])] >> 22) % args.shards
                index = next(c.index for c in bot.supervisor.children if shard in c.shard_ids)
                per_process.setdefault(index, []).append(r.time - fire_at)
            for index, times in sorted(per_process.items()):
                child = bot.supervisor.children[index]
                print(f"  process {index} (shards {','.join(map(str, child.shard_ids))}): "
                      f"{len(times):,} posts, last {max(times):.1f} s after the slot, "
                      f"{len(times) / max(times):.1f} posts/s; CPU {cpu[index]:.0f} s in all "
                      f"since it started")
            print(f"  emulator and load generator (this process): CPU {own_cpu:.0f} s; "
                  f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            last = max(r.time for r in nudge_posts) - fire_at
            print()
            print("| figure | aim | measured | |")
            print("|---|---|---|---|")
            rows = [
                ("total ÷ bound", "≤ 1.1×", f"{last / bound:.2f}× ({last:.1f} s / {bound:.0f} s)",
                 last / bound <= 1.1),
                ("duplicates", "0", str(duplicates), duplicates == 0),
                ("misses", "0", str(missing_channels), missing_channels == 0),
                ("429s", "none", str(refused.get(429, 0)), not refused.get(429)),
                ("a command during the fan-out", "< 3 s", f"max {s.max:.0f} ms",
                 s.max < 3000),
            ]
            for name, aim, measured, met in rows:
                print(f"| {name} | {aim} | {measured} | {'met' if met else 'missed'} |")
        for failure in failures[:5]:
            print(f"  probe failure: {failure}")
        log = (Path(folder) / "onward.log").read_text(errors="replace").splitlines()
        errors = [line for line in log if " ERROR " in line]
        if errors:
            print(f"bot log: {len(errors)} errors; the first ones:")
            for line in errors[:8]:
                print(f"  {line[:300]}")
        if missing_channels:
            missed = [s.id for s in servers if per_channel.get(s.support_id, 0) == 0]
            print(f"missed servers: {missed[:10]}")
            for line in [ln for ln in log if any(str(g) in ln for g in missed[:10])][:10]:
                print(f"  {line[:300]}")
        warnings = Counter(line.split(" ", 4)[-1][:70] for line in log
                           if " WARNING " in line or " ERROR " in line)
        if warnings:
            print("bot log (warnings and errors, most frequent first):")
            for text, count in warnings.most_common(6):
                print(f"  {count:>6} × {text}")


if __name__ == "__main__":
    asyncio.run(main())
