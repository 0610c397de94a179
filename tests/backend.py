"""Which database the suite runs on: SQLite in a temp folder (the default), or PostgreSQL when
ONWARD_TEST_DATABASE_URL names a server (each test then gets a fresh database, copied from a
template migrated once per test process)."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import pytest

from bot.db.postgres import PgDatabase

PG_URL = os.environ.get("ONWARD_TEST_DATABASE_URL", "")
ON_POSTGRESQL = PG_URL.startswith(("postgresql://", "postgres://"))

sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="about SQLite's own file and its limits")

_template: str | None = None


def _url_for(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(PG_URL)


async def _ensure_template() -> str:
    global _template
    if _template is None:
        from bot.db.migrate import migrate

        name = f"onward_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = await _admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await admin.close()
        db = await PgDatabase.open(_url_for(name), pool_size=1)
        try:
            await migrate(db)
        finally:
            await db.close()
        _template = name
    return _template


def drop_template() -> None:
    """At the end of the test session (no event loop running): the server keeps no template
    behind."""
    global _template
    if _template is not None:
        name, _template = _template, None
        asyncio.run(drop_database(_url_for(name)))


async def fresh_postgresql_url() -> str:
    """A new, migrated, empty database on the test server; drop it with `drop_database`."""
    template = await _ensure_template()
    name = f"onward_t_{uuid.uuid4().hex[:12]}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return _url_for(name)


async def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


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
