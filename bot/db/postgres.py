"""PostgreSQL through asyncpg, behind the same calls as the SQLite `Database`.

Repositories write SQL once, with `?` placeholders; `pg_sql` numbers them (`$1`, `$2`, ...).
`run(work)` keeps its one write model on both backends: `work(tx)` is plain synchronous code.
Here it runs in a worker thread and each of its statements hops to the event loop, where the
transaction's pooled connection lives; the caller's reply still comes only after COMMIT."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg

from bot.db.connection import DatabaseUnavailable, StorageUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors that mean "the server is not taking work now", not "the SQL is wrong".
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.DiskFullError,
    asyncpg.InsufficientResourcesError,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.LockNotAvailableError,
    asyncpg.AdminShutdownError,
    asyncio.TimeoutError,
)


def is_storage_failure(error: BaseException) -> bool:
    return isinstance(error, _UNAVAILABLE)


def _raise_if_refused(error: BaseException) -> None:
    if isinstance(error, StorageUnavailable):
        raise error
    if is_storage_failure(error):
        raise StorageUnavailable(str(error) or type(error).__name__) from error


_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|\?(\d*)")


@lru_cache(maxsize=2048)
def pg_sql(sql: str) -> str:
    """`?` placeholders → `$1`, `$2`, ... (not inside quotes or comments). `?N` is `$N`, and
    a bare `?` after it takes the next number, as in SQLite."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if not match.group(0).startswith("?"):
            return match.group(0)
        if match.group(1):
            count = max(count, int(match.group(1)))
            return f"${match.group(1)}"
        count += 1
        return f"${count}"

    return _TOKENS.sub(number, sql)


def _count(status: str) -> int:
    """asyncpg's status tag ("UPDATE 3", "INSERT 0 1") → the number of rows it touched."""
    tail = status.rsplit(" ", 1)[-1] if status else ""
    return int(tail) if tail.isdigit() else 0


@dataclass(frozen=True, slots=True)
class Result:
    """What `execute` returns on PostgreSQL: the rows touched, as sqlite3's cursor has it."""
    rowcount: int
    rows: Sequence[asyncpg.Record] = ()

    def fetchone(self) -> asyncpg.Record | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[asyncpg.Record]:
        return list(self.rows)


# What `insert` returns for tables keyed by something other than `id` (SQLite's lastrowid
# is that key there).
_KEYS = {"member_settings": "user_id", "guild_config": "guild_id",
         "digest_posts": "message_id", "application_rejections": "application_id"}
_INTO = re.compile(r"insert\s+into\s+(\w+)", re.IGNORECASE)


def _with_returning_id(sql: str) -> str:
    if "returning" in sql.lower():
        return sql
    match = _INTO.search(sql)
    key = _KEYS.get(match.group(1).lower(), "id") if match else "id"
    return f"{sql} RETURNING {key}"


async def _execute(conn: asyncpg.Connection, sql: str, params: Iterable[Any]) -> Result:
    args = tuple(params)
    if "returning" in sql.lower():
        rows = await conn.fetch(pg_sql(sql), *args)
        return Result(len(rows), rows)
    return Result(_count(await conn.execute(pg_sql(sql), *args)))


class PgTransaction:
    """The statements of one transaction on one pooled connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Result:
        return await _execute(self._conn, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            await self._conn.executemany(pg_sql(sql), rows)

    async def execute_script(self, script: str) -> None:
        """Several statements without parameters (a migration)."""
        await self._conn.execute(script)

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        return int(await self._conn.fetchval(pg_sql(_with_returning_id(sql)), *tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        return await self._conn.fetchrow(pg_sql(sql), *tuple(params))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        return list(await self._conn.fetch(pg_sql(sql), *tuple(params)))


class PgSyncTransaction:
    """`SyncTransaction` for PostgreSQL: called from the worker thread running `work`, each
    statement is run on the event loop and waited for."""

    def __init__(self, tx: PgTransaction, loop: asyncio.AbstractEventLoop) -> None:
        self._tx = tx
        self._loop = loop

    def _wait(self, call: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(call, self._loop).result()  # type: ignore[arg-type]

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Result:
        return self._wait(self._tx.execute(sql, params))

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        return self._wait(self._tx.insert(sql, params))

    def fetchone(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        return self._wait(self._tx.fetchone(sql, params))

    def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        return self._wait(self._tx.fetchall(sql, params))


def _log_unawaited_failure(attempt: asyncio.Future[Any]) -> None:
    if not attempt.cancelled() and attempt.exception() is not None:
        log.warning("A write whose caller had stopped waiting failed",
                    exc_info=attempt.exception())


# Conflicts between concurrent transactions that a second try resolves.
_RACES = (asyncpg.UniqueViolationError, asyncpg.SerializationError,
          asyncpg.DeadlockDetectedError)
_TRIES = 20


def _describe(url: str) -> str:
    """The server's address without the password, for log lines."""
    return re.sub(r"//[^@/]*@", "//", url)


