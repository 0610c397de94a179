"""One aiosqlite connection for the whole bot: WAL, foreign keys, explicit transactions."""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.compat import raw_connection, run_in_db_thread

T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database file cannot be used; the message says what to do."""


class StorageUnavailable(RuntimeError):
    """A write the database refused (disk full, locked past the busy timeout, read-only, I/O
    error, file gone): the transaction was rolled back, so nothing of it was stored. The
    connection stays usable; the next write is tried afresh."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# SQLite result codes that mean "the storage is not taking changes", not "the SQL is wrong".
_STORAGE_CODES = ("SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR",
                  "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_NOMEM", "SQLITE_PROTOCOL")
_STORAGE_WORDS = ("disk is full", "database is locked", "database table is locked",
                  "disk i/o error", "readonly database", "unable to open", "out of memory")


def is_storage_failure(error: BaseException) -> bool:
    """Whether an sqlite3 error says the storage refused the work (worth retrying later)."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    name = getattr(error, "sqlite_errorname", None)
    if name:
        return name.startswith(_STORAGE_CODES)
    text = str(error).lower()
    return any(words in text for words in _STORAGE_WORDS)


def _raise_if_refused(error: BaseException) -> None:
    """A write's caller sees StorageUnavailable for a refused write; other errors as they are."""
    if is_storage_failure(error):
        raise StorageUnavailable(str(error)) from error


def sqlite_path(database_url: str) -> str:
    """`sqlite:///data/onward.db` → `data/onward.db`; `sqlite:///:memory:` → `:memory:`."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        raise DatabaseUnavailable(
            f"DATABASE_URL must start with {prefix!r} (got {database_url!r})."
        )
    return database_url[len(prefix):]


def _claim(path: str) -> int:
    """Two bots on one file would each run the schedules and post twice. SQLite's own locks
    last only as long as a transaction, so a lock file next to the database marks its owner;
    the kernel releases it if the process dies."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseUnavailable(
            f"The database at {path} is in use by another Onward process. "
            "Stop that one first (or give this one its own DATABASE_URL)."
        ) from None
    return fd


def _release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor drops the lock


