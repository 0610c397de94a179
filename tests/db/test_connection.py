"""Database.run: a whole write transaction in one trip to the database thread. The tests of
SQLite's single writer (its queue and shared commits) are SQLite's alone; PostgreSQL lets
transactions run side by side."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import asyncpg
import pytest

from bot.db.connection import SyncTransaction
from bot.errors import InvalidInput
from tests.backend import sqlite_only


def _put(tx: SyncTransaction, key: str, value: str) -> None:
    tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))


async def _stored(db) -> dict[str, str]:
    return {row["key"]: row["value"] for row in await db.fetchall("SELECT key, value FROM meta")}


async def test_run_commits_and_returns_what_the_work_returns(db):
    def work(tx: SyncTransaction) -> dict:
        _put(tx, "a", "1")
        _put(tx, "b", "2")
        # Reads inside see the transaction's own writes, as dict-able rows.
        return dict(tx.fetchone("SELECT key, value FROM meta WHERE key = ?", ("b",)))

    assert await db.run(work) == {"key": "b", "value": "2"}
    assert await _stored(db) == {"a": "1", "b": "2"}


async def test_run_rolls_back_everything_when_the_work_raises(db):
    def work(tx: SyncTransaction) -> None:
        _put(tx, "a", "1")
        raise RuntimeError("broken half way")

    with pytest.raises(RuntimeError, match="broken half way"):
        await db.run(work)
    assert await _stored(db) == {}
    # The connection is left outside any transaction: the next write works.
    await db.run(lambda tx: _put(tx, "c", "3"))
    assert await _stored(db) == {"c": "3"}


async def test_a_user_facing_error_inside_reaches_the_caller_and_nothing_is_stored(db):
    def work(tx: SyncTransaction) -> None:
        _put(tx, "a", "1")
        raise InvalidInput("That date is in the future.")

    with pytest.raises(InvalidInput) as caught:
        await db.run(work)
    assert caught.value.message == "That date is in the future."
    assert await _stored(db) == {}


async def test_a_constraint_failure_rolls_back_the_earlier_statements(db):
    await db.run(lambda tx: _put(tx, "taken", "0"))

    def work(tx: SyncTransaction) -> None:
        _put(tx, "a", "1")
        _put(tx, "taken", "again")   # primary key

    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError),
                       match="(?i)unique"):
        await db.run(work)
    assert await _stored(db) == {"taken": "0"}


@sqlite_only
async def test_run_waits_for_an_open_transaction_to_commit(db):
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_transaction() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('first', '1')")
            entered.set()
            await release.wait()
            await tx.execute("INSERT INTO meta (key, value) VALUES ('second', '2')")

    def read_then_write(tx: SyncTransaction) -> list[str]:
        seen = [row["key"] for row in tx.fetchall("SELECT key FROM meta ORDER BY key")]
        _put(tx, "third", "3")
        return seen

    slow = asyncio.create_task(slow_transaction())
    await entered.wait()
    run = asyncio.create_task(db.run(read_then_write))
    await asyncio.sleep(0.05)
    assert not run.done()            # held back by the write lock, not interleaved
    release.set()
    await slow
    assert await run == ["first", "second"]   # it ran after the whole transaction
    assert await _stored(db) == {"first": "1", "second": "2", "third": "3"}


@sqlite_only
async def test_a_transaction_waits_for_run_to_commit(db):
    in_thread, release = threading.Event(), threading.Event()

    def blocking_work(tx: SyncTransaction) -> None:
        _put(tx, "first", "1")
        in_thread.set()
        assert release.wait(timeout=5)
        _put(tx, "second", "2")

    async def later_transaction() -> int:
        async with db.transaction() as tx:
            row = await tx.fetchone("SELECT COUNT(*) FROM meta")
            await tx.execute("INSERT INTO meta (key, value) VALUES ('third', '3')")
        return row[0]

    run = asyncio.create_task(db.run(blocking_work))
    assert await asyncio.to_thread(in_thread.wait, 5)
    later = asyncio.create_task(later_transaction())
    await asyncio.sleep(0.05)
    assert not later.done()
    release.set()
    await run
    assert await later == 2          # it saw both of run's rows, committed
    assert await _stored(db) == {"first": "1", "second": "2", "third": "3"}


async def _hold_the_thread(db) -> tuple[asyncio.Task, threading.Event]:
    """Start a write that waits in the database thread until released, so the writes queued
    meanwhile are committed together after it."""
    in_thread, release = threading.Event(), threading.Event()

    def blocking_work(tx: SyncTransaction) -> None:
        _put(tx, "first", "1")
        in_thread.set()
        assert release.wait(timeout=5)

    first = asyncio.create_task(db.run(blocking_work))
    assert await asyncio.to_thread(in_thread.wait, 5)
    return first, release


@sqlite_only
async def test_writes_queued_during_a_commit_share_the_next_commit(db):
    statements: list[str] = []
    await db.run(lambda tx: tx._conn.set_trace_callback(statements.append))
    statements.clear()
    first, release = await _hold_the_thread(db)

    def put(i: int):
        def work(tx: SyncTransaction) -> int:
            _put(tx, f"k{i}", str(i))
            return i * 10
        return work

    queued = [asyncio.create_task(db.run(put(i))) for i in range(10)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in queued)   # nothing returns before its commit
    release.set()
    await first
    assert await asyncio.gather(*queued) == [i * 10 for i in range(10)]
    assert statements.count("COMMIT") == 2           # the held write, then the ten together
    assert len(await _stored(db)) == 11


async def test_one_failing_write_in_a_shared_commit_leaves_the_others_stored(db):
    first, release = await _hold_the_thread(db)

    def put(key: str, fail: bool = False):
        def work(tx: SyncTransaction) -> str:
            _put(tx, key, "x")
            if fail:
                raise InvalidInput("That date is in the future.")
            return key
        return work

    before = asyncio.create_task(db.run(put("before")))
    broken = asyncio.create_task(db.run(put("broken", fail=True)))
    after = asyncio.create_task(db.run(put("after")))
    await asyncio.sleep(0.05)
    release.set()
    await first
    assert await before == "before"
    assert await after == "after"
    with pytest.raises(InvalidInput, match="in the future"):
        await broken
    assert set(await _stored(db)) == {"first", "before", "after"}


@sqlite_only
async def test_a_caller_that_stops_waiting_neither_loses_its_write_nor_blocks_others(db):
    first, release = await _hold_the_thread(db)
    impatient = asyncio.create_task(db.run(lambda tx: _put(tx, "impatient", "1")))
    patient = asyncio.create_task(db.run(lambda tx: _put(tx, "patient", "2")))
    await asyncio.sleep(0.05)
    impatient.cancel()
    release.set()
    await first
    await patient
    assert impatient.cancelled()
    # Queued before it gave up, its write was already promised to the thread: it stands.
    assert await _stored(db) == {"first": "1", "impatient": "1", "patient": "2"}


async def test_a_caller_that_stops_waiting_mid_write_does_not_undo_it(db):
    in_thread, release = threading.Event(), threading.Event()

    def slow(tx: SyncTransaction) -> None:
        _put(tx, "impatient", "1")
        in_thread.set()
        assert release.wait(timeout=5)

    impatient = asyncio.create_task(db.run(slow))
    assert await asyncio.to_thread(in_thread.wait, 5)
    impatient.cancel()
    await asyncio.sleep(0.05)
    release.set()
    await db.run(lambda tx: _put(tx, "patient", "2"))
    assert impatient.cancelled()
    for _ in range(100):   # its commit may land just after the next write's
        if len(await _stored(db)) == 2:
            break
        await asyncio.sleep(0.05)
    assert await _stored(db) == {"impatient": "1", "patient": "2"}


async def test_a_write_after_the_database_closed_fails_instead_of_waiting_forever(tmp_path):
    from bot.db.connection import Database

    database = await Database.open(str(tmp_path / "closed.db"))
    await database.close()
    with pytest.raises(ValueError):
        await asyncio.wait_for(database.run(lambda tx: _put(tx, "late", "1")), timeout=5)
