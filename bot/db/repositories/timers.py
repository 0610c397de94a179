"""SQL for timers: the rows the one timer engine runs (DMs through the outbox, and other kinds
such as delayed group posts). Statuses: pending → claimed (the engine took it) → sent (done),
or cancelled; a claimed row goes back to pending when its handler fails or at start."""

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
    attempts: int = 0
    body: str | None = None
    outbox_id: int | None = None


_COLUMNS = (
    "id, user_id, kind, subject_id, due_at, status, created_at, fired_at, attempts, body,"
    " outbox_id"
)
_INSERT = (
    "INSERT INTO timers (user_id, kind, subject_id, due_at, status, created_at, body)"
    " VALUES (?, ?, ?, ?, 'pending', ?, ?)"
)


class TimerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, tx: Transaction, *, user_id: int, kind: str, subject_id: int | None, due_at: str,
        created_at: str, body: str | None = None,
    ) -> int:
        return await tx.insert(_INSERT, (user_id, kind, subject_id, due_at, created_at, body))

    @staticmethod
    def add_sync(
        tx: SyncTransaction, *, user_id: int, kind: str, subject_id: int | None, due_at: str,
        created_at: str, body: str | None = None,
    ) -> int:
        """`add` inside `Database.run`."""
        return tx.insert(_INSERT, (user_id, kind, subject_id, due_at, created_at, body))

    async def claim_due(self, now: str, limit: int = 500) -> list[Timer]:
        """Take the pending timers due by `now` (status claimed), soonest first, in one write.
        Raises what the database raises (e.g. when it refuses writes)."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "UPDATE timers SET status = 'claimed' WHERE id IN (SELECT id FROM timers"
                " WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?)"
                f" RETURNING {_COLUMNS}",
                (now, limit),
            )
        return sorted((Timer(**dict(r)) for r in rows), key=lambda t: (t.due_at, t.id))

    async def release_claims(self) -> int:
        """At start: timers a stopped process had taken are pending again."""
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE timers SET status = 'pending' WHERE status = 'claimed'"
            )
        return cur.rowcount

    async def retry_later(self, tx: Transaction, timer_id: int, due_at: str) -> None:
        """A claimed timer whose handler failed: pending again at `due_at`, one attempt more."""
        await tx.execute(
            "UPDATE timers SET status = 'pending', due_at = ?, attempts = attempts + 1"
            " WHERE id = ? AND status = 'claimed'",
            (due_at, timer_id),
        )

    async def mark_done(self, tx: Transaction, timer_ids: list[int], at: str,
                        outbox_id: int | None = None) -> None:
        """Claimed (or pending) timers that have been dealt with."""
        await tx.executemany(
            "UPDATE timers SET status = 'sent', fired_at = ?, outbox_id = ?"
            " WHERE id = ? AND status IN ('pending', 'claimed')",
            [(at, outbox_id, timer_id) for timer_id in timer_ids],
        )

    async def cancel_pending(
        self, tx: Transaction, *, user_id: int, kind: str, subject_id: int | None
    ) -> None:
        await tx.execute(
            "UPDATE timers SET status = 'cancelled' WHERE user_id = ? AND kind = ?"
            " AND subject_id IS NOT DISTINCT FROM ? AND status = 'pending'",
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

    async def pending_kinds(self, user_id: int, kinds: tuple[str, ...]) -> list[Timer]:
        """The member's pending timers of these kinds, soonest first."""
        marks = ", ".join("?" for _ in kinds)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM timers WHERE user_id = ? AND kind IN ({marks})"
            " AND status = 'pending' ORDER BY due_at, id",
            (user_id, *kinds),
        )
        return [Timer(**dict(r)) for r in rows]

    async def carried_by(self, outbox_id: int, kind: str) -> list[Timer]:
        """The timers of this kind that one outbox DM carried, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM timers WHERE outbox_id = ? AND kind = ? ORDER BY id",
            (outbox_id, kind),
        )
        return [Timer(**dict(r)) for r in rows]

    async def next_due_at(self) -> str | None:
        return await self.db.scalar(
            "SELECT MIN(due_at) FROM timers WHERE status = 'pending'"
        )

    async def pending_for(self, user_id: int, kind: str, subject_id: int | None) -> Timer | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM timers WHERE user_id = ? AND kind = ?"
            " AND subject_id IS NOT DISTINCT FROM ?"
            " AND status = 'pending' ORDER BY due_at, id LIMIT 1",
            (user_id, kind, subject_id),
        )
        return Timer(**dict(row)) if row else None

    async def for_subject(self, user_id: int, kind: str, subject_id: int | None) -> list[Timer]:
        """Every timer of this kind about this subject, whatever its status, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM timers WHERE user_id = ? AND kind = ?"
            " AND subject_id IS NOT DISTINCT FROM ?"
            " ORDER BY id",
            (user_id, kind, subject_id),
        )
        return [Timer(**dict(r)) for r in rows]

    async def reschedule(self, tx: Transaction, timer_id: int, due_at: str) -> None:
        await tx.execute(
            "UPDATE timers SET due_at = ?, status = 'pending' WHERE id = ?"
            " AND status IN ('pending', 'claimed')", (due_at, timer_id)
        )

    async def mark_sent(self, tx: Transaction, timer_ids: list[int], fired_at: str) -> int:
        """Only pending timers move to sent, so a timer fires once; returns how many moved."""
        moved = 0
        for timer_id in timer_ids:
            cur = await tx.execute(
                "UPDATE timers SET status = 'sent', fired_at = ?"
                " WHERE id = ? AND status IN ('pending', 'claimed')",
                (fired_at, timer_id),
            )
            moved += cur.rowcount
        return moved

    async def cancel(self, tx: Transaction, timer_ids: list[int]) -> None:
        await tx.executemany(
            "UPDATE timers SET status = 'cancelled' WHERE id = ?"
            " AND status IN ('pending', 'claimed')",
            [(timer_id,) for timer_id in timer_ids],
        )

    async def cancel_kind(self, tx: Transaction, *, user_id: int, kind: str) -> None:
        await tx.execute(
            "UPDATE timers SET status = 'cancelled' WHERE user_id = ? AND kind = ?"
            " AND status = 'pending'",
            (user_id, kind),
        )
