"""`python -m bot db copy FROM_URL TO_URL`: every row of one Onward database into another,
SQLite to PostgreSQL or back.

The target is migrated first and must hold no rows. Tables are copied parents before
children (foreign keys), in batches read by key so a big database never sits in memory, all in
one transaction on the target: a copy that fails leaves the target as empty as it was. Row
counts are compared per table before the commit. PostgreSQL's identity sequences are moved past
the copied ids so the next row gets a fresh one. Values travel as they are stored (timestamps
are text, flags are integers, NULLs stay NULL)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.db.backends import AnyDatabase, open_database
from bot.db.connection import DatabaseUnavailable
from bot.db.migrate import migrate

BATCH = 1000
PROGRESS_EVERY = 10_000
# Bookkeeping of the migrations themselves: each side keeps its own.
_SKIPPED = {"schema_version"}


class CopyRefused(DatabaseUnavailable):
    """The copy cannot start or did not hold (target not empty, counts differ); nothing was
    committed to the target. The message says what to do."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]        # the columns both sides have, in the source's order
    order_by: tuple[str, ...]       # a unique key of the source to read it in batches
    parents: frozenset[str] = frozenset()
    identities: tuple[str, ...] = ()  # PostgreSQL target: identity columns copied explicitly


@dataclass
class CopyReport:
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)   # table → (from, to)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(src for src, _ in self.counts.values())


def describe(url: str) -> str:
    """The URL without its password, for output."""
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# What each backend says about its own schema -------------------------------------------------

async def _tables(db: AnyDatabase) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
    else:
        rows = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name")
    return [str(r[0]) for r in rows if str(r[0]) not in _SKIPPED]


async def _columns(db: AnyDatabase, table: str) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))
        return [str(r[0]) for r in rows]
    return [str(r["name"]) for r in await db.fetchall(f"PRAGMA table_info({_q(table)})")]


async def _identities(db: AnyDatabase, table: str) -> list[str]:
    if db.dialect != "postgresql":
        return []
    rows = await db.fetchall(
        "SELECT column_name FROM information_schema.columns WHERE table_schema ="
        " current_schema() AND table_name = ? AND is_identity = 'YES'"
        " ORDER BY ordinal_position", (table,))
    return [str(r[0]) for r in rows]


async def _primary_key(db: AnyDatabase, table: str) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary"
            " ORDER BY array_position(i.indkey::int2[], a.attnum)", (_q(table),))
        return [str(r[0]) for r in rows]
    rows = await db.fetchall(f"PRAGMA table_info({_q(table)})")
    return [str(r["name"]) for r in sorted(rows, key=lambda r: r["pk"]) if r["pk"]]


async def _parents(db: AnyDatabase, table: str) -> set[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT DISTINCT p.relname FROM pg_constraint c JOIN pg_class p ON p.oid = c.confrelid"
            " WHERE c.contype = 'f' AND c.conrelid = to_regclass(?)", (_q(table),))
        return {str(r[0]) for r in rows}
    rows = await db.fetchall(f"PRAGMA foreign_key_list({_q(table)})")
    return {str(r["table"]) for r in rows}


async def _read_key(db: AnyDatabase, table: str) -> list[str]:
    """How to walk the source in a stable order that is also its insertion order where that
    matters: SQLite's rowid; on PostgreSQL an identity column, else the primary key."""
    if db.dialect == "sqlite":
        return ["rowid"]
    identities = await _identities(db, table)
    return identities[:1] or await _primary_key(db, table)


def _parents_first(tables: dict[str, Table]) -> list[Table]:
    ordered: list[Table] = []
    placed: set[str] = set()
    waiting = sorted(tables)
    while waiting:
        ready = [t for t in waiting if tables[t].parents <= placed | {t}]
        if not ready:
            raise CopyRefused(f"Tables refer to each other in a circle: {', '.join(waiting)}.")
        for name in ready:
            ordered.append(tables[name])
            placed.add(name)
        waiting = [t for t in waiting if t not in placed]
    return ordered


async def plan(source: AnyDatabase, target: AnyDatabase) -> list[Table]:
    """The tables to copy, parents first. A table only the target has stays empty; one only
    the source has cannot be copied, which is refused (the target's Onward is older)."""
    src_tables, dst_tables = await _tables(source), set(await _tables(target))
    missing = [t for t in src_tables if t not in dst_tables]
    if missing:
        raise CopyRefused(
            f"The target has no table {', '.join(missing)}: it was made by an older Onward. "
            "Copy with the Onward that wrote the source.")
    tables = {}
    for name in src_tables:
        dst_columns = set(await _columns(target, name))
        columns = tuple(c for c in await _columns(source, name) if c in dst_columns)
        order_by = tuple(await _read_key(source, name))
        if not order_by:
            order_by = columns          # no key at all: every column, in order
        identities = tuple(c for c in await _identities(target, name) if c in columns)
        parents = frozenset(p for p in await _parents(target, name) if p in src_tables)
        tables[name] = Table(name, columns, order_by, parents, identities)
    return _parents_first(tables)


# Copying --------------------------------------------------------------------------------------

async def _count(db_or_tx: Any, table: str) -> int:
    row = await db_or_tx.fetchone(f"SELECT COUNT(*) FROM {_q(table)}")
    return int(row[0]) if row else 0


async def _refuse_rows(target: AnyDatabase, tables: Sequence[str], where: str) -> None:
    holding = []
    for name in tables:
        if await target.fetchone(f"SELECT 1 FROM {_q(name)} LIMIT 1") is not None:
            holding.append(name)
    if holding:
        raise CopyRefused(
            f"The target database {where} is not empty (rows in {', '.join(holding)}). "
            "db copy only fills a new, empty database: create a fresh one (or delete that "
            "file) and run the copy again.")


