"""Numbered .sql files applied in order; PRAGMA user_version records the last one applied."""

from __future__ import annotations

import logging
import re
from importlib import resources

from bot.db.connection import Database, DatabaseUnavailable

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, file name, sql) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("bot.db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(db: Database) -> int:
    """Bring the schema up to date and return its version."""
    current = int(await db.scalar("PRAGMA user_version"))
    migrations = available_migrations()
    latest = migrations[-1][0] if migrations else 0
    if current > latest:
        raise DatabaseUnavailable(
            f"The database is at schema version {current}, newer than this Onward ({latest}). "
            "Upgrade Onward before using this database."
        )
    for version, name, sql in migrations:
        if version <= current:
            continue
        log.info("applying migration %s", name)
        # executescript commits on its own; the version bump rides in the same script.
        await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        current = version
    return current
