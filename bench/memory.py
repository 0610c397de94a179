"""Resident memory after READY with many servers, Onward against a bare discord.py bot.

Run: .venv/bin/python -m bench.memory [--servers 1000] [--members 200]

The emulator serves `--servers` servers of `--members` members each, with every member in each
GUILD_CREATE (more than Discord sends a bot without the members intent: the worst case for
parsing). Each bot runs alone in its own process with the intents Onward asks for (guilds
only); Onward's database holds a support channel and the three default nudges for every
server, so its scheduler carries one job per (server, kind) as in production. RSS is read from
/proc after READY and a garbage collection; the peak (VmHWM) is shown too. Aim: < 150 MB."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._harness import BotProcess, fresh_database, print_header, start_emulator
from bot.clock import to_db
from bot.services.nudges import DEFAULT_SCHEDULES


async def seed(db_path: Path, servers) -> None:
    db = await fresh_database(db_path)
    edited = to_db(datetime.now(UTC) - timedelta(minutes=10))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO guild_config (guild_id, support_channel_id, timezone, created_at,"
            " updated_at) VALUES (?, ?, 'Europe/Berlin', ?, ?)",
            [(s.id, s.support_id, edited, edited) for s in servers])
        await tx.executemany(
            "INSERT INTO nudge_schedules (guild_id, kind, days, time, enabled, updated_at)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            [(s.id, kind, days, at, edited) for s in servers
             for kind, (days, at) in DEFAULT_SCHEDULES.items()])
    await db.close()


async def measure(kind: str, emu, folder: Path, servers) -> dict:
    db_path = folder / f"{kind}-{len(servers)}.db"
    expect = 0
    if kind == "onward":
        await seed(db_path, servers)
        expect = len(servers) * len(DEFAULT_SCHEDULES)
    started = time.perf_counter()
    bot = await BotProcess.spawn(kind, emu, db=db_path if kind == "onward" else None,
                                 expect_armed=expect, log_path=folder / f"{kind}.log")
    try:
        setup = await bot.wait("setup", timeout=120)
        ready = await bot.wait("ready", timeout=600)
        if expect:
            await bot.wait("armed", timeout=600)
        took = time.perf_counter() - started
        await asyncio.sleep(1.0)        # let the last events settle
        after = await bot.ask("gc", "rss")
        stats = await bot.ask("stats", "stats")
    finally:
        await bot.stop()
    return {"setup_mb": setup["rss_kb"] / 1024, "ready_mb": after["rss_kb"] / 1024,
            "peak_mb": after["hwm_kb"] / 1024, "guilds": ready["guilds"], "seconds": took,
            "stats": stats}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    print_header("Memory after READY",
                 f"python -m bench.memory --servers {args.servers} --members {args.members}")

    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for servers, members in ((1, 3), (args.servers, args.members)):
            built = time.perf_counter()
            emu, made = await start_emulator(servers, members)
            print(f"emulator: {servers:,} servers × {members} members in "
                  f"{time.perf_counter() - built:.1f} s", flush=True)
            try:
                for kind in ("bare", "onward"):
                    found = await measure(kind, emu, Path(folder), made)
                    rows.append((kind, servers, members, found))
                    print(f"  {kind}: {found['ready_mb']:.1f} MB after READY "
                          f"({found['seconds']:.1f} s to ready)", flush=True)
            finally:
                await emu.stop()

        print()
        print(f"{'bot':<8} {'servers':>8} {'members':>8} {'before connecting':>18} "
              f"{'after READY':>12} {'peak':>8} {'users cached':>13} {'members cached':>15} "
              f"{'jobs':>6}")
        for kind, servers, members, f in rows:
            stats = f["stats"]
            print(f"{kind:<8} {servers:>8,} {members:>8} {f['setup_mb']:>15.1f} MB "
                  f"{f['ready_mb']:>9.1f} MB {f['peak_mb']:>5.1f} MB {stats['users']:>13,} "
                  f"{stats['members']:>15,} {stats['jobs']:>6,}")
        big = {kind: f for kind, servers, _, f in rows if servers == args.servers}
        small = {kind: f for kind, servers, _, f in rows if servers == 1}
        for kind in ("bare", "onward"):
            grew = big[kind]["ready_mb"] - small[kind]["ready_mb"]
            print(f"{kind}: {grew:.1f} MB for {args.servers:,} servers "
                  f"({grew * 1024 / args.servers:.1f} kB each)")
        print(f"Onward after READY: {big['onward']['ready_mb']:.1f} MB   aim < 150 MB")


if __name__ == "__main__":
    asyncio.run(main())