async def _batches(source: AnyDatabase, table: Table, size: int):
    """The source's rows in `size`-row batches, walked by key (no OFFSET, no full scan each
    time); each row has the key first, then `table.columns`."""
    key = ", ".join(_q(c) if c != "rowid" else c for c in table.order_by)
    columns = ", ".join(_q(c) for c in table.columns)
    base = f"SELECT {key}, {columns} FROM {_q(table.name)}"
    width = len(table.order_by)
    after: tuple | None = None
    while True:
        if after is None:
            rows = await source.fetchall(f"{base} ORDER BY {key} LIMIT ?", (size,))
        else:
            marks = ", ".join("?" * width)
            rows = await source.fetchall(
                f"{base} WHERE ({key}) > ({marks}) ORDER BY {key} LIMIT ?", (*after, size))
        if not rows:
            return
        after = tuple(rows[-1][:width])
        yield [tuple(r)[width:] for r in rows]
        if len(rows) < size:
            return


async def copy_database(
    from_url: str, to_url: str, *, batch: int = BATCH, progress_every: int = PROGRESS_EVERY,
    say: Callable[[str], None] = print,
) -> CopyReport:
    """Copy every row of `from_url` into the (new or empty) database at `to_url`, saying what
    it does through `say`. Raises CopyRefused (target not empty, counts differ: nothing
    committed) or DatabaseUnavailable (either database cannot be opened)."""
    if from_url == to_url:
        raise CopyRefused("FROM_URL and TO_URL are the same database.")
    started = time.monotonic()
    source = await open_database(from_url, pool_size=2)
    try:
        target = await open_database(to_url, pool_size=2)
        try:
            await migrate(source)   # an older source is brought to this Onward's schema
            await migrate(target)
            tables = await plan(source, target)
            await _refuse_rows(target, [t.name for t in tables], describe(to_url))
            say(f"Copying {describe(from_url)} -> {describe(to_url)}: {len(tables)} tables.")
            report = CopyReport()
            async with target.transaction() as tx:
                for table in tables:
                    report.counts[table.name] = await _copy_table(
                        source, tx, table, batch=batch, progress_every=progress_every, say=say)
                if target.dialect == "postgresql":
                    await _move_identities(tx, tables)
                _check_counts(report, say)
        finally:
            await target.close()
    finally:
        await source.close()
    report.seconds = time.monotonic() - started
    say(f"Done: {report.rows:,} rows in {len(report.counts)} tables, "
        f"{report.seconds:.1f} s. Point DATABASE_URL at {describe(to_url)} to use it.")
    return report


async def _copy_table(source: AnyDatabase, tx: Any, table: Table, *, batch: int,
                      progress_every: int, say: Callable[[str], None]) -> tuple[int, int]:
    total = await _count(source, table.name)
    big = total >= progress_every
    if big:
        say(f"{table.name}: {total:,} rows")
    columns = ", ".join(_q(c) for c in table.columns)
    marks = ", ".join("?" * len(table.columns))
    insert = f"INSERT INTO {_q(table.name)} ({columns}) VALUES ({marks})"
    if table.identities:
        # The ids are the source's, so the target's own numbering must not get in the way.
        insert = (f"INSERT INTO {_q(table.name)} ({columns}) OVERRIDING SYSTEM VALUE"
                  f" VALUES ({marks})")
    done, reported = 0, 0
    async for rows in _batches(source, table, batch):
        await tx.executemany(insert, rows)
        done += len(rows)
        if big and done - reported >= progress_every:
            reported = done
            say(f"  {table.name}: {done:,} / {total:,}")
    copied = await _count(tx, table.name)
    return total, copied


async def _move_identities(tx: Any, tables: Sequence[Table]) -> None:
    """Past the highest copied id, so the next row PostgreSQL numbers gets a new one."""
    for table in tables:
        for column in table.identities:
            await tx.fetchone(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({_q(column)}), 0) + 1,"
                f" false) FROM {_q(table.name)}", (_q(table.name), column))


def _check_counts(report: CopyReport, say: Callable[[str], None]) -> None:
    width = max((len(name) for name in report.counts), default=5)
    say(f"{'table':<{width}}  {'from':>10}  {'to':>10}")
    wrong = []
    for name, (src, dst) in report.counts.items():
        mark = "" if src == dst else "  DIFFERENT"
        say(f"{name:<{width}}  {src:>10,}  {dst:>10,}{mark}")
        if src != dst:
            wrong.append(name)
    if wrong:
        raise CopyRefused(
            f"Row counts differ in {', '.join(wrong)} (was the source written to during the "
            "copy?). Nothing was committed to the target; stop Onward and copy again.")


# The command line -----------------------------------------------------------------------------

def cli(argv: list[str]) -> int:
    """`db copy FROM_URL TO_URL [--batch N]`; returns the exit status."""
    import asyncio

    parser = argparse.ArgumentParser(
        prog="python -m bot db",
        description="Database tools. Stop Onward before copying its database.")
    sub = parser.add_subparsers(dest="command", required=True)
    copy = sub.add_parser(
        "copy", help="copy every row into a new, empty database (SQLite <-> PostgreSQL)",
        description="Copy every row of FROM_URL into the new, empty database TO_URL, "
                    "e.g. sqlite:///data/onward.db postgresql://user:pass@host/onward.")
    copy.add_argument("from_url", metavar="FROM_URL")
    copy.add_argument("to_url", metavar="TO_URL")
    copy.add_argument("--batch", type=int, default=BATCH, help="rows read and written at a time")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        asyncio.run(copy_database(args.from_url, args.to_url, batch=max(1, args.batch), say=say))
    except DatabaseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0
