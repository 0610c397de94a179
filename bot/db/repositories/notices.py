"""SQL for pending notices: what a member must still see because a DM could not reach them
(DMs closed, or paused by the member).

`body` is JSON: {"content": "<the message text>", "items": [{"kind": ..., "subject_id": ...}],
"paused": true|false}; the items say which buttons to show beside the text again, and `paused`
(optional) that the member turned these DMs off rather than closing their DMs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.db.connection import Database, Transaction

# A note of encouragement waiting for its recipient; subject_id is the encouragements row.
ENCOURAGEMENT_NOTICE = "encouragement"


@dataclass(frozen=True, slots=True)
class PendingNotice:
    id: int
    user_id: int
    kind: str
    subject_id: int | None
    body: str
    created_at: str
    shown_at: str | None


_COLUMNS = "id, user_id, kind, subject_id, body, created_at, shown_at"


class NoticeRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, tx: Transaction, *, user_id: int, kind: str, subject_id: int | None, body: str,
        at: str,
    ) -> int:
        return await tx.insert(
            "INSERT INTO pending_notices (user_id, kind, subject_id, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, kind, subject_id, body, at),
        )

    async def unshown(self, user_id: int, limit: int = 5) -> list[PendingNotice]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM pending_notices WHERE user_id = ? AND shown_at IS NULL"
            " ORDER BY id LIMIT ?",
            (user_id, limit),
        )
        return [PendingNotice(**dict(r)) for r in rows]

    async def has_unshown(self, user_id: int) -> bool:
        return await self.db.scalar(
            "SELECT 1 FROM pending_notices WHERE user_id = ? AND shown_at IS NULL LIMIT 1",
            (user_id,),
        ) is not None

    async def mark_shown(self, tx: Transaction, ids: Iterable[int], at: str) -> None:
        await tx.executemany(
            "UPDATE pending_notices SET shown_at = ? WHERE id = ? AND shown_at IS NULL",
            [(at, notice_id) for notice_id in ids],
        )
