"""SQL for feedback requests: the draft, when it was sent, and the feedback received."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class FeedbackRequest:
    id: int
    rejection_id: int
    user_id: int
    interviewer: str | None
    tone: str
    sent_at: str | None
    received_at: str | None
    feedback_text: str | None
    created_at: str


_COLUMNS = (
    "id, rejection_id, user_id, interviewer, tone, sent_at, received_at, feedback_text, created_at"
)


class FeedbackRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def for_entry(self, user_id: int, rejection_id: int) -> FeedbackRequest | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM feedback_requests WHERE rejection_id = ? AND user_id = ?",
            (rejection_id, user_id),
        )
        return FeedbackRequest(**dict(row)) if row else None

    async def save_draft(
        self, tx: Transaction, *, user_id: int, rejection_id: int, interviewer: str | None,
        tone: str, at: str,
    ) -> None:
        """Remember who the request is for; a later draft replaces the name and tone."""
        await tx.execute(
            "INSERT INTO feedback_requests (rejection_id, user_id, interviewer, tone, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (rejection_id) DO UPDATE SET"
            " interviewer = COALESCE(excluded.interviewer, feedback_requests.interviewer),"
            " tone = excluded.tone",
            (rejection_id, user_id, interviewer, tone, at),
        )

    async def mark_sent(self, tx: Transaction, *, user_id: int, rejection_id: int, at: str) -> None:
        """The first "I sent it" counts; clicking again keeps the original time."""
        await tx.execute(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (rejection_id) DO UPDATE SET"
            " sent_at = COALESCE(feedback_requests.sent_at, excluded.sent_at)",
            (rejection_id, user_id, at, at),
        )

    async def record_feedback(
        self, tx: Transaction, *, user_id: int, rejection_id: int, feedback_text: str, at: str
    ) -> None:
        await tx.execute(
            "INSERT INTO feedback_requests (rejection_id, user_id, feedback_text, received_at,"
            " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (rejection_id) DO UPDATE SET"
            " feedback_text = excluded.feedback_text, received_at = excluded.received_at",
            (rejection_id, user_id, feedback_text, at, at),
        )
