"""The database at scale: one member with a long journal, one server with many members.

Run: .venv/bin/python -m bench.database [--entries 10000] [--members 1000] [--runs 100]

Seeds a temporary database with a member holding `--entries` rejections (with reflections,
feedback requests and as many applications; bench.progress_insights' seed), a crowd of other
members, and a server of `--members` members who logged applications, rejections,
reflections, feedback requests and shares there over the last weeks. Then times the database
work behind:

  /progress          the report (every count and the streak), not the chart
  /rejection list    the newest 10 and 25 entries
  /reflect           autocomplete over the member's entries
  digest             the weekly digest's group totals for the server
  keep-applying      the week's applications and members at their goal, for the server

and prints p50/p99, then the query plan (EXPLAIN QUERY PLAN) of every statement they ran.
A plan line that SCANs a table without an index reads every row: none should."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bench._harness import Summary, fresh_database, print_header
from bench.progress_insights import COMPANIES, FEEDBACK, HEAVY, NOW, STAGES, fill, seed
from bot.clock import FixedClock, to_db
from bot.services.journal import JournalService
from bot.services.nudges import NudgeService
from bot.services.progress import ProgressService

GUILD = 777
FIRST_MEMBER = 500_000


async def seed_server(db, members: int, rng: random.Random) -> None:
    """Six weeks of a busy server: each member logs a few applications a week, a rejection
    now and then (most reflected, some with a feedback request), and some share."""
    apps, rejections, reflections, feedback, shares, settings = [], [], [], [], [], []
    next_id = int(await db.scalar("SELECT IFNULL(MAX(id), 0) FROM rejections")) + 1
    for m in range(members):
        user = FIRST_MEMBER + m
        settings.append((user, rng.choice((3, 5, 8)), to_db(NOW)))
        for _ in range(rng.randrange(6, 24)):
            day = NOW - timedelta(days=rng.randrange(42), hours=rng.randrange(24))
            apps.append((user, GUILD, rng.choice(COMPANIES), day.date().isoformat(), to_db(day)))
        for _ in range(rng.randrange(1, 6)):
            day = NOW - timedelta(days=rng.randrange(42), hours=rng.randrange(24))
            rid = next_id
            next_id += 1
            rejections.append((rid, user, GUILD, rng.choice(COMPANIES), rng.choice(STAGES),
                               day.date().isoformat(), to_db(day)))
            if rng.random() < 0.6:
                at = to_db(day + timedelta(days=1))
                reflections.append((rid, user, "system design", at, at))
            if rng.random() < 0.3:
                feedback.append((rid, user, to_db(day + timedelta(days=2)),
                                 fill(rng.choice(FEEDBACK), rng), to_db(day)))
            if rng.random() < 0.1:
                shares.append((rid, user, GUILD, int(rng.random() < 0.5),
                               to_db(day + timedelta(hours=1))))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO member_settings (user_id, weekly_goal, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO NOTHING", settings)
        await tx.executemany(
            "INSERT INTO applications (user_id, guild_id, company, applied_on, created_at)"
            " VALUES (?, ?, ?, ?, ?)", apps)
        await tx.executemany(
            "INSERT INTO rejections (id, user_id, guild_id, company, stage, occurred_on,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rejections)
        await tx.executemany(
            "INSERT INTO reflections (rejection_id, user_id, struggled, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)", reflections)
        await tx.executemany(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, feedback_text,"
            " created_at) VALUES (?, ?, ?, ?, ?)", feedback)
        await tx.executemany(
            "INSERT INTO shares (rejection_id, user_id, guild_id, named, created_at)"
            " VALUES (?, ?, ?, ?, ?)", shares)
    await db.scalar("PRAGMA optimize")


class Recorder:
    """Wraps the Database's reads to keep each statement (and its parameters) once."""

    def __init__(self, db) -> None:
        self.db = db
        self.seen: dict[str, tuple[str, tuple]] = {}
        self.recording = False
        real_fetchall, real_fetchone = db.fetchall, db.fetchone

        async def fetchall(sql, params=()):
            self._keep(sql, params)
            return await real_fetchall(sql, params)

        async def fetchone(sql, params=()):
            self._keep(sql, params)
            return await real_fetchone(sql, params)

        db.fetchall, db.fetchone = fetchall, fetchone

    def _keep(self, sql: str, params) -> None:
        if self.recording:
            self.seen.setdefault(" ".join(sql.split()), (sql, tuple(params)))


