"""SQL for the outbox: one row per outgoing DM, written (claimed) before it is sent.

The payload (the DM's text) is kept only while the DM may still have to be sent: once it is
sent or has become a notice, the row keeps its nonce and outcome, not what others wrote.

A claimed row names the process sending it (`claimed_by`); its `next_try_at` is the lease:
past it, any process may take the row up again (same nonce, so Discord keeps it to one
message). A repository built with a `claimer` claims under that name and settles only rows it
holds."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    user_id: int
    lane: str
    nonce: str
    payload: str
    status: str
    attempts: int
    next_try_at: str | None
    give_up_at: str
    message_id: int | None
    detail: str | None
    created_at: str
    sent_at: str | None
    claimed_by: str | None = None


_COLUMNS = (
    "id, user_id, lane, nonce, payload, status, attempts, next_try_at, give_up_at, message_id,"
    " detail, created_at, sent_at, claimed_by"
)


class OutboxRepository:
    def __init__(self, db: Database, *, claimer: str | None = None) -> None:
        self.db = db
        self.claimer = claimer

    def _mine(self) -> tuple[str, tuple]:
        """Only the claimer settles a row it claimed (any row, without a claimer name)."""
        if self.claimer is None:
            return "", ()
        return " AND claimed_by = ?", (self.claimer,)

    async def claim(
        self, tx: Transaction, *, user_id: int, lane: str, nonce: str, payload: str,
        next_try_at: str, give_up_at: str, now: str,
    ) -> int:
        """Record a DM about to be sent. Raises sqlite3.IntegrityError on a repeated nonce."""
        return await tx.insert(
            "INSERT INTO outbox (user_id, lane, nonce, payload, status, next_try_at, give_up_at,"
            " created_at, claimed_by) VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?)",
            (user_id, lane, nonce, payload, next_try_at, give_up_at, now, self.claimer),
        )

    async def get(self, outbox_id: int) -> OutboxRow | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (outbox_id,))
        return OutboxRow(**dict(row)) if row else None

    async def mark_sent(self, tx: Transaction, outbox_id: int, message_id: int | None,
                        at: str) -> int:
        """The DM reached Discord; returns 0 when the row was not this claimer's to settle
        (another process took it over). Raises what the database raises when it refuses
        writes."""
        mine, extra = self._mine()
        cur = await tx.execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, next_try_at = NULL,"
            f" payload = '{{}}' WHERE id = ? AND status = 'claimed'{mine}",
            (message_id, at, outbox_id, *extra),
        )
        return cur.rowcount

    async def mark_notice(self, tx: Transaction, outbox_id: int, detail: str) -> int:
        """The DM could not be delivered: it became a notice for the member's next command.
        Returns 0 when the row was not this claimer's to settle."""
        mine, extra = self._mine()
        cur = await tx.execute(
            "UPDATE outbox SET status = 'notice', detail = ?, next_try_at = NULL,"
            f" payload = '{{}}' WHERE id = ? AND status = 'claimed'{mine}",
            (detail, outbox_id, *extra),
        )
        return cur.rowcount

    async def retry_at(self, tx: Transaction, outbox_id: int, at: str, detail: str) -> None:
        """Try again at `at` (with the same nonce); counts the attempt."""
        mine, extra = self._mine()
        await tx.execute(
            "UPDATE outbox SET next_try_at = ?, attempts = attempts + 1, detail = ?"
            f" WHERE id = ? AND status = 'claimed'{mine}",
            (at, detail, outbox_id, *extra),
        )

    async def due_retries(self, now: str, lease_until: str,
                          limit: int = 100) -> list[OutboxRow]:
        """Take the claimed DMs whose next try (or lease) is due, oldest first: each is this
        claimer's until `lease_until`. On PostgreSQL rows another process is taking are
        skipped (FOR UPDATE SKIP LOCKED). Raises what the database raises."""
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "UPDATE outbox SET next_try_at = ?, claimed_by = ? WHERE id IN (SELECT id"
                " FROM outbox WHERE status = 'claimed' AND next_try_at <= ?"
                f" ORDER BY next_try_at, id LIMIT ?{lock}) RETURNING {_COLUMNS}",
                (lease_until, self.claimer, now, limit),
            )
        return sorted((OutboxRow(**dict(r)) for r in rows), key=lambda r: r.id)

    async def next_retry_at(self) -> str | None:
        return await self.db.scalar(
            "SELECT MIN(next_try_at) FROM outbox WHERE status = 'claimed'"
        )

    async def retry_claimed_now(self, now: str) -> int:
        """At start: a DM a stopped process had claimed may or may not have gone out; it is
        tried again now, with its nonce, so Discord keeps it to one message."""
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE outbox SET next_try_at = ? WHERE status = 'claimed' AND next_try_at > ?",
                (now, now),
            )
        return cur.rowcount

    async def nonces(self, status: str = "sent") -> set[str]:
        rows = await self.db.fetchall("SELECT nonce FROM outbox WHERE status = ?", (status,))
        return {r["nonce"] for r in rows}
