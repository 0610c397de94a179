"""One SQLite connection for the whole bot, owned by one thread of its own: WAL, foreign keys,
explicit transactions.

Every call on the connection is a work item on that thread's queue, run in the order it was
queued; its result comes back to the event loop with `call_soon_threadsafe`. Once queued, an
item runs even if its caller stops waiting, so a write that was promised is never half done."""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import os
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

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


class DatabaseClosed(ValueError):
    """Work asked of a database after `close()`."""


# What the worker thread takes off its queue: fn(connection, *args), and where its outcome
# goes (an event loop and a future on it), or None when nobody waits for it. None ends it.
_Item = tuple[Callable[..., Any], tuple, asyncio.AbstractEventLoop | None,
              asyncio.Future | None]


class _Worker:
    """The one thread that owns the sqlite3 connection. Items run one at a time, in the order
    queued; each outcome is handed to the event loop in one `call_soon_threadsafe`. After
    `stop()` the items already queued still run, then the connection closes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.closed = False
        self._items: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._stopped: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Open the connection in the thread; raises sqlite3.Error if it cannot be opened."""
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = loop.create_future()
        self.thread = threading.Thread(target=self._serve, args=(loop, opened),
                                  name="onward-sqlite", daemon=True)
        self.thread.start()
        try:
            await opened
        except BaseException:
            self.closed = True
            raise

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue fn(connection, *args); the future settles with its result or exception.
        Raises DatabaseClosed, without queueing, once the database is closed."""
        if self.closed:
            raise DatabaseClosed("The database is closed.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._items.put((fn, args, loop, future))
        return future

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue fn(connection, *args) with nobody waiting for it. Raises DatabaseClosed."""
        if self.closed:
            raise DatabaseClosed("The database is closed.")
        self._items.put((fn, args, None, None))

    def undo(self) -> None:
        """Queue a rollback of the transaction left open, if any (none once closed: closing
        rolls back)."""
        if not self.closed:
            self._items.put((_rollback_if_open, (), None, None))

    async def stop(self) -> None:
        """Let everything queued so far run, then close the connection and end the thread."""
        if self._stopped is None:
            self._stopped = asyncio.get_running_loop().create_future()
            self._items.put((_close, (), asyncio.get_running_loop(), self._stopped))
            self._items.put(None)
            self.closed = True
        await asyncio.shield(self._stopped)

    def _serve(self, loop: asyncio.AbstractEventLoop, opened: asyncio.Future[None]) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=5)
            conn.row_factory = sqlite3.Row
        except BaseException as exc:
            _hand_back(loop, _fail, opened, exc)
            return
        _hand_back(loop, _succeed, opened, None)
        while (item := self._items.get()) is not None:
            fn, args, to, future = item
            try:
                result = fn(conn, *args)
            except BaseException as exc:  # noqa: BLE001 - the caller gets it, the thread goes on
                if to is not None:
                    _hand_back(to, _fail, future, exc)
            else:
                if to is not None:
                    _hand_back(to, _succeed, future, result)
        conn.close()   # a no-op when _close already did it


