"""Which database the suite runs on: SQLite in a temp folder (the default), or PostgreSQL when
ONWARD_TEST_DATABASE_URL names a server (each test then gets a fresh database, copied from a
template migrated once per test process and made ahead of the test that needs it)."""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import uuid

import asyncpg
import pytest

from bot.db.postgres import PgDatabase

PG_URL = os.environ.get("ONWARD_TEST_DATABASE_URL", "")
ON_POSTGRESQL = PG_URL.startswith(("postgresql://", "postgres://"))

sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="about SQLite's own file and its limits")

# How many fresh databases are copied from the template ahead of the tests asking for them.
_AHEAD = 2


def _url_for(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(PG_URL)


class _Supply:
    """Copies of the migrated template, made ahead of time in a thread (and an event loop) of
    its own, so a test does not wait while the server copies its database; drops happen
    there too. The template is made once per test process and dropped at the end."""

    def __init__(self) -> None:
        self._ready: queue.Queue[str] = queue.Queue(maxsize=_AHEAD)
        self._drops: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="test-databases", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            asyncio.run(self._supply())
        except BaseException as exc:  # noqa: BLE001 - handed to the test that waits
            self._error = exc

    async def _supply(self) -> None:
        template = f"onward_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        await _create(template, "template0")
        try:
            from bot.db.migrate import migrate

            db = await PgDatabase.open(_url_for(template), pool_size=1)
            try:
                await migrate(db)
            finally:
                await db.close()
            while not self._stop.is_set():
                while not self._drops.empty():
                    await _drop(self._drops.get_nowait())
                if self._ready.full():
                    await asyncio.sleep(0.01)
                    continue
                name = f"onward_t_{uuid.uuid4().hex[:12]}"
                await _create(name, template)
                self._ready.put_nowait(name)
            while not self._ready.empty():
                await _drop(self._ready.get_nowait())
            while not self._drops.empty():
                await _drop(self._drops.get_nowait())
        finally:
            await _drop(template)

    def take(self) -> str:
        """The name of a fresh database (waits for one if none is ready)."""
        while True:
            if self._error is not None:
                raise RuntimeError("cannot make test databases") from self._error
            try:
                return self._ready.get(timeout=0.05)
            except queue.Empty:
                continue

    def give_back(self, name: str) -> None:
        self._drops.put(name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


async def _create(name: str, template: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()


async def _drop(name: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


_supply: _Supply | None = None


def drop_test_databases() -> None:
    """At the end of the test session: the databases made ahead and the template go, so the
    server keeps nothing behind."""
    global _supply
    if _supply is not None:
        _supply.close()
        _supply = None


async def fresh_postgresql_url() -> str:
    """A new, migrated, empty database on the test server; drop it with `drop_database`."""
    global _supply
    if _supply is None:
        _supply = _Supply()
    return _url_for(await asyncio.to_thread(_supply.take))


async def drop_database(url: str) -> None:
    """Drop a database `fresh_postgresql_url` gave (in the background)."""
    name = url.rpartition("/")[2]
    if _supply is not None:
        _supply.give_back(name)
    else:
        await _drop(name)


# The schema as it is, read from the database itself (not from the code under test) -----------

# Each backend's own bookkeeping, not part of the product's schema: SQLite's internal tables,
# and PostgreSQL's migration version (SQLite keeps it in PRAGMA user_version).
_BOOKKEEPING = ("schema_version",)


async def table_columns(db) -> dict[str, dict[str, str]]:
    """Every table of the product's schema → {column: declared type, upper case}, in column
    order, on either backend."""
    out: dict[str, dict[str, str]] = {}
    if db.dialect == "sqlite":
        for (table,) in await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        ):
            out[table] = {c["name"]: c["type"].upper()
                          for c in await db.fetchall(f"PRAGMA table_info({table})")}
        return out
    for row in await db.fetchall(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
        " AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'"
        " WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position"
    ):
        if row["table_name"] not in _BOOKKEEPING:
            out.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"].upper()
    return out


async def table_names(db) -> list[str]:
    return list(await table_columns(db))


async def _primary_key(db, table: str) -> list[str]:
    rows = await db.fetchall(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
        " ORDER BY array_position(i.indkey::int2[], a.attnum)", (table,))
    return [r[0] for r in rows]


async def insertion_order(db, table: str) -> str:
    """An ORDER BY list that puts a table's rows in a stable order: SQLite's rowid, and on
    PostgreSQL (no rowid) the primary key, which is the id where a table has one."""
    if db.dialect == "sqlite":
        return "rowid"
    key = await _primary_key(db, table)
    return ", ".join(key) if key else ", ".join(str(i + 1) for i in range(
        len((await table_columns(db))[table])))


async def all_rows(db, *, leave_out: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (but `leave_out`), each table in a stable order."""
    return {t: [tuple(r) for r in await db.fetchall(
        f"SELECT * FROM {t} ORDER BY {await insertion_order(db, t)}")]
            for t in await table_names(db) if t not in leave_out}


async def foreign_key_parents(db, table: str) -> list[str]:
    """The tables that `table`'s foreign keys point at."""
    if db.dialect == "sqlite":
        return [fk["table"] for fk in await db.fetchall(f"PRAGMA foreign_key_list({table})")]
    return [r[0] for r in await db.fetchall(
        "SELECT confrelid::regclass::text FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid = ?::regclass ORDER BY conname", (table,))]


async def integrity_problems(db) -> list[str]:
    """What is wrong with the stored data: [] when the file is sound and no row refers to a
    row that is gone. SQLite checks itself; on PostgreSQL every foreign key is checked by
    looking for rows whose parent is missing."""
    if db.dialect == "sqlite":
        problems = [str(tuple(r)) for r in await db.fetchall("PRAGMA foreign_key_check")]
        check = await db.scalar("PRAGMA integrity_check")
        return problems if check == "ok" else [check, *problems]
    problems = []
    for fk in await db.fetchall(
        "SELECT c.conname, c.conrelid::regclass::text AS child,"
        " c.confrelid::regclass::text AS parent,"
        " ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
        "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)"
        "  AS child_cols,"
        " ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
        "  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)"
        "  AS parent_cols"
        " FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace"
        " WHERE c.contype = 'f' AND s.nspname = current_schema() ORDER BY c.conname"
    ):
        pairs = list(zip(fk["child_cols"], fk["parent_cols"], strict=True))
        present = " AND ".join(f"c.{child} IS NOT NULL" for child, _ in pairs)
        match = " AND ".join(f"p.{parent} = c.{child}" for child, parent in pairs)
        dangling = await db.scalar(
            f"SELECT COUNT(*) FROM {fk['child']} c WHERE {present}"
            f" AND NOT EXISTS (SELECT 1 FROM {fk['parent']} p WHERE {match})")
        if dangling:
            problems.append(f"{fk['conname']}: {dangling} rows of {fk['child']} without "
                            f"their {fk['parent']}")
    return problems


async def refuse_deletes(db, table: str, message: str) -> None:
    """From now on every DELETE from `table` fails with `message` (a trigger)."""
    if db.dialect == "sqlite":
        await db.executescript(
            f"CREATE TRIGGER refuse_{table} BEFORE DELETE ON {table} BEGIN"
            f" SELECT RAISE(ABORT, '{message}'); END;")
        return
    await db.executescript(
        f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN RAISE EXCEPTION '{message}'; END $$;"
        f" CREATE TRIGGER refuse_{table} BEFORE DELETE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION refuse_{table}();")
