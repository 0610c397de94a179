"""How long /progress and /insights take for a member with a long journal.

Run: .venv/bin/python -m bench.progress_insights [--entries 10000] [--runs 50] [--profile]

Seeds a temporary database with one heavy member (N rejections with realistic reflections,
feedback requests and notes, N applications over the years) and a crowd of other members,
then times, separately:
  * the /progress service computation (all SQL and the streak) — aim: < 100 ms
  * the chart rendering                                         — aim: < 300 ms
  * /insights, the first time (every note read by YAKE) and again (remembered phrases)
It prints p50/p99 in ms and the query plans of the SQL it runs. A benchmark, not a test:
nothing here asserts on time."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FixedClock, to_db
from bot.db.connection import Database
from bot.db.migrate import migrate
from bot.services.chart import render_progress_chart
from bot.services.insights import InsightsService, PhraseExtractor
from bot.services.progress import ProgressService

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
HEAVY = 4242
STAGES = ("application", "recruiter-screen", "phone-screen", "technical", "take-home",
          "onsite", "final")
COMPANIES = ("Acme", "Globex", "Initech", "Hooli", "Umbrella", "Stark Industries", "Wayne Labs",
             "Cyberdyne", "Soylent", "Tyrell", "Wonka", "Aperture", "Black Mesa", "Vandelay")

TOPICS = (
    "system design", "dynamic programming", "graph algorithms", "SQL joins", "caching",
    "database sharding", "rate limiting", "behavioural questions", "salary negotiation",
    "the STAR method", "API design", "concurrency", "Kubernetes networking", "React hooks",
    "estimation questions", "take-home scope", "time management", "trade-offs",
    "load balancing", "message queues", "test strategy", "code review", "product sense",
    "stakeholder stories", "leadership examples", "binary search", "recursion",
)
STRUGGLED = (
    "I struggled with {a} and ran out of time on {b}.",
    "The {a} question threw me; I rambled about {b}.",
    "{A} came up early and I froze for a minute.",
    "They pushed hard on {a}, then moved to {b} before I finished.",
    "I could not explain {a} clearly under pressure.",
)
UNPREPARED = (
    "I had not reviewed {a} for months.",
    "I felt unprepared for {a} and for questions about {b}.",
    "Nothing in my notes covered {a}.",
    "I expected more on {b}, not {a}.",
)
DIFFERENTLY = (
    "Ask clarifying questions before diving into {a}.",
    "Slow down and draw the diagram first.",
    "Bring a concrete story about {a}.",
    "Sleep more the night before and warm up with {b}.",
)
WENT_WELL = (
    "Rapport with the interviewer was easy.",
    "My {a} answer landed well.",
    "I used the STAR method and kept stories short.",
    "The past project walkthrough went smoothly.",
    "I stayed calm when {b} got tricky.",
)
PRACTISE = (
    "Practise {a} twice a week with a timer.",
    "One {a} problem every morning.",
    "Mock interview on {a} with a friend.",
    "Read two chapters on {b}.",
)
FEEDBACK = (
    "Strong communication, but {a} lacked depth.",
    "We went with someone with more {a} experience.",
    "Good culture fit; the panel wanted more on {a} and {b}.",
    "Solid fundamentals. {A} answers were a bit shallow.",
)


def fill(template: str, rng: random.Random) -> str:
    a, b = rng.sample(TOPICS, 2)
    return template.format(a=a, b=b, A=a[:1].upper() + a[1:])


async def seed(db: Database, user_id: int, entries: int, rng: random.Random) -> None:
    """One member's journal: entries rejections over the years before NOW, ~60% reflected,
    ~30% with a feedback request (half answered), and as many applications."""
    span_days = max(7, entries // 6)   # about six entries a day at the heaviest
    rejections, reflections, feedback, applications = [], [], [], []
    for i in range(entries):
        day = (NOW - timedelta(days=rng.randrange(span_days), hours=rng.randrange(24)))
        at = to_db(day)
        rejections.append((i + 1, user_id, rng.choice(COMPANIES), rng.choice(STAGES),
                           day.date().isoformat(), at))
        if rng.random() < 0.6:
            reflections.append((
                i + 1, user_id, fill(rng.choice(STRUGGLED), rng), fill(rng.choice(UNPREPARED), rng),
                fill(rng.choice(DIFFERENTLY), rng), fill(rng.choice(WENT_WELL), rng),
                fill(rng.choice(PRACTISE), rng), to_db(day + timedelta(days=1)),
                to_db(day + timedelta(days=1)),
            ))
        if rng.random() < 0.3:
            sent = day + timedelta(days=2)
            answered = rng.random() < 0.5
            feedback.append((
                i + 1, user_id, to_db(sent), to_db(sent + timedelta(days=5)) if answered else None,
                fill(rng.choice(FEEDBACK), rng) if answered else None, to_db(day),
            ))
        applications.append((user_id, rng.choice(COMPANIES),
                             (NOW - timedelta(days=rng.randrange(span_days))).date().isoformat(),
                             at))
    async with db.transaction() as tx:
        # Rejection ids continue after the other members' entries.
        offset = int((await tx.fetchone("SELECT IFNULL(MAX(id), 0) FROM rejections"))[0])
        await tx.executemany(
            "INSERT INTO rejections (id, user_id, company, stage, occurred_on, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(r[0] + offset, *r[1:]) for r in rejections])
        await tx.executemany(
            "INSERT INTO reflections (rejection_id, user_id, struggled, unprepared, differently,"
            " went_well, practise, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0] + offset, *r[1:]) for r in reflections])
        await tx.executemany(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, received_at,"
            " feedback_text, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(f[0] + offset, *f[1:]) for f in feedback])
        await tx.executemany(
            "INSERT INTO applications (user_id, company, applied_on, created_at)"
            " VALUES (?, ?, ?, ?)", applications)
        await tx.execute(
            "INSERT INTO member_settings (user_id, timezone, weekly_goal, updated_at)"
            " VALUES (?, 'Europe/Berlin', 5, ?) ON CONFLICT (user_id) DO NOTHING",
            (user_id, to_db(NOW)))
    await db.scalar("PRAGMA optimize")


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered):7.1f} ms   p99 {p99:7.1f} ms"
            f"   (n={len(ordered)})")


async def timed(make, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await make()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def query_plans(db: Database, clock: FixedClock) -> None:
    """The plan of every statement /progress and /insights actually run: each should
    SEARCH an index on the member's id, never SCAN a whole table."""
    seen: list[tuple[str, tuple]] = []
    real_fetchall, real_fetchone = db.fetchall, db.fetchone

    async def fetchall(sql, params=()):
        seen.append((sql, tuple(params)))
        return await real_fetchall(sql, params)

    async def fetchone(sql, params=()):
        seen.append((sql, tuple(params)))
        return await real_fetchone(sql, params)

    db.fetchall, db.fetchone = fetchall, fetchone   # type: ignore[method-assign]
    try:
        await ProgressService(db, clock).report(HEAVY)
        await InsightsService(db, clock, PhraseExtractor()).insights(HEAVY)
    finally:
        del db.fetchall, db.fetchone
    print("\nquery plans")
    for sql, params in seen:
        print(f"  {' '.join(sql.split())[:96]}…")
        for row in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params):
            print(f"      {row['detail']}")


