import sqlite3

import pytest

from bot.db.connection import Database, DatabaseUnavailable
from bot.db.migrate import available_migrations, migrate
from tests.backend import sqlite_only

# SQLite's file, its PRAGMAs and its locks; PostgreSQL's migrations: tests/db/test_postgresql.py.
pytestmark = sqlite_only


async def test_migrate_sets_user_version_and_is_idempotent(tmp_path):
    db = await Database.open(str(tmp_path / "a.db"))
    latest = available_migrations()[-1][0]
    assert await migrate(db) == latest
    assert await db.scalar("PRAGMA user_version") == latest
    assert await migrate(db) == latest
    assert await db.scalar("PRAGMA journal_mode") == "wal"
    assert await db.scalar("PRAGMA foreign_keys") == 1
    await db.close()


async def test_corrupted_file_is_refused_not_replaced(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseUnavailable, match="damaged"):
        await Database.open(str(path))
    assert path.read_bytes().startswith(b"this is not a database")


async def test_locked_file_gives_clear_error(tmp_path):
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    try:
        with pytest.raises(DatabaseUnavailable, match="locked"):
            db = await Database.open(str(path))
            await db.close()
    finally:
        holder.rollback()
        holder.close()


async def test_newer_schema_is_refused(tmp_path):
    db = await Database.open(str(tmp_path / "future.db"))
    await db.executescript("PRAGMA user_version = 999;")
    with pytest.raises(DatabaseUnavailable, match="newer"):
        await migrate(db)
    await db.close()


async def test_a_second_owner_of_the_same_file_is_refused_until_the_first_closes(tmp_path):
    path = str(tmp_path / "shared.db")
    first = await Database.open(path)
    with pytest.raises(DatabaseUnavailable, match="in use by another Onward process"):
        await Database.open(path)
    await first.close()
    second = await Database.open(path)
    await second.close()
