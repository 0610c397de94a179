"""SQL for personal timers (reflection prompts, feedback follow-ups, personal nudges)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, SyncTransaction, Transaction


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    user_id: int
    kind: str
    subject_id: int | None
    due_at: str
    status: str
    created_at: str
    fired_at: str | None


_COLUMNS = "id, user_id, kind, subject_id, due_at, status, created_at, fired_at"
_INSERT = (
    "INSERT INTO timers (user_id, kind, subject_id, due_at, status, created_at)"
    " VALUES (?, ?, ?, ?, 'pending', ?)"
)


class TimerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, tx: Transaction, *, user_id: int, kind: str, subject_id: int | None, due_at: str,
        created_at: str,
    ) -> int:
        return await tx.insert(_INSERT, (user_id, kind, subject_id, due_at, created_at))

    @staticmethod
    def add_sync(
        tx: SyncTransaction, *, user_id: int, kind: str, subject_id: int | None, due_at: str,
        created_at: str,
    ) -> int:
        """`add` inside `Database.run`."""
        return tx.insert(_INSERT, (user_id, kind, subject_id, due_at, created_at))

    async def cancel_pending(
        self, tx: Transaction, *, user_id: int, kind: str, subject_id: int | None
    ) -> None:
        await tx.execute(
            "UPDATE timers SET status = 'cancelled' WHERE user_id = ? AND kind = ?"
            " AND subject_id IS ? AND status = 'pending'",
            (user_id, kind, subject_id),
        )

    async def due(self, now: str, limit: int = 500) -> list[Timer]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM timers WHERE status = 'pending' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (now, limit),
        )
        return [Timer(**dict(r)) for r in rows]

    async def pending(self, limit: int = 50) -> list[Timer]:
        """Timers still to fire, soonest first (the sandbox's `status` lists them)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM timers WHERE status = 'pending' ORDER BY due_at, id LIMIT ?",
            (limit,),
        )
        return [Timer(**dict(r)) for r in rows]

    async def next_due_at(self) -> str | None:
        return await self.db.scalar(
            "SELECT MIN(due_at) FROM timers WHERE status = 'pending'"
        )

    async def pending_for(self, user_id: int, kind: str, subject_id: int | None) -> Timer | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM timers WHERE user_id = ? AND kind = ? AND subject_id IS ?"
            " AND status = 'pending' ORDER BY due_at, id LIMIT 1",
            (user_id, kind, subject_id),
        )
        return Timer(**dict(row)) if row else None

    async def for_subject(self, user_id: int, kind: str, subject_id: int | None) -> list[Timer]:
        """Every timer of this kind about this subject, whatever its status, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM timers WHERE user_id = ? AND kind = ? AND subject_id IS ?"
            " ORDER BY id",
            (user_id, kind, subject_id),
        )
        return [Timer(**dict(r)) for r in rows]

    async def reschedule(self, tx: Transaction, timer_id: int, due_at: str) -> None:
        await tx.execute(
            "UPDATE timers SET due_at = ? WHERE id = ? AND status = 'pending'", (due_at, timer_id)
        )

    async def mark_sent(self, tx: Transaction, timer_ids: list[int], fired_at: str) -> int:
        """Only pending timers move to sent, so a timer fires once; returns how many moved."""
        moved = 0
        for timer_id in timer_ids:
            cur = await tx.execute(
                "UPDATE timers SET status = 'sent', fired_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (fired_at, timer_id),
            )
            moved += cur.rowcount
        return moved

    async def cancel(self, tx: Transaction, timer_ids: list[int]) -> None:
        await tx.executemany(
            "UPDATE timers SET status = 'cancelled' WHERE id = ? AND status = 'pending'",
            [(timer_id,) for timer_id in timer_ids],
        )

    async def cancel_kind(self, tx: Transaction, *, user_id: int, kind: str) -> None:
        await tx.execute(
            "UPDATE timers SET status = 'cancelled' WHERE user_id = ? AND kind = ?"
            " AND status = 'pending'",
            (user_id, kind),
        )
