"""Which database a `DATABASE_URL` names: SQLite (the default, one process) or PostgreSQL."""

from __future__ import annotations

from bot.db.connection import Database, DatabaseUnavailable, sqlite_path
from bot.db.postgres import PgDatabase

AnyDatabase = Database | PgDatabase


def dialect_of(database_url: str) -> str:
    """"sqlite" or "postgresql"; anything else raises DatabaseUnavailable with what to write."""
    if database_url.startswith("sqlite:///"):
        return "sqlite"
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    raise DatabaseUnavailable(
        "DATABASE_URL must start with 'sqlite:///' or 'postgresql://' "
        f"(got {database_url!r})."
    )


async def open_database(database_url: str, *, pool_size: int = 10,
                        retry_for: float = 0.0) -> AnyDatabase:
    """Open the database the URL names. PostgreSQL: a pool of `pool_size` connections, and a
    server not up yet is tried again for `retry_for` seconds. Raises DatabaseUnavailable."""
    if dialect_of(database_url) == "postgresql":
        return await PgDatabase.open(database_url, pool_size=pool_size, retry_for=retry_for)
    return await Database.open(sqlite_path(database_url))
