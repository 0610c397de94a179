"""A database that refuses writes: callers get StorageUnavailable (nothing stored), reads go on,
and the same connection works again once the storage does, without a restart."""

from __future__ import annotations

import logging
import sqlite3

import asyncpg
import pytest

from bot.db import postgres
from bot.db.connection import StorageUnavailable, is_storage_failure
from bot.errors import FailureLog
from tests.backend import ON_POSTGRESQL, PG_URL, sqlite_only

postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs ONWARD_TEST_DATABASE_URL")

FULL = "database or disk is full"


async def count(db) -> int:
    return await db.scalar("SELECT COUNT(*) FROM meta WHERE key LIKE 'test:%'")


def insert(key: str):
    def work(tx):
        tx.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", (key,))
        return key
    return work


async def test_refused_writes_raise_storage_unavailable_and_store_nothing(db):
    db.refuse_writes(FULL)
    with pytest.raises(StorageUnavailable) as raised:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('test:a', 'x')")
    assert raised.value.reason == FULL
    with pytest.raises(StorageUnavailable):
        await db.run(insert("test:b"))
    assert await count(db) == 0                     # reads still work
    db.refuse_writes(None)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('test:a', 'x')")
    assert await db.run(insert("test:b")) == "test:b"
    assert await count(db) == 2


@sqlite_only
async def test_a_real_full_database_recovers_without_reopening(db):
    """SQLite's own SQLITE_FULL, from a page limit: the same error a full disk gives."""
    pages = await db.scalar("PRAGMA page_count")
    await db.fetchall(f"PRAGMA max_page_count = {pages + 1}")
    big = "x" * 50_000
    with pytest.raises(StorageUnavailable) as raised:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('test:big', ?)", (big,))
    assert "full" in raised.value.reason
    with pytest.raises(StorageUnavailable):
        await db.run(lambda tx: tx.execute(
            "INSERT INTO meta (key, value) VALUES ('test:big2', ?)", (big,)))
    await db.fetchall("PRAGMA max_page_count = 1073741823")
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('test:big', ?)", (big,))
    assert await db.run(insert("test:after")) == "test:after"
    assert await count(db) == 2


@postgresql_only
async def test_a_dropped_connection_refuses_the_write_and_the_next_ones_work(db):
    """The server ends the connection in the middle of a transaction (a restart, an admin):
    that write is refused whole, and the pool carries on without reopening the database."""
    with pytest.raises(StorageUnavailable):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('test:a', 'x')")
            pid = (await tx.fetchone("SELECT pg_backend_pid()"))[0]
            admin = await asyncpg.connect(PG_URL)
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await tx.execute("INSERT INTO meta (key, value) VALUES ('test:b', 'x')")
    assert await count(db) == 0
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('test:a', 'x')")
    assert await db.run(insert("test:b")) == "test:b"
    assert await count(db) == 2


async def test_a_mistake_in_sql_is_not_a_storage_failure(db):
    with pytest.raises((sqlite3.OperationalError, asyncpg.UndefinedTableError)) as raised:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO no_such_table VALUES (1)")
    assert not isinstance(raised.value, StorageUnavailable)
    assert not is_storage_failure(raised.value)
    assert not postgres.is_storage_failure(raised.value)
    assert is_storage_failure(sqlite3.OperationalError("database is locked"))
    assert not is_storage_failure(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert postgres.is_storage_failure(asyncpg.ReadOnlySQLTransactionError("read-only"))
    assert not postgres.is_storage_failure(asyncpg.UniqueViolationError("duplicate key"))


def test_repeated_failures_log_one_traceback_then_a_count(caplog, monkeypatch):
    now = [100.0]
    monkeypatch.setattr("bot.errors.time.monotonic", lambda: now[0])
    logger = logging.getLogger("test.failures")
    failures = FailureLog(logger, window=60, every=10)
    caplog.set_level(logging.ERROR, "test.failures")
    for _ in range(12):
        failures.log(logging.ERROR, "write refused", StorageUnavailable(FULL))
        now[0] += 1
    lines = [(r.getMessage(), bool(r.exc_info)) for r in caplog.records]
    assert lines == [
        ("write refused", True),
        (f"StorageUnavailable: {FULL} again (11 times in the last minute)", False),
    ]
    now[0] += 120                                   # quiet for two minutes: a new run
    failures.log(logging.ERROR, "write refused", StorageUnavailable(FULL))
    assert caplog.records[-1].exc_info


def test_a_repeated_bug_keeps_one_line_per_code(caplog):
    failures = FailureLog(logging.getLogger("test.bugs"))
    caplog.set_level(logging.ERROR, "test.bugs")
    for code in ("AB12", "CD34"):
        failures.log(logging.ERROR, "unexpected error %s", KeyError("roles"), code, each=True)
    assert [(r.getMessage(), bool(r.exc_info)) for r in caplog.records] == [
        ("unexpected error AB12", True),
        ("unexpected error CD34: KeyError: 'roles' again (2 times in the last minute)", False),
    ]
