"""The PostgreSQL backend itself: placeholders, migrations, the one write model (`run` with a
synchronous `work`), rollback, refused writes and a server that is not up yet."""

from __future__ import annotations

import logging

import pytest

from bot.db.backends import dialect_of, open_database
from bot.db.connection import DatabaseUnavailable, StorageUnavailable
from bot.db.migrate import available_migrations
from bot.db.postgres import PgDatabase, pg_sql
from tests.backend import ON_POSTGRESQL

on_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs ONWARD_TEST_DATABASE_URL")


def test_placeholders_are_numbered_outside_quotes_and_comments():
    assert pg_sql("SELECT ? , '?' , \"a?\" -- why?\n, ?") == (
        "SELECT $1 , '?' , \"a?\" -- why?\n, $2"
    )


def test_every_migration_has_a_postgresql_twin():
    sqlite = [(v, name) for v, name, _ in available_migrations()]
    postgresql = [(v, name) for v, name, _ in available_migrations("postgresql")]
    assert sqlite == postgresql


def test_database_url_names_the_backend():
    assert dialect_of("sqlite:///data/onward.db") == "sqlite"
    assert dialect_of("postgresql://u@h/db") == "postgresql"
    with pytest.raises(DatabaseUnavailable, match="must start with"):
        dialect_of("mysql://u@h/db")


async def test_a_server_that_stays_down_is_one_clear_log_line_a_try(caplog):
    caplog.set_level(logging.WARNING)
    with pytest.raises(DatabaseUnavailable, match="not reachable"):
        await open_database("postgresql://onward:secret@127.0.0.1:9/onward", retry_for=0.2)
    lines = [r.getMessage() for r in caplog.records if "not reachable" in r.getMessage()]
    assert lines and all("secret" not in line for line in lines)


@on_postgresql
async def test_schema_is_migrated_with_its_version_in_a_table(db):
    assert isinstance(db, PgDatabase)
    latest = available_migrations("postgresql")[-1][0]
    assert await db.scalar("SELECT version FROM schema_version") == latest
    # 64-bit Discord ids fit.
    big = 1_234_567_890_123_456_789
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_settings (user_id, updated_at) VALUES (?, ?)", (big, "t")
        )
    assert await db.scalar("SELECT user_id FROM member_settings") == big


@on_postgresql
async def test_run_commits_work_and_returns_its_value(db):
    def work(tx):
        new_id = tx.insert(
            "INSERT INTO rejections (user_id, company, occurred_on, created_at, number)"
            " VALUES (?, ?, ?, ?, ?)", (1, "Acme", "2026-06-01", "2026-06-01T10:00:00+00:00", 1),
        )
        row = tx.fetchone("SELECT company FROM rejections WHERE id = ?", (new_id,))
        return new_id, row["company"]

    new_id, company = await db.run(work)
    assert company == "Acme"
    assert await db.scalar("SELECT COUNT(*) FROM rejections WHERE id = ?", (new_id,)) == 1


@on_postgresql
async def test_run_rolls_back_everything_work_wrote_when_it_raises(db):
    def work(tx):
        tx.execute("INSERT INTO member_settings (user_id, updated_at) VALUES (?, ?)", (5, "t"))
        raise ValueError("changed my mind")

    with pytest.raises(ValueError, match="changed my mind"):
        await db.run(work)
    assert await db.scalar("SELECT COUNT(*) FROM member_settings") == 0


@on_postgresql
async def test_execute_reports_rows_touched(db):
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO member_settings (user_id, updated_at) VALUES (?, ?)",
                         (1, "t"))
        await tx.execute("INSERT INTO member_settings (user_id, updated_at) VALUES (?, ?)",
                         (2, "t"))
        cur = await tx.execute("UPDATE member_settings SET timezone = ?", ("UTC",))
    assert cur.rowcount == 2


@on_postgresql
async def test_refused_writes_store_nothing_and_say_so(db):
    db.refuse_writes("disk full")
    with pytest.raises(StorageUnavailable):
        await db.run(lambda tx: tx.execute(
            "INSERT INTO member_settings (user_id, updated_at) VALUES (?, ?)", (1, "t")))
    db.refuse_writes(None)
    assert await db.scalar("SELECT COUNT(*) FROM member_settings") == 0
