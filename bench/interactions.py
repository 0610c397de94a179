"""Interaction latency and throughput, Onward against a durable peer bot.

Run: .venv/bin/python -m bench.interactions [--seconds 4] [--rates 50,200,500] [--rounds 1]
     [--database postgresql://user@host:port/postgres]

Latency is measured in the emulator: from building and sending INTERACTION_CREATE to receiving
the bot's interaction callback. For each load (one at a time, then 50, 200 and 500 interactions
per second, open loop: sends do not wait for answers) it times, in the same run:

  bare /ack       a tiny discord.py bot with one command that only acknowledges (own process)
  peer /rej log   the durable peer: a bare discord.py bot whose /rejection log does what a
                  typical bot of this field does, one aiosqlite INSERT and COMMIT (WAL,
                  synchronous=FULL), then replies (own process)
  onward /ack     the acknowledge-only command as a cog inside Onward (no SQL)
  /rejection log  /apply log  /reflect (answers with a modal)

then sustained throughput with 40 interactions in flight (closed loop). Every Onward
/rejection log reply is checked against the bot's database at the moment it arrives: the entry
it names must already be committed, and at the end the count of entries must equal the count
of replies. Before the bots start it also times a committed one-row SQLite write on its own,
on the same disk (synchronous FULL, as the bot commits, and NORMAL): the floor under any reply
that must wait for its commit.

With --database postgresql://... both Onward and the peer run on that server instead, each on a
fresh database made for the run and dropped after it (the peer: one asyncpg INSERT in
autocommit); replies are then checked against the stored rows at the end of the run.

Aims: Onward's /rejection log p99 ≤ 1.2× the peer's one at a time and at 200/s; its throughput
with 40 in flight ≥ 1.0× the peer's. The emulator and the load generator run in this process;
each bot runs in its own process (--pin puts this process on one CPU and the bots on the
other)."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench._harness import (
    BotProcess,
    Summary,
    TimedInteractionResult,
    forget_history,
    install_timing,
    measuring,
    ms,
    pinning,
    print_header,
    read_only,
    spread,
    start_emulator,
)
from discord_emulator.actors import Actor

COMPANIES = ("Acme", "Globex", "Initech", "Hooli", "Umbrella", "Stark Industries", "Wayne Labs",
             "Cyberdyne", "Soylent", "Tyrell", "Wonka", "Aperture", "Vandelay", "Pied Piper")
STAGES = ("phone-screen", "technical", "take-home", "onsite", "final")
LOGGED = re.compile(r"Logged \*\*#(\d+)\*\*")
MODAL, MESSAGE = 9, 4


@dataclass
class Target:
    name: str
    actors: list[Actor]
    send: Callable[[Actor, random.Random], Awaitable[TimedInteractionResult]]
    expect: int                         # the callback type a good answer has
    bot: BotProcess
    results: dict[str, list[dict]] = field(default_factory=dict)   # load → rounds

    def record(self, load: str, figures: dict) -> None:
        self.results.setdefault(load, []).append(figures)


class CommitCheck:
    """Runs in the emulator when an Onward /rejection log reply arrives: is the entry it names
    (the member's journal number) committed? On PostgreSQL the replies are only collected
    here and looked up at the end (`verify`)."""

    def __init__(self, db_path: Path | None, database_url: str | None = None) -> None:
        self.conn = read_only(db_path) if db_path is not None else None
        self.database_url = database_url
        self.acknowledged = 0
        self.named: list[tuple[int, int]] = []
        self.missing: list[tuple[int, int]] = []

    def __call__(self, result: TimedInteractionResult, rtype: int, data: dict) -> None:
        match = LOGGED.search(str(data.get("content") or "")) if rtype == MESSAGE else None
        if match is None:
            return
        self.acknowledged += 1
        entry = (result.user_id, int(match.group(1)))
        if self.conn is None:
            self.named.append(entry)
            return
        row = self.conn.execute(
            "SELECT 1 FROM rejections WHERE user_id = ? AND number = ?", entry).fetchone()
        if row is None:
            self.missing.append(entry)

    async def verify(self) -> int:
        """The count of stored entries (and, on PostgreSQL, which named ones are missing)."""
        if self.conn is not None:
            return self.conn.execute("SELECT COUNT(*) FROM rejections").fetchone()[0]
        import asyncpg

        conn = await asyncpg.connect(self.database_url)
        try:
            stored = {(r["user_id"], r["number"])
                      for r in await conn.fetch("SELECT user_id, number FROM rejections")}
        finally:
            await conn.close()
        self.missing = [entry for entry in self.named if entry not in stored]
        return len(stored)


class PostgresDatabases:
    """Fresh databases on a PostgreSQL server for one run, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.made: list[str] = []

    def url(self, name: str) -> str:
        base, _, _ = self.server_url.rpartition("/")
        return f"{base}/{name}"

    async def fresh(self, label: str) -> str:
        import asyncpg

        name = f"onward_bench_{label}_{os.getpid()}"
        admin = await asyncpg.connect(self.server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self.made.append(name)
        return self.url(name)

    async def drop(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(self.server_url)
        try:
            for name in self.made:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def commit_alone(folder: Path, synchronous: str, count: int = 500) -> Summary:
    """A committed one-row write on its own, in plain sqlite3 on this disk: the part of
    /rejection log's answer that no code can remove while the entry must be committed before the
    reply. WAL as the bot uses it; `synchronous` FULL (the bot's) or NORMAL for comparison."""
    conn = sqlite3.connect(folder / f"commit-{synchronous.lower()}.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT)")
    conn.execute("CREATE INDEX entries_by_user ON entries (user_id, id)")
    times = []
    for i in range(count + 50):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO entries (user_id, body) VALUES (?, ?)", (i % 500, "Acme"))
        conn.execute("COMMIT")
        if i >= 50:                 # the first ones grow the files
            times.append(ms(time.perf_counter() - start))
    conn.close()
    return Summary.of(times)


async def answered(target: Target, call: Awaitable[TimedInteractionResult]) -> tuple[float, bool]:
    result = await call
    good = result.response_type == target.expect
    if good and target.expect == MESSAGE:
        content = str((result.response_data or {}).get("content") or "")
        good = not content.startswith(("Something went wrong", "Onward is restarting"))
    return result.latency, good


class Meter:
    """CPU used over a phase: the bot's (its process) and the load generator's (this one,
    emulator included: near 100 % means the figures are bounded here, not by the bot)."""

    def __init__(self, bot: BotProcess) -> None:
        self.bot = bot
        self.bot_cpu = bot.cpu_seconds()
        self.own_cpu = time.process_time()
        self.start = time.perf_counter()

    def figures(self, latencies: list[float], errors: int) -> dict:
        elapsed = time.perf_counter() - self.start
        s = Summary.of([ms(x) for x in latencies])
        return {"n": s.n, "p50": s.p50, "p90": s.p90, "p99": s.p99, "max": s.max,
                "errors": errors, "rate": s.n / elapsed if elapsed else 0.0,
                "cpu_ms": ms(self.bot.cpu_seconds() - self.bot_cpu) / s.n if s.n else 0.0,
                "gen_cpu": 100 * (time.process_time() - self.own_cpu) / elapsed}


async def sequential(target: Target, count: int, rng: random.Random) -> dict:
    latencies, errors = [], 0
    meter = Meter(target.bot)
    for i in range(count):
        latency, good = await answered(target, target.send(target.actors[i % len(target.actors)],
                                                           rng))
        latencies.append(latency)
        errors += not good
    return meter.figures(latencies, errors)


async def open_loop(target: Target, rate: float, seconds: float, rng: random.Random) -> dict:
    """Send at a fixed rate whatever the answers do; late sends catch up at once."""
    count = max(1, round(rate * seconds))
    tasks = []
    meter = Meter(target.bot)
    start = meter.start
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        actor = target.actors[i % len(target.actors)]
        tasks.append(asyncio.create_task(answered(target, target.send(actor, rng))))
    sent_in = time.perf_counter() - start
    done = await asyncio.gather(*tasks)
    result = meter.figures([d[0] for d in done], sum(not d[1] for d in done))
    result["sent_rate"] = count / sent_in if sent_in > 0 else rate
    return result


async def closed_loop(target: Target, inflight: int, seconds: float, rng: random.Random) -> dict:
    """`inflight` members each send again as soon as they get an answer."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def member(k: int) -> None:
        nonlocal errors
        i = k
        while time.perf_counter() < stop_at:
            latency, good = await answered(
                target, target.send(target.actors[i % len(target.actors)], rng))
            latencies.append(latency)
            errors += not good
            i += inflight

    meter = Meter(target.bot)
    await asyncio.gather(*(member(k) for k in range(inflight)))
    return meter.figures(latencies, errors)


def log_rejection(actor: Actor, rng: random.Random):
    # A number after the name keeps Onward's same-company-same-day check from answering
    # "already logged" instead of storing: every call stores an entry, as the peer's does.
    company = f"{rng.choice(COMPANIES)} {rng.randrange(10_000)}"
    return actor.slash("rejection log", company=company, stage=rng.choice(STAGES))


def log_application(actor: Actor, rng: random.Random):
    return actor.slash("apply log", company=rng.choice(COMPANIES), role="Backend engineer")


def reflect(actor: Actor, rng: random.Random):
    return actor.slash("reflect")


def ack(actor: Actor, rng: random.Random):
    return actor.slash("ack")


def table(targets: list[Target], loads: list[str], peer: Target, bare: Target) -> None:
    print(f"{'load':<12} {'command':<16} {'n':>6} {'p50 ms':>14} {'p99 ms':>16} "
          f"{'max ms':>8} {'err':>4} {'answered/s':>11} {'bot CPU ms':>11} {'gen CPU':>8} "
          f"{'p99 ÷ peer':>11} {'p99 ÷ bare':>11}")
    for load in loads:
        peer_p99 = [r["p99"] for r in peer.results.get(load, [])]
        bare_p99 = [r["p99"] for r in bare.results.get(load, [])]
        for t in targets:
            rounds = t.results.get(load)
            if not rounds:
                continue
            p99s = [r["p99"] for r in rounds]
            to_peer = [a / b for a, b in zip(p99s, peer_p99, strict=False)] if t is not peer else []
            to_bare = [a / b for a, b in zip(p99s, bare_p99, strict=False)] if t is not bare else []
            print(f"{load:<12} {t.name:<16} {sum(r['n'] for r in rounds):>6} "
                  f"{spread([r['p50'] for r in rounds]):>14} {spread(p99s):>16} "
                  f"{max(r['max'] for r in rounds):>8.1f} {sum(r['errors'] for r in rounds):>4} "
                  f"{spread([r['rate'] for r in rounds]):>11} "
                  f"{spread([r['cpu_ms'] for r in rounds]):>11} "
                  f"{max(r['gen_cpu'] for r in rounds):>7.0f}% "
                  f"{spread(to_peer) if to_peer else '':>11} "
                  f"{spread(to_bare) if to_bare else '':>11}")
        print()


def aims(log: Target, peer: Target, loads: list[str]) -> None:
    """Onward's /rejection log against the durable peer, side by side, with each aim."""
    print("Onward /rejection log against the durable peer (median of rounds):")
    print(f"{'figure':<34} {'onward':>9} {'peer':>9} {'ratio':>7} {'aim':>8}  met")
    for load in (loads[0], "200/s"):
        if load not in log.results:
            continue
        ours = [r["p99"] for r in log.results[load]]
        theirs = [r["p99"] for r in peer.results[load]]
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        print(f"{'p99 ms, ' + load:<34} {statistics.median(ours):>9.2f} "
              f"{statistics.median(theirs):>9.2f} {ratio:>7.2f} {'≤ 1.2':>8}  "
              f"{'yes' if ratio <= 1.2 else 'NO'}")
    ours = [r["rate"] for r in log.results[loads[-1]]]
    theirs = [r["rate"] for r in peer.results[loads[-1]]]
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    print(f"{'answered/s, ' + loads[-1]:<34} {statistics.median(ours):>9.0f} "
          f"{statistics.median(theirs):>9.0f} {ratio:>7.2f} {'≥ 1.0':>8}  "
          f"{'yes' if ratio >= 1.0 else 'NO'}")
    print()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200, help="interactions one at a time")
    parser.add_argument("--rates", default="50,200,500", help="open-loop rates, per second")
    parser.add_argument("--seconds", type=float, default=4.0, help="per rate and command")
    parser.add_argument("--inflight", type=int, default=40)
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=1, help="repeat every measurement")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--pin", action="store_true",
                        help="this process on one CPU, the bots on another")
    parser.add_argument("--database", metavar="URL",
                        help="postgresql://... server: run Onward and the peer on fresh "
                             "databases there instead of SQLite files")
    parser.add_argument("--profile", metavar="FILE",
                        help="record Onward with py-spy (must be on PATH) during the "
                             "/rejection log throughput run; collapsed stacks to FILE")
    args = parser.parse_args()
    print_header("Interaction latency and throughput",
                 "python -m bench.interactions " + " ".join(
                     f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                     if v not in (False, None)))
    rates = [float(r) for r in args.rates.split(",") if r]
    _, bot_cpu = pinning(args.pin)
    install_timing()
    rng = random.Random(2026)

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "onward.db"
        # Before any bot runs, so nothing else is writing to the disk.
        floors = {mode: commit_alone(Path(folder), mode) for mode in ("FULL", "NORMAL")}
        postgres = PostgresDatabases(args.database) if args.database else None
        onward_url = await postgres.fresh("onward") if postgres else None
        peer_url = await postgres.fresh("peer") if postgres else None
        emu_onward, (server,) = await start_emulator(1, args.members)
        emu_bare, (bare_server,) = await start_emulator(1, args.members)
        emu_peer, (peer_server,) = await start_emulator(1, args.members)
        onward = await BotProcess.spawn("onward", emu_onward, db=db_path, ack=True, cpu=bot_cpu,
                                        database_url=onward_url,
                                        log_path=Path(folder) / "onward.log")
        bare_bot = await BotProcess.spawn("bare", emu_bare, cpu=bot_cpu,
                                          log_path=Path(folder) / "bare.log")
        peer_bot = await BotProcess.spawn("durable", emu_peer, db=Path(folder) / "peer.db",
                                          database_url=peer_url, cpu=bot_cpu,
                                          log_path=Path(folder) / "peer.log")
        try:
            await asyncio.gather(onward.wait("ready"), bare_bot.wait("ready"),
                                 peer_bot.wait("ready"))
            check = CommitCheck(None if onward_url else db_path, onward_url)
            TimedInteractionResult.on_answer = check

            def actors(emu, srv):
                return [emu.actor(uid, srv.id, timeout=300) for uid in srv.members]

            onward_actors = actors(emu_onward, server)
            bare = Target("bare /ack", actors(emu_bare, bare_server), ack, MESSAGE, bare_bot)
            peer = Target("peer /rej log", actors(emu_peer, peer_server), log_rejection, MESSAGE,
                          peer_bot)
            targets = [
                bare,
                peer,
                Target("onward /ack", onward_actors, ack, MESSAGE, onward),
                Target("/rejection log", onward_actors, log_rejection, MESSAGE, onward),
                Target("/apply log", onward_actors, log_application, MESSAGE, onward),
                Target("/reflect", onward_actors, reflect, MODAL, onward),
            ]
            # Warm up every path once per member (this also gives everyone an entry to reflect
            # on), so the first measured calls are not paying for imports and cold caches.
            for t in targets:
                for first in range(0, len(t.actors), 20):
                    await asyncio.gather(*(t.send(a, rng) for a in t.actors[first:first + 20]))

            loads = ["one at a time"] + [f"{r:g}/s" for r in rates] + [f"{args.inflight} in flight"]

            async def settle() -> None:
                for emu in (emu_onward, emu_bare, emu_peer):
                    forget_history(emu)
                await asyncio.sleep(0.5)

            for round_no in range(args.rounds):
                for t in targets:
                    with measuring():
                        t.record(loads[0], await sequential(t, args.sequential, rng))
                    await settle()
                for rate, load in zip(rates, loads[1:-1], strict=True):
                    for t in targets:
                        with measuring():
                            t.record(load, await open_loop(t, rate, args.seconds, rng))
                        await settle()
                for t in targets[:5]:
                    spy = None
                    if args.profile and t.name == "/rejection log":
                        spy = await asyncio.create_subprocess_exec(
                            "py-spy", "record", "--pid", str(onward.proc.pid), "--format", "raw",
                            "--threads", "--gil", "--rate", "500", "--nonblocking",
                            "--duration", str(int(args.throughput_seconds)),
                            "--output", args.profile, stdout=asyncio.subprocess.DEVNULL)
                    with measuring():
                        t.record(loads[-1], await closed_loop(t, args.inflight,
                                                              args.throughput_seconds, rng))
                    if spy is not None:
                        await spy.wait()
                    await settle()
                print(f"round {round_no + 1} of {args.rounds} done", flush=True)

            print()
            table(targets, loads, peer, bare)
            log_target = targets[3]
            aims(log_target, peer, loads)
            thr = log_target.results[loads[-1]]
            ratio = [a["rate"] / b["rate"] for a, b in zip(thr, bare.results[loads[-1]],
                                                           strict=True)]
            print(f"context, retired aims against bare /ack: throughput ÷ bare {spread(ratio)} "
                  "(was ≥ 0.67)", end="")
            for load in (loads[0], "200/s"):
                if load in log_target.results:
                    worst = statistics.median(
                        log_target.results[load][i]["p99"] / bare.results[load][i]["p99"]
                        for i in range(args.rounds))
                    print(f"; p99 ÷ bare, {load}: {worst:.2f} (was ≤ 1.5)", end="")
            print()
            print()
            peer_p99 = statistics.median(r["p99"] for r in peer.results[loads[0]])
            print(f"headroom one at a time: 1.2 × peer p99 − peer p99 = {peer_p99 * 0.2:.2f} ms")
            for mode, floor in floors.items():
                print(f"a committed one-row write alone, synchronous={mode}: p50 {floor.p50:.2f} "
                      f"ms, p99 {floor.p99:.2f} ms")
            stored = await check.verify()
            print(f"/rejection log replies: {check.acknowledged}; entries in the database: "
                  f"{stored}; replies whose entry was not yet committed when the reply arrived: "
                  f"{len(check.missing)}")
            slow = sum(1 for t in targets for rounds in t.results.values() for r in rounds
                       if r["max"] > 3000)
            print(f"measurements with an answer slower than Discord's 3 s: {slow}")
            for load in loads[1:-1]:
                sent = [r.get("sent_rate", 0) for t in targets for r in t.results[load]]
                print(f"send rate achieved at {load}: min {min(sent):.0f}/s")
        finally:
            await asyncio.gather(onward.stop(), bare_bot.stop(), peer_bot.stop())
            for emu in (emu_onward, emu_bare, emu_peer):
                await emu.stop()
            if postgres is not None:
                await postgres.drop()
            for log in ("onward.log", "bare.log", "peer.log"):
                text = (Path(folder) / log).read_text(errors="replace")
                if text.strip():
                    print(f"\n--- {log} (last lines) ---")
                    print("\n".join(text.strip().splitlines()[-15:]))


if __name__ == "__main__":
    asyncio.run(main())
