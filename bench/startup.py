"""Start-up time with a large database: from process start to ready and scheduled.

Run: .venv/bin/python -m bench.startup [--servers 10000] [--timers 100000] [--runs 3]

The database holds `--servers` servers with a support channel and the three default nudges
(one scheduler job each), set up weeks ago with every slot since posted (`--weeks` of
deliveries), and `--timers` pending DM timers (reflection prompts over the coming week, one per
logged rejection, for a crowd of members). Nothing is due at start, so the figure is the cost
of rebuilding the schedule from the rows. The emulator serves the same
servers. For each start of the real bot (own process, same database) it reports when:

  imported   Python started and Onward's modules are loaded
  set up     database opened and checked, schema current, cogs loaded, jobs created
  scheduled  every (server, kind) job has run its start-up check and is armed for its next
             slot, and the personal-DM job is armed: the aim figure (< 3 s)
  ready      discord.py's on_ready: the gateway handshake, every GUILD_CREATE, then the
             library's own wait of 2 s after the last one (guild_ready_timeout)

The first start syncs the slash commands and warms the page cache; it is shown, not counted."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._harness import BotProcess, fresh_database, pinning, print_header, start_emulator
from bot.clock import to_db
from bot.services.nudges import DEFAULT_SCHEDULES, previous_slot

MEMBERS_PER_SERVER_WITH_ENTRIES = 2
PHASES = ("imported", "setup", "armed", "ready")
LABELS = {"imported": "imported", "setup": "set up", "armed": "scheduled", "ready": "ready"}


async def seed(db_path: Path, servers, timers: int, weeks: int) -> None:
    """Schedules set up long ago, with `weeks` weeks of slots already posted (as in a bot that
    has been running), and pending reflection prompts."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    edited = to_db(now - timedelta(days=7 * weeks + 1))
    zones = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
    db = await fresh_database(db_path)
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO guild_config (guild_id, support_channel_id, timezone, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?)",
            [(s.id, s.support_id, zones[i % len(zones)], edited, edited)
             for i, s in enumerate(servers)])
        await tx.executemany(
            "INSERT INTO nudge_schedules (guild_id, kind, days, time, enabled, updated_at)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            [(s.id, kind, days, at, edited) for s in servers
             for kind, (days, at) in DEFAULT_SCHEDULES.items()])
        posted = []
        for i, server in enumerate(servers):
            for kind, (days, at) in DEFAULT_SCHEDULES.items():
                instant = now
                for _ in range(weeks):
                    slot = previous_slot(days, at, zones[i % len(zones)], instant)
                    posted.append((server.id, kind, slot.key, to_db(slot.at)))
                    instant = slot.at - timedelta(minutes=1)
        await tx.executemany(
            "INSERT INTO deliveries (guild_id, kind, slot, status, message_id, created_at)"
            " VALUES (?, ?, ?, 'posted', 1, ?)", posted)
        # One pending reflection prompt per recent rejection, spread over the coming week.
        members = max(1, timers // 5)
        rejections, pending = [], []
        for i in range(timers):
            user = 10**6 + i % members
            server = servers[i % len(servers)]
            logged = now - timedelta(minutes=rng.randrange(60 * 24))
            rejections.append((i + 1, user, server.id, "Acme", "onsite",
                               logged.date().isoformat(), to_db(logged)))
            pending.append((user, "reflection_prompt", i + 1,
                            to_db(now + timedelta(minutes=rng.randrange(1, 7 * 24 * 60))),
                            to_db(logged)))
        await tx.executemany(
            "INSERT INTO rejections (id, user_id, guild_id, company, stage, occurred_on,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rejections)
        await tx.executemany(
            "INSERT INTO timers (user_id, kind, subject_id, due_at, created_at)"
            " VALUES (?, ?, ?, ?, ?)", pending)
    await db.scalar("PRAGMA optimize")
    await db.close()


async def one_start(emu, db_path: Path, expect: int, folder: Path, cpu,
                    profile: Path | None = None) -> dict[str, float]:
    bot = await BotProcess.spawn("onward", emu, db=db_path, expect_armed=expect,
                                 expect_dm_job=True, cpu=cpu, log_path=folder / "onward.log",
                                 profile=profile)
    try:
        found = {}
        for phase in PHASES:
            event = await bot.wait(phase, timeout=600)
            found[phase] = event["t"] - bot.spawned_at
        found["rss_mb"] = (await bot.ask("gc", "rss"))["rss_kb"] / 1024
    finally:
        await bot.stop()
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=4, help="weeks of posts already delivered")
    parser.add_argument("--pin", action="store_true", help="this process on one CPU, the bot "
                        "on another")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record the last start with py-spy (on PATH); collapsed stacks")
    args = parser.parse_args()
    print_header("Start-up with a large database",
                 f"python -m bench.startup --servers {args.servers} --timers {args.timers} "
                 f"--runs {args.runs}" + (" --pin" if args.pin else ""))
    _, bot_cpu = pinning(args.pin)

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "onward.db"
        started = time.perf_counter()
        emu, servers = await start_emulator(args.servers, 1)
        await seed(db_path, servers, args.timers, args.weeks)
        expect = args.servers * len(DEFAULT_SCHEDULES)
        print(f"seeded {args.servers:,} servers ({expect:,} nudge schedules, {args.weeks} "
              f"weeks of posts delivered) and {args.timers:,} pending timers in "
              f"{time.perf_counter() - started:.1f} s; "
              f"database {db_path.stat().st_size / 2**20:.0f} MB", flush=True)
        try:
            runs = []
            for run in range(args.runs + 1):
                profile = args.profile if run == args.runs else None
                found = await one_start(emu, db_path, expect, Path(folder), bot_cpu, profile)
                label = "first start (syncs commands; not counted)" if run == 0 else \
                    f"start {run}"
                print(f"{label}: " + ", ".join(
                    f"{LABELS[p]} {found[p]:.2f} s" for p in PHASES) +
                    f", RSS {found['rss_mb']:.0f} MB", flush=True)
                if run:
                    runs.append(found)
        finally:
            await emu.stop()

        print()
        for phase in PHASES:
            values = [r[phase] for r in runs]
            print(f"{LABELS[phase]:<10} median {statistics.median(values):6.2f} s   "
                  f"range {min(values):.2f}–{max(values):.2f} s")
        scheduled = statistics.median(r["armed"] for r in runs)
        handshake = statistics.median(r["ready"] - r["setup"] for r in runs)
        print(f"\nready and scheduled, gateway handshake excluded: {scheduled:.2f} s   aim < 3 s")
        print(f"(the handshake, set up → on_ready, took {handshake:.2f} s, 2 s of it "
              "discord.py's guild_ready_timeout)")
        log = (Path(folder) / "onward.log").read_text(errors="replace").splitlines()
        problems = [line for line in log if " ERROR " in line]
        if problems:
            print(f"bot errors: {len(problems)}; first: {problems[0][:160]}")


if __name__ == "__main__":
    asyncio.run(main())
