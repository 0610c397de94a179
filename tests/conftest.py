"""Shared fixtures: a real, migrated database (SQLite in a temp folder, or a fresh PostgreSQL
database when ONWARD_TEST_DATABASE_URL is set) and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.db.connection import Database
from bot.db.migrate import migrate
from bot.db.postgres import PgDatabase
from tests.backend import ON_POSTGRESQL, drop_database, drop_test_databases, fresh_postgresql_url

# A Wednesday, so "this week" has days on both sides.
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def pytest_sessionfinish(session, exitstatus) -> None:
    drop_test_databases()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def db(tmp_path):
    if ON_POSTGRESQL:
        url = await fresh_postgresql_url()
        pg = await PgDatabase.open(url, pool_size=4)
        yield pg
        await pg.close()
        await drop_database(url)
        return
    database = await Database.open(str(tmp_path / "onward.db"))
    await migrate(database)
    yield database
    await database.close()
