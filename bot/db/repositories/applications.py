"""SQL for logged job applications: numbered per member, with a status and its history."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bot.db.connection import Database, SyncTransaction, Transaction


@dataclass(frozen=True, slots=True)
class Application:
    id: int                      # internal; members see `number`
    user_id: int
    guild_id: int | None
    company: str
    role: str | None
    link: str | None
    applied_on: str              # the member's local date, YYYY-MM-DD
    created_at: str
    number: int = 0              # the member's own #1, #2, ... (0 until stored)
    status: str = "applied"
    status_changed_on: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    changed_on: str


@dataclass(frozen=True, slots=True)
class PendingImport:
    """Rows waiting for the member's button (Import, or Log it anyway)."""
    id: int
    user_id: int
    kind: str                    # 'import' or 'log'
    rows: list[dict[str, Any]]
    created_at: str
    expires_at: str
    finished: str | None         # 'imported', 'logged' or 'cancelled' once a button ran


_COLUMNS = ("id, user_id, guild_id, company, role, link, applied_on, created_at, number, status,"
            " status_changed_on, note")
_INSERT = (
    "INSERT INTO applications (user_id, guild_id, company, role, link, applied_on, created_at,"
    " number, status, status_changed_on, note)"
    " VALUES (?, ?, ?, ?, ?, ?, ?,"
    " (SELECT COALESCE(MAX(number), 0) + 1 FROM applications WHERE user_id = ?), ?, ?, ?)"
)
_INSERT_RETURNING = f"{_INSERT} RETURNING {_COLUMNS}"
_GET = f"SELECT {_COLUMNS} FROM applications WHERE id = ?"
_COUNT_BETWEEN = (
    "SELECT COUNT(*) FROM applications WHERE user_id = ? AND applied_on BETWEEN ? AND ?"
)
_SAME = (
    f"SELECT {_COLUMNS} FROM applications WHERE user_id = ? AND applied_on = ?"
    " AND LOWER(TRIM(company)) = ? AND LOWER(TRIM(COALESCE(role, ''))) = ?"
    " ORDER BY number LIMIT 1"
)


def _row(row) -> Application:
    return Application(**dict(row))


def dedupe_key(company: str, role: str | None, applied_on: str) -> tuple[str, str, str]:
    """What makes two applications the same: company and role (any case) on the same day."""
    return company.strip().lower(), (role or "").strip().lower(), applied_on


def _insert_params(app: Application) -> tuple:
    return (app.user_id, app.guild_id, app.company, app.role, app.link, app.applied_on,
            app.created_at, app.user_id, app.status, app.status_changed_on or app.applied_on,
            app.note)


class ApplicationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Writes (inside Database.run) ------------------------------------------------------

    async def add(self, tx: Transaction, app: Application) -> int:
        """The row's internal id; its number is the member's next one. No history row."""
        return await tx.insert(_INSERT, _insert_params(app))

    @staticmethod
    def add_sync(tx: SyncTransaction, app: Application) -> Application:
        """Store the application with the member's next number (taken in this transaction, so
        two at once never share one) and its first status in the history. Returns the row as
        stored. Raises sqlite3.IntegrityError on a bad status."""
        (row,) = tx.fetchall(_INSERT_RETURNING, _insert_params(app))
        stored = _row(row)
        ApplicationRepository.add_status_sync(
            tx, stored, "applied", stored.applied_on, stored.created_at)
        if stored.status != "applied":
            ApplicationRepository.add_status_sync(
                tx, stored, stored.status, stored.status_changed_on or stored.applied_on,
                stored.created_at)
        return stored

    @staticmethod
    def add_status_sync(tx: SyncTransaction, app: Application, status: str, changed_on: str,
                        created_at: str) -> None:
        tx.execute(
            "INSERT INTO application_status_history (application_id, user_id, status,"
            " changed_on, created_at) VALUES (?, ?, ?, ?, ?)",
            (app.id, app.user_id, status, changed_on, created_at),
        )

    @staticmethod
    def update_sync(tx: SyncTransaction, app: Application) -> Application:
        """Write every editable field of `app` (found by id and owner). Returns it as stored;
        raises LookupError when the row is gone."""
        rows = tx.fetchall(
            "UPDATE applications SET company = ?, role = ?, link = ?, applied_on = ?, status = ?,"
            f" status_changed_on = ?, note = ? WHERE id = ? AND user_id = ? RETURNING {_COLUMNS}",
            (app.company, app.role, app.link, app.applied_on, app.status, app.status_changed_on,
             app.note, app.id, app.user_id),
        )
        if not rows:
            raise LookupError(app.id)
        return _row(rows[0])

    @staticmethod
    def delete_sync(tx: SyncTransaction, user_id: int, application_id: int) -> Application | None:
        """Remove the member's application (its history and link go with it); the row as it
        was, or None when there was none."""
        rows = tx.fetchall(
            f"DELETE FROM applications WHERE id = ? AND user_id = ? RETURNING {_COLUMNS}",
            (application_id, user_id),
        )
        return _row(rows[0]) if rows else None

    @staticmethod
    def link_rejection_sync(tx: SyncTransaction, application_id: int, rejection_id: int,
                            user_id: int, created_at: str) -> None:
        """Raises sqlite3.IntegrityError when the application already has a rejection (on
        either backend; the conflict is skipped, so a PostgreSQL transaction stays usable)."""
        cur = tx.execute(
            "INSERT INTO application_rejections (application_id, rejection_id, user_id,"
            " created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (application_id, rejection_id, user_id, created_at),
        )
        if cur.rowcount == 0:
            raise sqlite3.IntegrityError("the application already has a rejection")

    # Reads -----------------------------------------------------------------------------

    async def count_between(self, user_id: int, first_day: str, last_day: str) -> int:
        """Applications applied on first_day..last_day inclusive (local YYYY-MM-DD)."""
        return int(await self.db.scalar(_COUNT_BETWEEN, (user_id, first_day, last_day)))

    @staticmethod
    def count_between_sync(tx: SyncTransaction, user_id: int, first_day: str,
                           last_day: str) -> int:
        """`count_between` inside `Database.run` (it counts that transaction's writes)."""
        row = tx.fetchone(_COUNT_BETWEEN, (user_id, first_day, last_day))
        assert row is not None, "COUNT(*) returns a row"
        return int(row[0])

    async def get(self, application_id: int) -> Application | None:
        row = await self.db.fetchone(_GET, (application_id,))
        return _row(row) if row else None

    @staticmethod
    def get_owned_sync(tx: SyncTransaction, user_id: int, application_id: int
                       ) -> Application | None:
        row = tx.fetchone(f"{_GET} AND user_id = ?", (application_id, user_id))
        return _row(row) if row else None

    async def by_number(self, user_id: int, number: int) -> Application | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM applications WHERE user_id = ? AND number = ?",
            (user_id, number),
        )
        return _row(row) if row else None

    @staticmethod
    def same_sync(tx: SyncTransaction, user_id: int, company: str, role: str | None,
                  applied_on: str) -> Application | None:
        """The member's earlier application to the same company and role on the same day."""
        company_key, role_key, day = dedupe_key(company, role, applied_on)
        row = tx.fetchone(_SAME, (user_id, day, company_key, role_key))
        return _row(row) if row else None

    @staticmethod
    def keys_sync(tx: SyncTransaction, user_id: int) -> dict[tuple[str, str, str], int]:
        """dedupe_key → number of every application of the member."""
        rows = tx.fetchall(
            "SELECT company, role, applied_on, number FROM applications WHERE user_id = ?",
            (user_id,),
        )
        return {dedupe_key(r["company"], r["role"], r["applied_on"]): r["number"] for r in rows}

    async def keys(self, user_id: int) -> dict[tuple[str, str, str], int]:
        rows = await self.db.fetchall(
            "SELECT company, role, applied_on, number FROM applications WHERE user_id = ?",
            (user_id,),
        )
        return {dedupe_key(r["company"], r["role"], r["applied_on"]): r["number"] for r in rows}

    async def list_recent(self, user_id: int, status: str | None, limit: int
                          ) -> list[Application]:
        """Newest first (by the day applied, then by number)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM applications WHERE user_id = ?"
            " AND (CAST(? AS TEXT) IS NULL OR status = ?)"
            " ORDER BY applied_on DESC, number DESC LIMIT ?",
            (user_id, status, status, limit),
        )
        return [_row(r) for r in rows]

    async def between(self, user_id: int, first_day: str | None, last_day: str | None
                      ) -> list[Application]:
        """Applied on first_day..last_day inclusive (either may be open), by number."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM applications WHERE user_id = ?"
            " AND (CAST(? AS TEXT) IS NULL OR applied_on >= ?)"
            " AND (CAST(? AS TEXT) IS NULL OR applied_on <= ?)"
            " ORDER BY number, id",
            (user_id, first_day, first_day, last_day, last_day),
        )
        return [_row(r) for r in rows]

    async def search(self, user_id: int, typed: str, limit: int = 25) -> list[Application]:
        """Newest first, matching company, role or number; for autocomplete."""
        text = typed.strip().lstrip("#")
        if "\x00" in text:
            return []  # no stored text holds a NUL (PostgreSQL's text cannot)
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM applications WHERE user_id = ?"
            " AND (LOWER(company) LIKE LOWER(?) ESCAPE '\\'"
            " OR LOWER(COALESCE(role, '')) LIKE LOWER(?) ESCAPE '\\'"
            " OR CAST(number AS TEXT) = ?) ORDER BY number DESC LIMIT ?",
            (user_id, pattern, pattern, text, limit),
        )
        return [_row(r) for r in rows]

    async def history(self, application_id: int) -> list[StatusChange]:
        rows = await self.db.fetchall(
            "SELECT status, changed_on FROM application_status_history"
            " WHERE application_id = ? ORDER BY id",
            (application_id,),
        )
        return [StatusChange(r["status"], r["changed_on"]) for r in rows]

    async def linked_rejection(self, application_id: int) -> int | None:
        return await self.db.scalar(
            "SELECT rejection_id FROM application_rejections WHERE application_id = ?",
            (application_id,),
        )

    # Pending imports -------------------------------------------------------------------

    @staticmethod
    def add_pending_sync(tx: SyncTransaction, user_id: int, kind: str,
                         rows: list[dict[str, Any]], created_at: str, expires_at: str) -> int:
        """Also clears the member's expired ones, so they don't pile up."""
        tx.execute("DELETE FROM pending_imports WHERE user_id = ? AND expires_at < ?",
                   (user_id, created_at))
        return tx.insert(
            "INSERT INTO pending_imports (user_id, kind, rows, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, kind, json.dumps(rows, ensure_ascii=False), created_at, expires_at),
        )

    @staticmethod
    def pending_sync(tx: SyncTransaction, pending_id: int) -> PendingImport | None:
        row = tx.fetchone(
            "SELECT id, user_id, kind, rows, created_at, expires_at, finished"
            " FROM pending_imports WHERE id = ?",
            (pending_id,),
        )
        if row is None:
            return None
        data = dict(row)
        data["rows"] = json.loads(data["rows"])
        return PendingImport(**data)

    @staticmethod
    def finish_pending_sync(tx: SyncTransaction, pending_id: int, outcome: str) -> bool:
        """Mark it done once; False when a button already did (a double click)."""
        cursor = tx.execute(
            "UPDATE pending_imports SET finished = ?, rows = '[]'"
            " WHERE id = ? AND finished IS NULL",
            (outcome, pending_id),
        )
        return cursor.rowcount == 1