async def timed(work: Callable[[], Awaitable[object]], runs: int) -> Summary:
    await work()                            # warm: first-use caches, the page cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - start) * 1000)
    return Summary.of(samples)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1000, help="members of the server")
    parser.add_argument("--others", type=int, default=50, help="other members, 500 entries each")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    print_header("The database at scale", f"python -m bench.database --entries {args.entries}"
                 f" --members {args.members} --runs {args.runs}")

    with tempfile.TemporaryDirectory() as folder:
        db = await fresh_database(Path(folder) / "bench.db")
        rng = random.Random(20261125)
        started = time.perf_counter()
        for other in range(args.others):
            await seed(db, 10_000 + other, 500, rng)
        await seed(db, HEAVY, args.entries, rng)
        await seed_server(db, args.members, rng)
        counts = await db.fetchone(
            "SELECT (SELECT COUNT(*) FROM rejections WHERE user_id = ?1),"
            " (SELECT COUNT(*) FROM rejections), (SELECT COUNT(*) FROM applications),"
            " (SELECT COUNT(*) FROM applications WHERE guild_id = ?2),"
            " (SELECT COUNT(*) FROM rejections WHERE guild_id = ?2)", (HEAVY, GUILD))
        print(f"seeded in {time.perf_counter() - started:.1f} s: the member has {counts[0]:,}"
              f" entries; the server {args.members:,} members, {counts[3]:,} applications and"
              f" {counts[4]:,} entries; {counts[1]:,} entries and {counts[2]:,} applications"
              " in all\n")

        clock = FixedClock(NOW)
        progress = ProgressService(db, clock)
        journal = JournalService(db, clock)
        nudges = NudgeService(db, clock)
        work = {
            "/progress (report)": lambda: progress.report(HEAVY),
            "/rejection list (10)": lambda: journal.list_entries(HEAVY, 10),
            "/rejection list (25)": lambda: journal.list_entries(HEAVY, 25),
            "/reflect autocomplete": lambda: journal.suggest_entries(HEAVY, "ac"),
            "digest (server totals)": lambda: nudges.compose(GUILD, "digest", "UTC"),
            "keep-applying (server week)": lambda: nudges.compose(GUILD, "keep-applying", "UTC"),
        }
        recorder = Recorder(db)
        print(f"{'work':<30} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   n")
        for name, call in work.items():
            recorder.recording = True
            await call()
            recorder.recording = False
            s = await timed(call, args.runs)
            print(f"{name:<30} {s.p50:>8.2f} {s.p99:>8.2f} {s.max:>8.2f}   {s.n}")

        print("\nquery plans")
        full_scans = 0
        for sql, params in recorder.seen.values():
            print(f"  {' '.join(sql.split())[:110]}")
            built = set()       # CTEs and subqueries the plan builds: scanning them is fine
            for row in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params):
                detail = row["detail"]
                words = detail.split()
                if words[0] in ("CO-ROUTINE", "MATERIALIZE"):
                    built.add(words[1])
                scan = (words[0] == "SCAN" and "INDEX" not in detail
                        and words[1] not in built and not words[1].startswith("(")
                        and "VIRTUAL TABLE" not in detail and "CONSTANT ROW" not in detail)
                full_scans += scan
                print(f"      {detail}{'   <-- reads every row' if scan else ''}")
        print(f"\nstatements: {len(recorder.seen)}; table scans without an index: {full_scans}")
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
