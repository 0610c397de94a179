"""Numbered .sql files applied in order. SQLite: `migrations/*.sql`, PRAGMA user_version records
the last one applied. PostgreSQL: their twins in `migrations/postgresql/`, the version kept in
the table `schema_version`; an advisory lock lets several processes start at once."""

from __future__ import annotations

import logging
import re
from importlib import resources

from bot.db.connection import Database, DatabaseUnavailable
from bot.db.postgres import PgDatabase

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available_migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, file name, sql) for every migration shipped with the package, in order."""
    found = []
    folder = resources.files("bot.db").joinpath("migrations")
    if dialect == "postgresql":
        folder = folder.joinpath("postgresql")
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(db: Database | PgDatabase) -> int:
    """Bring the schema up to date and return its version."""
    if isinstance(db, PgDatabase):
        return await _migrate_postgresql(db)
    current = int(await db.scalar("PRAGMA user_version"))
    migrations = available_migrations()
    latest = migrations[-1][0] if migrations else 0
    _refuse_newer(current, latest)
    for version, name, sql in migrations:
        if version <= current:
            continue
        log.info("applying migration %s", name)
        # executescript commits on its own; the version bump rides in the same script.
        await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        current = version
    return current


def _refuse_newer(current: int, latest: int) -> None:
    if current > latest:
        raise DatabaseUnavailable(
            f"The database is at schema version {current}, newer than this Onward ({latest}). "
            "Upgrade Onward before using this database."
        )


_LOCK = 0x6F6E77617264  # "onward": one migrating process at a time


async def _migrate_postgresql(db: PgDatabase) -> int:
    migrations = available_migrations("postgresql")
    latest = migrations[-1][0] if migrations else 0
    async with db.transaction() as tx:
        await tx.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK,))
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        row = await tx.fetchone("SELECT MAX(version) FROM schema_version")
        current = int(row[0] or 0) if row else 0
        _refuse_newer(current, latest)
        for version, name, sql in migrations:
            if version <= current:
                continue
            log.info("applying migration postgresql/%s", name)
            await tx.execute_script(sql)
            await tx.execute("DELETE FROM schema_version")
            await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            current = version
    return current
