"""SQL for timers: the rows the one timer engine runs (DMs through the outbox, and other kinds
such as delayed group posts). Statuses: pending → claimed (the engine took it) → sent (done),
or cancelled; a claimed row goes back to pending when its handler fails or at start.

Several processes may share the rows: a claim names its process (`claimed_by`) and lasts until
`lease_until` (the bot's clock, never the database server's). A repository built with a
`claimer` claims under that name and settles only pending rows or claimed rows of its own, so a
process whose lease was taken over cannot settle (or send) the row a second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import from_db, to_db
from bot.db.connection import Database, SyncTransaction, Transaction

# How long a claim lasts by the bot's clock; past it, another process takes the row up again.
LEASE = timedelta(minutes=5)


class ClaimLost(Exception):
    """A claimed timer was taken over by another process (its lease had passed)."""


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
    claimed_by: str | None = None
    lease_until: str | None = None


_COLUMNS = (
    "id, user_id, kind, subject_id, due_at, status, created_at, fired_at, attempts, body,"
    " outbox_id, claimed_by, lease_until"
)


def _due(t: str) -> str:
    """Row `t` is due at ?1: pending and due, or claimed by a process whose lease has passed
    (it stopped or died)."""
    return (f"(({t}.status = 'pending' AND {t}.due_at <= ?1) OR ({t}.status = 'claimed'"
            f" AND ({t}.lease_until IS NULL OR {t}.lease_until <= ?1)))")

_INSERT = (
    "INSERT INTO timers (user_id, kind, subject_id, due_at, status, created_at, body)"
    " VALUES (?, ?, ?, ?, 'pending', ?, ?)"
)


class TimerRepository:
    def __init__(self, db: Database, *, claimer: str | None = None) -> None:
        self.db = db
        self.claimer = claimer

    def _settles(self) -> tuple[str, tuple]:
        """The rows this repository may settle: pending ones, and claimed ones (only its own
        when it claims under a name)."""
        if self.claimer is None:
            return "status IN ('pending', 'claimed')", ()
        return "(status = 'pending' OR (status = 'claimed' AND claimed_by = ?))", (self.claimer,)

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
        """Take the timers due by `now` (status claimed, by this repository's claimer, until
        `now` + LEASE), soonest first, in one write: pending ones, and claimed ones whose lease
        has passed. A member's due timers are taken together, and not while another process
        holds a live claim on one of theirs, so one process decides a member's DMs at a time.
        `limit` bounds the rows picked first (their members' other due rows come along). On
        PostgreSQL rows another process is claiming are skipped (FOR UPDATE SKIP LOCKED).
        Raises what the database raises (e.g. when it refuses writes)."""
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        lease_until = to_db(from_db(now) + LEASE)
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "UPDATE timers SET status = 'claimed', claimed_by = ?3, lease_until = ?4"
                f" WHERE id IN (SELECT t.id FROM timers AS t WHERE {_due('t')}"
                f" AND t.user_id IN (SELECT p.user_id FROM timers AS p WHERE {_due('p')}"
                " AND NOT EXISTS (SELECT 1 FROM timers AS o WHERE o.user_id = p.user_id"
                " AND o.status = 'claimed' AND o.claimed_by IS DISTINCT FROM ?3"
                " AND o.lease_until > ?1)"
                " ORDER BY p.due_at, p.id LIMIT ?2" + lock + ")" + lock + ")"
                f" RETURNING {_COLUMNS}",
                (now, limit, self.claimer, lease_until),
            )
        return sorted((Timer(**dict(r)) for r in rows), key=lambda t: (t.due_at, t.id))

    async def release_claims(self) -> int:
        """At the start of the only process: timers a stopped process had taken are pending
        again (with several processes, a claim waits for its lease to pass instead)."""
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE timers SET status = 'pending', claimed_by = NULL, lease_until = NULL"
                " WHERE status = 'claimed'"
            )
        return cur.rowcount

    async def retry_later(self, tx: Transaction, timer_id: int, due_at: str) -> None:
        """A claimed timer whose handler failed: pending again at `due_at`, one attempt more."""
        mine, extra = self._settles()
        await tx.execute(
            "UPDATE timers SET status = 'pending', due_at = ?, attempts = attempts + 1,"
            f" claimed_by = NULL, lease_until = NULL WHERE id = ? AND status = 'claimed'"
            f" AND {mine}",
            (due_at, timer_id, *extra),
        )

    async def mark_done(self, tx: Transaction, timer_ids: list[int], at: str,
                        outbox_id: int | None = None) -> int:
        """Claimed (or pending) timers that have been dealt with; returns how many moved (a
        timer another process took over does not)."""
        mine, extra = self._settles()
        moved = 0
        for timer_id in timer_ids:
            cur = await tx.execute(
                "UPDATE timers SET status = 'sent', fired_at = ?, outbox_id = ?"
                f" WHERE id = ? AND {mine}",
                (at, outbox_id, timer_id, *extra),
            )
            moved += cur.rowcount
        return moved

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
        """When a pending timer falls due, or a claim's lease passes, whichever is first."""
        return await self.db.scalar(
            "SELECT MIN(CASE WHEN status = 'pending' THEN due_at ELSE lease_until END)"
            " FROM timers WHERE status IN ('pending', 'claimed')"
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
        mine, extra = self._settles()
        await tx.execute(
            "UPDATE timers SET due_at = ?, status = 'pending', claimed_by = NULL,"
            f" lease_until = NULL WHERE id = ? AND {mine}", (due_at, timer_id, *extra)
        )

    async def mark_sent(self, tx: Transaction, timer_ids: list[int], fired_at: str) -> int:
        """Only pending timers move to sent, so a timer fires once; returns how many moved."""
        mine, extra = self._settles()
        moved = 0
        for timer_id in timer_ids:
            cur = await tx.execute(
                f"UPDATE timers SET status = 'sent', fired_at = ? WHERE id = ? AND {mine}",
                (fired_at, timer_id, *extra),
            )
            moved += cur.rowcount
        return moved

    async def cancel(self, tx: Transaction, timer_ids: list[int]) -> None:
        mine, extra = self._settles()
        await tx.executemany(
            f"UPDATE timers SET status = 'cancelled' WHERE id = ? AND {mine}",
            [(timer_id, *extra) for timer_id in timer_ids],
        )

    async def cancel_kind(self, tx: Transaction, *, user_id: int, kind: str) -> None:
        await tx.execute(
            "UPDATE timers SET status = 'cancelled' WHERE user_id = ? AND kind = ?"
            " AND status = 'pending'",
            (user_id, kind),
        )