def _hand_back(loop: asyncio.AbstractEventLoop, settle: Callable[..., None],
               *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(settle, *args)
    except RuntimeError:    # the event loop is closed: nobody is left to tell
        pass


def _succeed(future: asyncio.Future, value: Any) -> None:
    if not future.done():   # a caller that stopped waiting: the work stands all the same
        future.set_result(value)


def _fail(future: asyncio.Future, error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


# Work items: each runs in the worker thread with its connection first.

def _close(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:   # a transaction never finished: it is not kept
        conn.execute("ROLLBACK")
    conn.close()


def _prepare(conn: sqlite3.Connection) -> tuple[Any, Any]:
    conn.execute("PRAGMA busy_timeout = 5000")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL: a commit is on disk before the member is told, even across a power cut
    # (NORMAL would only survive a process crash); about 0.2 ms a commit here.
    conn.execute("PRAGMA synchronous = FULL")
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    return mode, check


def _fetchall(conn: sqlite3.Connection, sql: str, params: tuple) -> list[sqlite3.Row]:
    return conn.execute(sql, params).fetchall()


def _fetchone(conn: sqlite3.Connection, sql: str, params: tuple) -> sqlite3.Row | None:
    return conn.execute(sql, params).fetchone()


def _scalar(conn: sqlite3.Connection, sql: str, params: tuple) -> Any:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def _execute(conn: sqlite3.Connection, sql: str, params: tuple) -> Executed:
    cur = conn.execute(sql, params)
    return Executed(cur.rowcount, cur.lastrowid)


def _executemany(conn: sqlite3.Connection, sql: str, rows: list[tuple]) -> None:
    conn.executemany(sql, rows)


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    # SQLite may already have rolled back by itself (e.g. disk full).
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback_if_open(conn)
        raise


def _executescript(conn: sqlite3.Connection, script: str) -> None:
    try:
        conn.executescript(script)
    except BaseException:
        _rollback_if_open(conn)   # a script that failed after its own BEGIN keeps nothing
        raise


def _open_reader(path: str) -> sqlite3.Connection:
    """A second connection for quick reads on the event loop; it can never write."""
    reader = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA query_only = ON")
    return reader


def _reads_only(sql: str) -> bool:
    # A PRAGMA may set something on the writing connection: that one runs it.
    return sql.lstrip()[:6].upper() == "SELECT"


class Executed:
    """What a statement run by `Transaction.execute` did."""

    __slots__ = ("rowcount", "lastrowid")

    def __init__(self, rowcount: int, lastrowid: int | None) -> None:
        self.rowcount = rowcount
        self.lastrowid = lastrowid


class Database:
    """Wraps the connection. Writes go through `transaction()`, which serialises them,
    so a confirmation sent after the block is always about a committed row."""

    dialect = "sqlite"

    def __init__(self, worker: _Worker, owner_lock: int | None = None,
                 reader: sqlite3.Connection | None = None) -> None:
        self._worker = worker
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._owner_lock = owner_lock
        self._queued: list[_Queued] = []
        self._committer: asyncio.Task | None = None
        self._refusal: str | None = None

    @classmethod
    async def open(cls, path: str) -> Database:
        """Open (creating if needed) the database at `path` and check it can be used. Raises
        DatabaseUnavailable with what to do when it cannot."""
        owner_lock = None
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            owner_lock = _claim(path)
        worker = _Worker(path)
        try:
            await worker.start()
        except sqlite3.Error as exc:
            _release(owner_lock)
            raise DatabaseUnavailable(f"Cannot open the database at {path}: {exc}.") from exc
        except BaseException:
            _release(owner_lock)
            raise
        db = cls(worker, owner_lock)
        try:
            await db._check_usable(path)
            if path != ":memory:":     # another connection to :memory: is another database
                db._reader = _open_reader(path)
        except sqlite3.Error as exc:
            await worker.stop()
            _release(owner_lock)
            raise DatabaseUnavailable(f"Cannot open the database at {path}: {exc}.") from exc
        except BaseException:
            await worker.stop()
            _release(owner_lock)
            raise
        return db

    async def _check_usable(self, path: str) -> None:
        # A damaged or foreign file must stop the start, never be replaced by an empty one.
        try:
            mode, check = await self._worker.call(_prepare)
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
        """Finish the work already queued (a transaction under way ends first), then close.
        Anything asked afterwards raises DatabaseClosed. Closing twice is harmless."""
        # Writes handed to run() before now are promised: commit them first.
        while self._committer is not None and not self._committer.done():
            await asyncio.wait({self._committer})
        async with self._write_lock:
            await self._worker.stop()
            if self._reader is not None:
                self._reader.close()
            _release(self._owner_lock)
            self._owner_lock = None

    # Reads -----------------------------------------------------------------
    # They see what is committed. fetchall is one trip to the database thread (execute and
    # fetch together), so the event loop goes on while a long list is read. fetchone and
    # scalar are for statements that find at most a row or two by an index: those run at once
    # on a read-only connection of their own (WAL lets it read while the thread writes),
    # which is faster than the two thread switches and the event loop turn of a trip.

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return await self._worker.call(_fetchall, sql, tuple(params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        args = tuple(params)
        if self._reader is not None and _reads_only(sql):
            try:
                return self._read().execute(sql, args).fetchone()
            except sqlite3.OperationalError as exc:
                if not is_storage_failure(exc):
                    raise
        return await self._worker.call(_fetchone, sql, args)

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        args = tuple(params)
        if self._reader is not None and _reads_only(sql):
            try:
                row = self._read().execute(sql, args).fetchone()
                return None if row is None else row[0]
            except sqlite3.OperationalError as exc:
                if not is_storage_failure(exc):
                    raise
        return await self._worker.call(_scalar, sql, args)

    def _read(self) -> sqlite3.Connection:
        # A read that meets a lock (rare in WAL) goes to the database thread, which may wait
        # for it; the event loop must not.
        if self._worker.closed:
            raise DatabaseClosed("The database is closed.")
        assert self._reader is not None
        return self._reader

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
                await self._worker.call(self._begin)
            except sqlite3.OperationalError as exc:
                _raise_if_refused(exc)
                raise
            except BaseException:
                # Cancelled with BEGIN queued: it still runs, so undo it right behind.
                self._worker.undo()
                raise
            try:
                yield Transaction(self._worker)
            except BaseException as exc:
                # Queued behind the statements already sent, ahead of anyone else's.
                self._worker.undo()
                _raise_if_refused(exc)
                raise
            else:
                try:
                    await self._worker.call(_commit)
                except sqlite3.OperationalError as exc:
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
                    done = loop.create_future()
                    self._worker.post(self._commit_batch, loop, batch, done)
                    await done
                batch = []
        except Exception as exc:
            # The thread never took the batch (the database is closed): nothing was written.
            stranded, self._queued = batch + self._queued, []
            _settle(stranded, [(False, exc)] * len(stranded))
        except BaseException:
            # Cancelled at shutdown. A batch the thread has taken is still settled from there;
            # the rest must not wait forever.
            for _, outcome in self._queued:
                outcome.cancel()
            self._queued = []
            raise

    def _commit_batch(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop,
                      batch: list[_Queued], done: asyncio.Future[None]) -> None:
        """In the database thread. Each caller's outcome is settled from here, in one hop back
        to the event loop together with `done`, and only after COMMIT, so no reply can run
        ahead of its row."""
        try:
            results = self._apply(conn, [work for work, _ in batch])
        except Exception as exc:  # BEGIN or COMMIT failed: none of the batch was kept
            results = [(False, exc)] * len(batch)
        _hand_back(loop, _settle, batch + [(_no_work, done)], results + [(True, None)])

    def _apply(self, conn: sqlite3.Connection,
               works: list[Callable[[SyncTransaction], Any]]) -> list[tuple[bool, Any]]:
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
            _rollback_if_open(conn)
            raise
        return results

    async def executescript(self, script: str) -> None:
        """Run a script of several statements (it manages its own transaction). A script that
        fails part way leaves no transaction open."""
        async with self._write_lock:
            try:
                if self._refusal is not None:
                    raise sqlite3.OperationalError(self._refusal)
                await self._worker.call(_executescript, script)
            except sqlite3.OperationalError as exc:
                _raise_if_refused(exc)
                raise


_Queued = tuple[Callable[["SyncTransaction"], Any], asyncio.Future]


def _no_work(tx: SyncTransaction) -> None:
    return None


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

    def __init__(self, worker: _Worker) -> None:
        self._worker = worker

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Executed:
        return await self._worker.call(_execute, sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self._worker.call(_executemany, sql, [tuple(r) for r in rows])

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        done = await self._worker.call(_execute, sql, tuple(params))
        assert done.lastrowid is not None, "an INSERT sets lastrowid"
        return int(done.lastrowid)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        return await self._worker.call(_fetchone, sql, tuple(params))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return await self._worker.call(_fetchall, sql, tuple(params))


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
