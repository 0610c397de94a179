"""SQL for rejection entries: numbered per member (#1 is their first, whatever others logged)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.db.connection import Database, SyncTransaction, Transaction


@dataclass(frozen=True, slots=True)
class Rejection:
    id: int                      # internal (custom_ids); members see `number`
    user_id: int
    guild_id: int | None
    company: str
    role: str | None
    stage: str | None
    occurred_on: str
    note: str | None
    share: str
    created_at: str
    number: int = 0              # the member's own #1, #2, ... (0 until stored)


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """A /rejection log held back as a possible duplicate, waiting for "Log it anyway"."""
    id: int
    user_id: int
    fields: dict[str, Any]
    expires_at: str
    finished: str | None


_COLUMNS = ("id, user_id, guild_id, company, role, stage, occurred_on, note, share, created_at,"
            " number")
_INSERT = (
    "INSERT INTO rejections (user_id, guild_id, company, role, stage, occurred_on, note, share,"
    " created_at, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " (SELECT COALESCE(MAX(number), 0) + 1 FROM rejections WHERE user_id = ?))"
)
_INSERT_RETURNING = f"{_INSERT} RETURNING {_COLUMNS}"
_GET_OWNED = f"SELECT {_COLUMNS} FROM rejections WHERE id = ? AND user_id = ?"
_NEWEST_FIRST = "ORDER BY occurred_on DESC, id DESC"
_PENDING_KIND = "rejection"


def _row(row) -> Rejection:
    return Rejection(**dict(row))


def _insert_params(entry: Rejection) -> tuple:
    return (entry.user_id, entry.guild_id, entry.company, entry.role, entry.stage,
            entry.occurred_on, entry.note, entry.share, entry.created_at, entry.user_id)


def same_key(company: str, role: str | None) -> tuple[str, str]:
    """What makes two entries on one day the same: company and role, in any case."""
    return company.strip().lower(), (role or "").strip().lower()


class RejectionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Writes ----------------------------------------------------------------------------

    async def add(self, tx: Transaction, entry: Rejection) -> int:
        """The row's internal id; its number is the member's next one."""
        return await tx.insert(_INSERT, _insert_params(entry))

    @staticmethod
    def add_sync(tx: SyncTransaction, entry: Rejection) -> Rejection:
        """`add` inside `Database.run`; returns the row as stored, in the same statement. The
        number is taken in this transaction, so two entries at once never share one."""
        (row,) = tx.fetchall(_INSERT_RETURNING, _insert_params(entry))
        return _row(row)

    @staticmethod
    def update_sync(tx: SyncTransaction, entry: Rejection) -> Rejection:
        """Write the editable fields of `entry` (found by id and owner). Raises LookupError
        when the row is gone."""
        rows = tx.fetchall(
            "UPDATE rejections SET company = ?, role = ?, stage = ?, occurred_on = ?, note = ?"
            f" WHERE id = ? AND user_id = ? RETURNING {_COLUMNS}",
            (entry.company, entry.role, entry.stage, entry.occurred_on, entry.note, entry.id,
             entry.user_id),
        )
        if not rows:
            raise LookupError(entry.id)
        return _row(rows[0])

    @staticmethod
    def delete_sync(tx: SyncTransaction, user_id: int, rejection_id: int) -> Rejection | None:
        """Remove the member's entry and everything about it: its reflection and that
        reflection's history, its feedback request, its reflection and feedback timers, its link
        to an application and its share rows. The entry as it was, or None when there was none.
        (Posts in channels are the caller's to delete first.)"""
        entry = tx.fetchone(_GET_OWNED, (rejection_id, user_id))
        if entry is None:
            return None
        tx.execute(
            "DELETE FROM reflection_history WHERE reflection_id IN"
            " (SELECT id FROM reflections WHERE rejection_id = ?)", (rejection_id,))
        for table in ("reflections", "feedback_requests", "application_rejections", "shares"):
            tx.execute(f"DELETE FROM {table} WHERE rejection_id = ?", (rejection_id,))
        tx.execute(
            "DELETE FROM timers WHERE user_id = ? AND subject_id = ?"
            " AND kind IN ('reflection_prompt', 'feedback_followup')", (user_id, rejection_id))
        tx.execute("DELETE FROM rejections WHERE id = ?", (rejection_id,))
        return _row(entry)

    # Reads -----------------------------------------------------------------------------

    async def get_owned(self, user_id: int, rejection_id: int) -> Rejection | None:
        """The entry only if it belongs to this member."""
        row = await self.db.fetchone(_GET_OWNED, (rejection_id, user_id))
        return _row(row) if row else None

    @staticmethod
    def get_owned_sync(tx: SyncTransaction, user_id: int, rejection_id: int) -> Rejection | None:
        row = tx.fetchone(_GET_OWNED, (rejection_id, user_id))
        return _row(row) if row else None

    async def by_number(self, user_id: int, number: int) -> Rejection | None:
        """The member's entry with this number of theirs."""
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ? AND number = ?",
            (user_id, number),
        )
        return _row(row) if row else None

    async def latest(self, user_id: int) -> Rejection | None:
        """The entry logged last."""
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return _row(row) if row else None

    async def list_recent(self, user_id: int, limit: int, offset: int = 0) -> list[Rejection]:
        """By the rejection's date, newest first; on one date the one logged last first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ? {_NEWEST_FIRST}"
            " LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [_row(r) for r in rows]

    async def search(self, user_id: int, text: str, limit: int = 25) -> list[Rejection]:
        """Newest first, matching company, role or number ("3", "#3"); for autocomplete."""
        typed = text.strip()
        if "\x00" in typed:
            return []  # no stored text holds a NUL (PostgreSQL's text cannot)
        pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ?"
            " AND (LOWER(company) LIKE LOWER(?) ESCAPE '\\'"
            " OR LOWER(COALESCE(role, '')) LIKE LOWER(?) ESCAPE '\\' OR CAST(number AS TEXT) = ?)"
            f" {_NEWEST_FIRST} LIMIT ?",
            (user_id, pattern, pattern, typed.lstrip("#").strip(), limit),
        )
        return [_row(r) for r in rows]

    @staticmethod
    def same_sync(tx: SyncTransaction, user_id: int, company: str, role: str | None,
                  occurred_on: str, *, other_than: int = 0) -> Rejection | None:
        """The member's earlier entry for the same company and role on the same date."""
        company_key, role_key = same_key(company, role)
        row = tx.fetchone(
            f"SELECT {_COLUMNS} FROM rejections WHERE user_id = ? AND occurred_on = ?"
            " AND LOWER(TRIM(company)) = ? AND LOWER(TRIM(COALESCE(role, ''))) = ? AND id != ?"
            " ORDER BY number LIMIT 1",
            (user_id, occurred_on, company_key, role_key, other_than),
        )
        return _row(row) if row else None

    async def count(self, user_id: int) -> int:
        return int(await self.db.scalar(
            "SELECT COUNT(*) FROM rejections WHERE user_id = ?", (user_id,)
        ))

    # Held back as a possible duplicate -------------------------------------------------

    @staticmethod
    def add_pending_sync(tx: SyncTransaction, user_id: int, fields: dict[str, Any],
                         created_at: str, expires_at: str) -> int:
        """Also clears the member's expired ones, so they don't pile up."""
        tx.execute("DELETE FROM pending_imports WHERE user_id = ? AND kind = ?"
                   " AND expires_at < ?", (user_id, _PENDING_KIND, created_at))
        return tx.insert(
            "INSERT INTO pending_imports (user_id, kind, rows, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, _PENDING_KIND, json.dumps([fields], ensure_ascii=False), created_at,
             expires_at),
        )

    @staticmethod
    def pending_sync(tx: SyncTransaction, pending_id: int) -> PendingEntry | None:
        row = tx.fetchone(
            "SELECT id, user_id, rows, expires_at, finished FROM pending_imports"
            " WHERE id = ? AND kind = ?", (pending_id, _PENDING_KIND))
        if row is None:
            return None
        rows = json.loads(row["rows"])
        return PendingEntry(id=row["id"], user_id=row["user_id"],
                            fields=rows[0] if rows else {}, expires_at=row["expires_at"],
                            finished=row["finished"])

    @staticmethod
    def finish_pending_sync(tx: SyncTransaction, pending_id: int) -> bool:
        """Mark it done once; False when a button already did (a double click)."""
        cursor = tx.execute(
            "UPDATE pending_imports SET finished = 'logged', rows = '[]'"
            " WHERE id = ? AND kind = ? AND finished IS NULL", (pending_id, _PENDING_KIND))
        return cursor.rowcount == 1
