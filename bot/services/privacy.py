"""/privacy export and /privacy delete: a member's data is theirs to take and to remove.

Decisions:
- The export holds every row of every table that carries the member's id, all columns,
  exactly as stored, except the sender of an anonymous note they received: that stays
  anonymous, as it was when it reached them.
- Delete removes every such row in one transaction, including encouragement notes the member
  sent to others (the text is theirs; a note already delivered by DM stays in the recipient's
  DMs, which Onward cannot reach; one still waiting for delivery is not sent, and its
  waiting notice goes from the recipient's queue).
- Posts in a support channel that show the member's name are edited afterwards by the cog;
  anonymous posts are left as they are, because changing them at the same moment would tie
  them to the member.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.privacy import PERSONAL_TABLES, PrivacyRepository, SharedPost
from bot.errors import NotAllowed, UserFacingError
from bot.services.applications import applications_csv

EXPORT_FORMAT = "onward-export"
EXPORT_VERSION = 1
CONFIRM_SECONDS = 60

# What a member reads for each table, in the summary before deleting.
LABELS = {
    "rejections": ("rejection entry", "rejection entries"),
    "reflections": ("reflection", "reflections"),
    "reflection_history": ("earlier reflection version", "earlier reflection versions"),
    "feedback_requests": ("feedback request", "feedback requests"),
    "applications": ("application", "applications"),
    "shares": ("shared post record", "shared post records"),
    "encouragements": ("encouragement note", "encouragement notes"),
    "timers": ("scheduled reminder", "scheduled reminders"),
    "pending_notices": ("waiting notice", "waiting notices"),
    "member_settings": ("settings record", "settings records"),
}
SUMMARY_ORDER = (
    "rejections", "reflections", "reflection_history", "feedback_requests", "applications",
    "encouragements", "shares", "timers", "pending_notices", "member_settings",
)


@dataclass(frozen=True, slots=True)
class Export:
    filename: str
    content: bytes
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Deletion:
    counts: dict[str, int]
    named_posts: list[SharedPost]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ConfirmationExpired(UserFacingError):
    """The delete button was pressed after its time ran out."""


def describe_counts(counts: dict[str, int]) -> str:
    """'3 rejection entries, 1 reflection and 2 applications' (only what is there)."""
    parts = []
    for table in SUMMARY_ORDER:
        n = counts.get(table, 0)
        if n:
            one, many = LABELS[table]
            parts.append(f"{n:,} {one if n == 1 else many}")
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class PrivacyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = PrivacyRepository(db)

    async def export(self, user_id: int) -> Export:
        now = self.clock.now()
        tables = await self.repo.rows_about(user_id)
        for row in tables["encouragements"]:
            received_anonymously = (
                row["recipient_id"] == user_id and row["sender_id"] != user_id
                and row["anonymous"]
            )
            if received_anonymously:
                row["sender_id"] = None
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "user_id": user_id,
            "exported_at": to_db(now),
            "about": (
                "Every row Onward stores about you, table by table, as stored. Times are UTC; "
                "dates are in your timezone. The sender of an anonymous note you received is "
                "left out, as it was when you got it."
            ),
            "tables": {table: tables[table] for table in PERSONAL_TABLES},
            # The same CSV as /apply export, for a benefits office or a spreadsheet.
            "applications_csv": applications_csv(tables["applications"]),
        }
        content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        return Export(
            filename=f"onward-export-{user_id}-{now.strftime('%Y%m%d')}.json",
            content=content,
            counts={table: len(rows) for table, rows in tables.items()},
        )

    async def what_would_go(self, user_id: int) -> dict[str, int]:
        return await self.repo.counts(user_id)

    def deadline(self, seconds: float = CONFIRM_SECONDS) -> datetime:
        """When a delete confirmation shown now stops working."""
        return self.clock.now() + timedelta(seconds=seconds)

    def check_confirmation(self, *, owner_id: int, clicker_id: int, deadline_epoch: int) -> None:
        """The button only works for the member who asked, and only until its deadline."""
        if clicker_id != owner_id:
            raise NotAllowed("This button belongs to someone else's request; nothing was deleted.")
        if self.clock.now().timestamp() > deadline_epoch:
            raise ConfirmationExpired(
                "This confirmation expired, so nothing was deleted. "
                "Run /privacy delete again if you still want to."
            )

    async def delete_everything(self, user_id: int) -> Deletion:
        """All rows about the member, gone in one transaction. Returns the named posts the
        caller should edit afterwards (their rows are already gone)."""
        async with self.db.transaction() as tx:
            named = await self.repo.named_posts(tx, user_id)
            counts = await self.repo.delete_all(tx, user_id)
        return Deletion(counts=counts, named_posts=named)
