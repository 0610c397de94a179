"""The database layer alone: what /rejection log asks of it (one write through `Database.run`,
then two one-row reads), one at a time and with 40 in flight, timed and with the process's CPU
per command (database thread included).

Run: .venv/bin/python -m bench.executor [--rounds 2] [--before FILE]

`--before FILE` also times another version of bot/db/connection.py (for instance the one that
wrapped aiosqlite: `git show f114f6d:bot/db/connection.py > /tmp/before.py`), side by side."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from types import ModuleType

from bench._harness import print_header
from bot.db import connection as current

# What the version that wrapped aiosqlite imported from bot.compat, which no longer has it.
_OLD_COMPAT = """

async def run_in_db_thread(conn, fn, *args):
    return await conn._execute(fn, *args)


def raw_connection(conn):
    return conn._conn
"""


def load(path: str) -> ModuleType:
    with open(path) as file:
        source = file.read()
    source = source.replace(
        "from bot.compat import raw_connection, run_in_db_thread\n", _OLD_COMPAT)
    module = ModuleType("before_connection")
    module.__file__ = path
    sys.modules[module.__name__] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


SCHEMA = ("CREATE TABLE IF NOT EXISTS e (id INTEGER PRIMARY KEY, user_id INTEGER, company TEXT);"
          "CREATE INDEX IF NOT EXISTS e_u ON e (user_id, id);")


def work(tx, i: int) -> None:
    tx.execute("INSERT INTO e (user_id, company) VALUES (?, ?)", (i % 500, "Acme"))


async def one(mod: ModuleType, label: str, folder: str) -> None:
    db = await mod.Database.open(f"{folder}/{label.replace(' ', '-')}.db")
    await db.executescript(SCHEMA)
    for i in range(200):
        await db.run(lambda tx, i=i: work(tx, i))
    # one at a time: a write, then two point reads (what /rejection log does)
    lat = []
    cpu0 = time.process_time()
    for i in range(2000):
        t = time.perf_counter()
        await db.run(lambda tx, i=i: work(tx, i))
        await db.fetchone("SELECT id FROM e WHERE user_id = ? ORDER BY id DESC LIMIT 1", (i % 500,))
        await db.scalar("SELECT 1 FROM e WHERE user_id = ? LIMIT 1", (i % 500,))
        lat.append((time.perf_counter() - t) * 1e6)
    cpu_seq = (time.process_time() - cpu0) / 2000 * 1e6
    lat.sort()

    # 40 in flight
    async def member(k: int) -> None:
        for j in range(100):
            await db.run(lambda tx, i=k * 1000 + j: work(tx, i))
            await db.fetchone("SELECT id FROM e WHERE user_id = ? ORDER BY id DESC LIMIT 1", (k,))
            await db.scalar("SELECT 1 FROM e WHERE user_id = ? LIMIT 1", (k,))
    t = time.perf_counter()
    cpu0 = time.process_time()
    await asyncio.gather(*(member(k) for k in range(40)))
    el = time.perf_counter() - t
    cpu_par = (time.process_time() - cpu0) / 4000 * 1e6
    await db.close()
    print(f"{label:<10} one at a time: p50 {lat[1000]:6.0f} µs, p99 {lat[1980]:6.0f} µs, "
          f"CPU {cpu_seq:4.0f} µs a command | 40 in flight: {4000 / el:5.0f}/s, "
          f"CPU {cpu_par:4.0f} µs a command")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", metavar="FILE", help="another bot/db/connection.py to time")
    args = parser.parse_args()
    print_header("The database layer alone", "python -m bench.executor " + " ".join(
        f"--{k} {v}" for k, v in vars(args).items() if v is not None))
    before = load(args.before) if args.before else None
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.rounds):
            if before is not None:
                await one(before, f"before {r + 1}", folder)
            await one(current, f"now {r + 1}", folder)


if __name__ == "__main__":
    asyncio.run(main())