class Database:
    """Wraps the connection. Writes go through `transaction()`, which serialises them,
    so a confirmation sent after the block is always about a committed row."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, owner_lock: int | None = None) -> None:
        self._conn = conn
        self._write_lock = asyncio.Lock()
        self._owner_lock = owner_lock
        self._queued: list[_Queued] = []
        self._committer: asyncio.Task | None = None
        self._refusal: str | None = None

    @classmethod
    async def open(cls, path: str) -> Database:
        owner_lock = None
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            owner_lock = _claim(path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None, timeout=5)
        except sqlite3.Error as exc:
            _release(owner_lock)
            raise DatabaseUnavailable(f"Cannot open the database at {path}: {exc}.") from exc
        conn.row_factory = aiosqlite.Row
        db = cls(conn, owner_lock)
        try:
            await db._check_usable(path)
        except BaseException:
            await conn.close()
            _release(owner_lock)
            raise
        return db

    async def _check_usable(self, path: str) -> None:
        # A damaged or foreign file must stop the start, never be replaced by an empty one.
        try:
            await self._conn.execute("PRAGMA busy_timeout = 5000")
            mode = await self.scalar("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA foreign_keys = ON")
            # FULL: a commit is on disk before the member is told, even across a power cut
            # (NORMAL would only survive a process crash); about 0.2 ms a commit here.
            await self._conn.execute("PRAGMA synchronous = FULL")
            check = await self.scalar("PRAGMA quick_check")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseUnavailable(
                    f"The database at {path} is locked by another process. "
                    "Stop the other Onward instance (or whatever holds the file) and start again."
                ) from exc
            raise DatabaseUnavailable(f"The database at {path} cannot be used: {exc}.") from exc
        except sqlite3.DatabaseError as exc:
            raise DatabaseUnavailable(
                f"The database at {path} is damaged or is not an Onward database ({exc}). "
                "Restore it from a backup or move it away; Onward will not overwrite it."
            ) from exc
        if check != "ok":
            raise DatabaseUnavailable(
                f"The database at {path} failed its integrity check ({check}). "
                "Restore it from a backup or move it away; Onward will not overwrite it."
            )
        if path != ":memory:" and str(mode).lower() != "wal":
            raise DatabaseUnavailable(f"The database at {path} could not switch to WAL mode.")

    async def close(self) -> None:
        async with self._write_lock:
            await self._conn.close()
            _release(self._owner_lock)
            self._owner_lock = None

    # Reads -----------------------------------------------------------------
    # Each call is one round trip to aiosqlite's thread (execute and fetch together); a
    # cursor would take three (execute, fetch, close), each waiting for the event loop.
    # fetchone is for statements that return at most a row or two.

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = list(await self._conn.execute_fetchall(sql, tuple(params)))
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # Writes ----------------------------------------------------------------
    # A write the storage refuses raises StorageUnavailable (after rolling back), from
    # transaction() and run() alike, so callers can tell the member truthfully that nothing
    # was stored.

    def refuse_writes(self, reason: str | None = "database or disk is full") -> None:
        """Fault injection for tests and drills: until called with None, every write fails at
        BEGIN with sqlite3.OperationalError(reason), exactly where a full disk or a lock held
        past the busy timeout fails, and takes the same path from there. Reads still work."""
        self._refusal = reason

    def _begin(self, conn: sqlite3.Connection) -> None:
        if self._refusal is not None:
            raise sqlite3.OperationalError(self._refusal)
        conn.execute("BEGIN IMMEDIATE")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._write_lock:
            try:
                if self._refusal is not None:
                    raise sqlite3.OperationalError(self._refusal)
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                _raise_if_refused(exc)
                raise
            try:
                yield Transaction(self._conn)
            except BaseException as exc:
                # SQLite may already have rolled back by itself (e.g. disk full).
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                _raise_if_refused(exc)
                raise
            else:
                try:
                    await self._conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    _raise_if_refused(exc)
                    raise

    async def run(self, work: Callable[[SyncTransaction], T]) -> T:
        """Run `work` as its own transaction in the database thread and return what it returns,
        after COMMIT. `work` is plain synchronous code; if it raises, everything it wrote is
        rolled back and the exception (a UserFacingError included) is raised here.

        Work queued while a commit is under way is committed together in the next one (group
        commit): one trip to the database thread and one disk sync for the lot, each piece in a
        savepoint of its own, so one failing leaves the others' writes in. Under load this is
        what lets writes keep up: each commit waits for the disk and for the event loop, and
        one per entry made every entry wait its turn for both. Shares the write lock with
        `transaction()`, so the two never interleave."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = loop.create_future()
        # In the caller's context (e.g. the language of the interaction), not the committer's.
        context = contextvars.copy_context()

        def in_context(tx: SyncTransaction) -> T:
            return context.run(work, tx)

        self._queued.append((in_context, outcome))
        if self._committer is None or self._committer.done():
            # A task of its own, so a caller cancelled while waiting never strands the others.
            self._committer = loop.create_task(self._commit_queued())
        try:
            return await outcome
        except sqlite3.OperationalError as exc:
            _raise_if_refused(exc)
            raise

    async def _commit_queued(self) -> None:
        loop = asyncio.get_running_loop()
        batch: list[_Queued] = []
        try:
            while self._queued:
                async with self._write_lock:
                    batch, self._queued = self._queued, []
                    await run_in_db_thread(self._conn, self._commit_batch, loop, batch)
                batch = []
        except Exception as exc:
            # The thread never took the batch (the connection is closed): nothing was written.
            stranded, self._queued = batch + self._queued, []
            _settle(stranded, [(False, exc)] * len(stranded))
        except BaseException:
            # Cancelled at shutdown. A batch the thread has taken is still settled from there;
            # the rest must not wait forever.
            for _, outcome in self._queued:
                outcome.cancel()
            self._queued = []
            raise

    def _commit_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Queued]) -> None:
        """In the database thread. Each caller's outcome is settled from here, in one hop back
        to the event loop, and only after COMMIT, so no reply can run ahead of its row."""
        try:
            results = self._apply([work for work, _ in batch])
        except Exception as exc:  # BEGIN or COMMIT failed: none of the batch was kept
            results = [(False, exc)] * len(batch)
        loop.call_soon_threadsafe(_settle, batch, results)

    def _apply(self, works: list[Callable[[SyncTransaction], Any]]) -> list[tuple[bool, Any]]:
        conn = raw_connection(self._conn)
        tx = SyncTransaction(conn)
        alone = len(works) == 1     # then the transaction itself is the unit to roll back
        results: list[tuple[bool, Any]] = []
        self._begin(conn)
        try:
            for work in works:
                if not alone:
                    conn.execute("SAVEPOINT work")
                try:
                    value = work(tx)
                except Exception as exc:
                    if not conn.in_transaction:
                        # SQLite already rolled the whole transaction back (disk full): the
                        # batch fails as one, with this error rather than ROLLBACK's.
                        raise
                    conn.execute("ROLLBACK" if alone else "ROLLBACK TO work")
                    results.append((False, exc))
                    if alone:
                        return results
                else:
                    results.append((True, value))
                if not alone:
                    conn.execute("RELEASE work")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
                conn.execute("ROLLBACK")
            raise
        return results

    async def executescript(self, script: str) -> None:
        async with self._write_lock:
            try:
                if self._refusal is not None:
                    raise sqlite3.OperationalError(self._refusal)
                await self._conn.executescript(script)
            except sqlite3.OperationalError as exc:
                _raise_if_refused(exc)
                raise


_Queued = tuple[Callable[["SyncTransaction"], Any], asyncio.Future]


def _settle(batch: list[_Queued], results: list[tuple[bool, Any]]) -> None:
    for (_, outcome), (ok, value) in zip(batch, results, strict=True):
        if outcome.done():      # its caller stopped waiting; the write stands
            continue
        if ok:
            outcome.set_result(value)
        else:
            outcome.set_exception(value)


class Transaction:
    """The statements of one transaction; reads inside it see its own writes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Cursor:
        return await self._conn.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self._conn.executemany(sql, [tuple(r) for r in rows])

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        cur = await self._conn.execute(sql, tuple(params))
        assert cur.lastrowid is not None, "an INSERT sets lastrowid"
        return int(cur.lastrowid)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = list(await self._conn.execute_fetchall(sql, tuple(params)))
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(params)))


class SyncTransaction:
    """The statements of a transaction run by `Database.run`, in the database thread: the
    same calls as `Transaction`, without awaiting. Rows are sqlite3.Row (dict(row) works)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, tuple(params))

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        cur = self._conn.execute(sql, tuple(params))
        assert cur.lastrowid is not None, "an INSERT sets lastrowid"
        return int(cur.lastrowid)

    def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        return self._conn.execute(sql, tuple(params)).fetchone()

    def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, tuple(params)).fetchall()