async def profile(db: Database, clock: FixedClock, progress: ProgressService) -> None:
    """Where the time goes: the progress queries, and the theme finding with and without
    remembered phrases (run in this thread so the profiler sees it)."""
    import cProfile
    import pstats

    from bot.db.repositories.progress import ProgressRepository
    from bot.services.insights import NOTE_LIMIT, analyse

    notes = await ProgressRepository(db).recent_notes(HEAVY, NOTE_LIMIT)
    extractor = PhraseExtractor()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        await progress.report(HEAVY)
    analyse(notes, extractor, limited=True)
    analyse(notes, extractor, limited=True)
    profiler.disable()
    print("\nprofile (10 × /progress service, /insights analysis cold then warm)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=50, help="other members, 500 entries each")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(str(Path(folder) / "bench.db"))
        await migrate(db)
        rng = random.Random(20261125)
        started = time.perf_counter()
        for other in range(args.others):
            await seed(db, 10_000 + other, 500, rng)
        await seed(db, HEAVY, args.entries, rng)
        counts = await db.fetchone(
            "SELECT (SELECT COUNT(*) FROM rejections WHERE user_id = ?1),"
            " (SELECT COUNT(*) FROM reflections WHERE user_id = ?1),"
            " (SELECT COUNT(*) FROM feedback_requests WHERE user_id = ?1),"
            " (SELECT COUNT(*) FROM applications WHERE user_id = ?1),"
            " (SELECT COUNT(*) FROM rejections)", (HEAVY,))
        print(f"seeded in {time.perf_counter() - started:.1f} s: member with {counts[0]:,}"
              f" entries, {counts[1]:,} reflections, {counts[2]:,} feedback requests,"
              f" {counts[3]:,} applications; {counts[4]:,} entries in the database")

        clock = FixedClock(NOW)
        progress = ProgressService(db, clock)
        report = await progress.report(HEAVY)
        print(f"streak {report.streak}, this week {report.this_week}")

        print("\n/progress")
        samples = await timed(lambda: progress.report(HEAVY), args.runs)
        print(f"  service (SQL + streak)   {percentiles(samples)}   aim < 100 ms")

        async def chart():
            await asyncio.to_thread(render_progress_chart, report.weeks, report.goal)
        await chart()   # the first drawing loads fonts once per process
        samples = await timed(chart, max(10, args.runs // 2))
        print(f"  chart (PNG in a thread)  {percentiles(samples)}   aim < 300 ms")

        print("\n/insights")
        cold_runs = []
        for _ in range(max(5, args.runs // 10)):
            # A new extractor remembers nothing: YAKE reads every note (as after a restart).
            fresh = InsightsService(db, clock, PhraseExtractor())
            cold_runs += await timed(lambda svc=fresh: svc.insights(HEAVY), 1)
        insights = InsightsService(db, clock, PhraseExtractor())
        found = await insights.insights(HEAVY)
        print(f"  first call, YAKE reads all  {percentiles(cold_runs)}   ({found.notes} notes)")
        samples = await timed(lambda: insights.insights(HEAVY), args.runs)
        print(f"  asked again (remembered)    {percentiles(samples)}")
        print("  themes: " + "; ".join(f"{t.phrase} ({t.notes})" for t in found.themes))

        await query_plans(db, clock)

        if args.profile:
            await profile(db, clock, progress)
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