class PgDatabase:
    """A pool of asyncpg connections with the calls of `bot.db.connection.Database`."""

    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self._url = url
        self._refusal: str | None = None

    @classmethod
    async def open(cls, url: str, *, pool_size: int = 10, retry_for: float = 0.0,
                   retry_every: float = 2.0) -> PgDatabase:
        """Connect; a server that is not up yet is tried again every `retry_every` seconds for
        up to `retry_for` seconds, with one log line each time, then DatabaseUnavailable."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + retry_for
        while True:
            try:
                pool = await asyncpg.create_pool(
                    url, min_size=1, max_size=max(1, pool_size), command_timeout=60,
                )
            except Exception as exc:  # noqa: BLE001 - which errors a dead server gives varies
                if not is_storage_failure(exc) and not isinstance(exc, ConnectionError):
                    raise DatabaseUnavailable(
                        f"Cannot use the PostgreSQL database at {_describe(url)}: {exc}."
                    ) from exc
                if loop.time() >= give_up:
                    raise DatabaseUnavailable(
                        f"The PostgreSQL server at {_describe(url)} is not reachable ({exc}). "
                        "Start it (or fix DATABASE_URL) and start Onward again."
                    ) from exc
                log.warning("PostgreSQL at %s is not reachable (%s); trying again in %ss",
                            _describe(url), exc, retry_every)
                await asyncio.sleep(retry_every)
                continue
            assert pool is not None
            return cls(pool, url)

    async def close(self) -> None:
        await self._pool.close()

    def refuse_writes(self, reason: str | None = "database or disk is full") -> None:
        """Fault injection: until called with None, every write fails as refused storage."""
        self._refusal = reason

    # Reads -----------------------------------------------------------------

    async def _read(self, call: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        try:
            async with self._pool.acquire() as conn:
                return await call(conn)
        except Exception as exc:
            _raise_if_refused(exc)
            raise

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        args = tuple(params)
        return list(await self._read(lambda c: c.fetch(pg_sql(sql), *args)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        args = tuple(params)
        return await self._read(lambda c: c.fetchrow(pg_sql(sql), *args))

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        args = tuple(params)
        return await self._read(lambda c: c.fetchval(pg_sql(sql), *args))

    # Writes ----------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTransaction]:
        if self._refusal is not None:
            raise StorageUnavailable(self._refusal)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield PgTransaction(conn)
        except Exception as exc:
            _raise_if_refused(exc)
            raise

    async def run(self, work: Callable[[Any], T]) -> T:
        """`work(tx)` (synchronous) as its own transaction; returns what it returns, after
        COMMIT. If it raises, its writes are rolled back and the exception raised here.
        A caller that stops waiting does not stop the write: once begun it is committed (or
        rolled back whole), as on SQLite, and its connection is left clean for the next."""
        attempt = asyncio.ensure_future(self._run(work))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            attempt.add_done_callback(_log_unawaited_failure)
            raise

    async def _run(self, work: Callable[[Any], T]) -> T:
        loop = asyncio.get_running_loop()
        for attempt in range(1, _TRIES + 1):
            try:
                async with self.transaction() as tx:
                    return await asyncio.to_thread(work, PgSyncTransaction(tx, loop))
            except _RACES:
                # Two processes (or pooled connections) numbered the same member's entry at
                # once: SQLite's single writer never sees this. `work` only touches its
                # transaction, so running it again on the committed state is safe.
                if attempt == _TRIES:
                    raise
                await asyncio.sleep(random.uniform(0, 0.002 * attempt))
        raise AssertionError("unreachable")

    async def executescript(self, script: str) -> None:
        if self._refusal is not None:
            raise StorageUnavailable(self._refusal)
        try:
            async with self._pool.acquire() as conn:
                await conn.execute(script)
        except Exception as exc:
            _raise_if_refused(exc)
            raise
