"""Which database the suite runs on: SQLite in a temp folder (the default), or PostgreSQL when
ONWARD_TEST_DATABASE_URL names a server (each test then gets a fresh database, copied from a
template migrated once per test process)."""

from __future__ import annotations

import os
import uuid

import asyncpg
import pytest

from bot.db.postgres import PgDatabase

PG_URL = os.environ.get("ONWARD_TEST_DATABASE_URL", "")
ON_POSTGRESQL = PG_URL.startswith(("postgresql://", "postgres://"))

sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="about SQLite's own file and its limits")

_template: str | None = None


def _url_for(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(PG_URL)


async def _ensure_template() -> str:
    global _template
    if _template is None:
        from bot.db.migrate import migrate

        name = f"onward_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = await _admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await admin.close()
        db = await PgDatabase.open(_url_for(name), pool_size=1)
        try:
            await migrate(db)
        finally:
            await db.close()
        _template = name
    return _template


async def fresh_postgresql_url() -> str:
    """A new, migrated, empty database on the test server; drop it with `drop_database`."""
    template = await _ensure_template()
    name = f"onward_t_{uuid.uuid4().hex[:12]}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return _url_for(name)


async def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
