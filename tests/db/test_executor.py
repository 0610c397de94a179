"""The database's own executor: one thread owns the SQLite connection and runs every call in
the order it was made; a caller that stops waiting never undoes or half-does its work; closing
finishes what was asked before it and refuses what comes after, without hanging."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from bot.db.connection import Database, DatabaseClosed, SyncTransaction
from bot.db.migrate import migrate
from tests.backend import sqlite_only

pytestmark = sqlite_only


async def _stored(db) -> list[str]:
    return [row["key"] for row in await db.fetchall("SELECT key FROM meta ORDER BY rowid")]


async def _keys_in(path) -> list[str]:
    reopened = await Database.open(str(path))
    try:
        return await _stored(reopened)
    finally:
        await reopened.close()


def _block(db) -> threading.Event:
    """Hold the database thread until the returned event is set, so that what is asked
    meanwhile waits in its queue."""
    release = threading.Event()
    db._worker.post(lambda conn: release.wait(5))
    return release


async def test_calls_run_in_the_order_they_were_made(db):
    async with db.transaction() as tx:
        # Fifty statements in flight at once, and reads among them that see what came before.
        calls = []
        for i in range(50):
            calls.append(tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                                    (f"k{i:02}", str(i))))
            calls.append(tx.fetchone("SELECT COUNT(*) FROM meta"))
        results = await asyncio.gather(*calls)
    assert [row[0] for row in results[1::2]] == list(range(1, 51))
    assert await _stored(db) == [f"k{i:02}" for i in range(50)]


async def test_rows_are_sqlite3_rows_and_statements_report_what_they_did(db):
    async with db.transaction() as tx:
        first = await tx.insert("INSERT INTO meta (key, value) VALUES ('a', '1')")
        done = await tx.execute("UPDATE meta SET value = '2' WHERE key IN ('a', 'nope')")
    row = await db.fetchone("SELECT key, value FROM meta")
    assert isinstance(row, sqlite3.Row) and dict(row) == {"key": "a", "value": "2"}
    assert first >= 1 and done.rowcount == 1
    assert await db.scalar("SELECT value FROM meta WHERE key = 'nope'") is None


async def test_the_connection_is_used_only_in_its_own_thread(db):
    def where(tx: SyncTransaction) -> int:
        return threading.get_ident()

    ident = await db.run(where)
    assert ident != threading.get_ident()
    assert await db.run(where) == ident


async def test_a_caller_cancelled_during_commit_does_not_lose_its_write(db):
    inserted, go = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('kept', '1')")
            inserted.set()
            await go.wait()
        # COMMIT is queued behind the held thread when the caller is cancelled.

    writer = asyncio.create_task(write())
    await inserted.wait()
    release = _block(db)
    go.set()
    await asyncio.sleep(0.05)
    writer.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await writer
    assert await _stored(db) == ["kept"]
    async with db.transaction() as tx:       # no transaction was left open
        await tx.execute("INSERT INTO meta (key, value) VALUES ('next', '2')")
    assert await _stored(db) == ["kept", "next"]


async def test_a_caller_cancelled_before_its_transaction_began_leaves_nothing_open(db):
    release = _block(db)
    writer = asyncio.create_task(db.transaction().__aenter__())
    await asyncio.sleep(0.05)                # BEGIN is queued behind the held thread
    writer.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await writer
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('after', '1')")
    assert await _stored(db) == ["after"]


async def test_a_caller_cancelled_half_way_keeps_none_of_its_transaction(db):
    inserted = asyncio.Event()

    async def write() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('half', '1')")
            inserted.set()
            await asyncio.sleep(10)
            await tx.execute("INSERT INTO meta (key, value) VALUES ('other half', '2')")

    writer = asyncio.create_task(write())
    await inserted.wait()
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writer
    assert await _stored(db) == []
    await db.run(lambda tx: tx.execute("INSERT INTO meta (key, value) VALUES ('next', '1')"))
    assert await _stored(db) == ["next"]


async def test_close_finishes_what_was_asked_before_it(tmp_path):
    path = tmp_path / "drain.db"
    db = await Database.open(str(path))
    await migrate(db)
    release = _block(db)
    writes = [asyncio.create_task(db.run(
        lambda tx, i=i: tx.insert("INSERT INTO meta (key, value) VALUES (?, 'x')", (f"w{i}",))))
        for i in range(5)]
    read = asyncio.create_task(db.scalar("SELECT COUNT(*) FROM meta"))
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    release.set()
    await asyncio.wait_for(closing, timeout=5)
    assert all(isinstance(rowid, int) for rowid in await asyncio.gather(*writes))
    assert await read in (0, 5)             # answered, not refused
    await asyncio.to_thread(db._worker.thread.join, 5)
    assert not db._worker.thread.is_alive()
    assert await _keys_in(path) == [f"w{i}" for i in range(5)]


async def test_close_waits_for_a_transaction_under_way(tmp_path):
    path = tmp_path / "open-transaction.db"
    db = await Database.open(str(path))
    await migrate(db)
    inserted, go = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('first', '1')")
            inserted.set()
            await go.wait()
            await tx.execute("INSERT INTO meta (key, value) VALUES ('second', '2')")

    writer = asyncio.create_task(write())
    await inserted.wait()
    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    go.set()
    await asyncio.wait_for(asyncio.gather(writer, closing), timeout=5)
    assert await _keys_in(path) == ["first", "second"]


async def test_after_close_every_call_fails_at_once_and_closing_again_is_harmless(tmp_path):
    db = await Database.open(str(tmp_path / "closed.db"))
    await db.close()
    await db.close()
    for call in (db.fetchall("SELECT 1"), db.scalar("SELECT 1"), db.executescript("SELECT 1"),
                 db.run(lambda tx: None)):
        with pytest.raises(DatabaseClosed):
            await asyncio.wait_for(call, timeout=5)
    with pytest.raises(DatabaseClosed):
        async with db.transaction():
            pass
    # Closing released the file: another process (here, another open) may take it.
    again = await Database.open(str(tmp_path / "closed.db"))
    await again.close()


async def test_a_script_that_fails_part_way_leaves_no_transaction_open(db):
    with pytest.raises(sqlite3.OperationalError):
        await db.executescript(
            "BEGIN; INSERT INTO meta (key, value) VALUES ('a', '1');"
            " INSERT INTO nowhere VALUES (1); COMMIT;")
    assert await _stored(db) == []
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
    assert await _stored(db) == ["b"]


async def test_quick_reads_see_every_commit_and_nothing_uncommitted(db):
    inserted, go = asyncio.Event(), asyncio.Event()

    async def write() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('pending', '1')")
            inserted.set()
            await go.wait()

    writer = asyncio.create_task(write())
    await inserted.wait()
    assert await db.scalar("SELECT value FROM meta WHERE key = 'pending'") is None
    go.set()
    await writer
    assert await db.scalar("SELECT value FROM meta WHERE key = 'pending'") == "1"
    await db.run(lambda tx: tx.execute("UPDATE meta SET value = '2' WHERE key = 'pending'"))
    row = await db.fetchone("SELECT key, value FROM meta WHERE key = 'pending'")
    assert isinstance(row, sqlite3.Row) and row["value"] == "2"
    # Not a plain read: the connection that writes runs it, and it takes effect there.
    assert await db.fetchone("PRAGMA foreign_keys") is not None
    assert await db.run(lambda tx: tx.fetchone("PRAGMA foreign_keys")[0]) == 1


async def test_a_quick_read_that_meets_a_lock_is_asked_of_the_database_thread(db):
    class Locked:
        def execute(self, sql, params=()):
            raise sqlite3.OperationalError("database is locked")

        def close(self) -> None:
            pass

    await db.run(lambda tx: tx.execute("INSERT INTO meta (key, value) VALUES ('a', '1')"))
    real, db._reader = db._reader, Locked()
    try:
        assert await db.scalar("SELECT value FROM meta WHERE key = 'a'") == "1"
        assert (await db.fetchone("SELECT value FROM meta WHERE key = 'a'"))["value"] == "1"
    finally:
        db._reader = real
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.scalar("SELECT 1 FROM no_such_table")
