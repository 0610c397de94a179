"""Shared fixtures: a real, migrated SQLite database in a temp folder and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.db.connection import Database
from bot.db.migrate import migrate

# A Wednesday, so "this week" has days on both sides.
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(str(tmp_path / "onward.db"))
    await migrate(database)
    yield database
    await database.close()
