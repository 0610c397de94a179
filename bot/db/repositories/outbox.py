"""SQL for the outbox: one row per outgoing DM, written (claimed) before it is sent.

The payload (the DM's text) is kept only while the DM may still have to be sent: once it is
sent or has become a notice, the row keeps its nonce and outcome, not what others wrote."""

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


_COLUMNS = (
    "id, user_id, lane, nonce, payload, status, attempts, next_try_at, give_up_at, message_id,"
    " detail, created_at, sent_at"
)


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, tx: Transaction, *, user_id: int, lane: str, nonce: str, payload: str,
        next_try_at: str, give_up_at: str, now: str,
    ) -> int:
        """Record a DM about to be sent. Raises sqlite3.IntegrityError on a repeated nonce."""
        return await tx.insert(
            "INSERT INTO outbox (user_id, lane, nonce, payload, status, next_try_at, give_up_at,"
            " created_at) VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?)",
            (user_id, lane, nonce, payload, next_try_at, give_up_at, now),
        )

    async def get(self, outbox_id: int) -> OutboxRow | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (outbox_id,))
        return OutboxRow(**dict(row)) if row else None

    async def mark_sent(self, tx: Transaction, outbox_id: int, message_id: int | None,
                        at: str) -> None:
        """The DM reached Discord. Raises what the database raises when it refuses writes."""
        await tx.execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, next_try_at = NULL,"
            " payload = '{}' WHERE id = ? AND status = 'claimed'",
            (message_id, at, outbox_id),
        )

    async def mark_notice(self, tx: Transaction, outbox_id: int, detail: str) -> None:
        """The DM could not be delivered: it became a notice for the member's next command."""
        await tx.execute(
            "UPDATE outbox SET status = 'notice', detail = ?, next_try_at = NULL, payload = '{}'"
            " WHERE id = ? AND status = 'claimed'",
            (detail, outbox_id),
        )

    async def retry_at(self, tx: Transaction, outbox_id: int, at: str, detail: str) -> None:
        """Try again at `at` (with the same nonce); counts the attempt."""
        await tx.execute(
            "UPDATE outbox SET next_try_at = ?, attempts = attempts + 1, detail = ?"
            " WHERE id = ? AND status = 'claimed'",
            (at, detail, outbox_id),
        )

    async def due_retries(self, now: str, limit: int = 100) -> list[OutboxRow]:
        """Claimed DMs whose next try is due, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE status = 'claimed' AND next_try_at <= ?"
            " ORDER BY next_try_at, id LIMIT ?",
            (now, limit),
        )
        return [OutboxRow(**dict(r)) for r in rows]

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
