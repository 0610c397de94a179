"""/privacy export and /privacy delete: a member's data is theirs to take and to remove.

Decisions:
- The export holds every row of every table that carries the member's id, all columns,
  exactly as stored, except the sender of an anonymous note they received: that stays
  anonymous, as it was when it reached them.
- Delete removes every such row in one transaction, including encouragement notes the member
  sent to others (the text is theirs; a note already delivered by DM stays in the recipient's
  DMs, which Onward cannot reach; one still waiting for delivery is not sent, and its
  waiting notice goes from the recipient's queue).
- Posts of the member's entries in support channels, named and anonymous, are deleted from the
  channels afterwards by the cog, and past digests that thanked them by name are edited so the
  name is gone. Their share timers go with their other timers.
- Afterwards, a button or form about their data answers DELETED and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.privacy import (
    PERSONAL_TABLES,
    DigestPost,
    PrivacyRepository,
    SharedPost,
)
from bot.errors import NotAllowed, NotFound, UserFacingError
from bot.i18n import N_, _, ngettext
from bot.services.applications import applications_csv
from bot.services.nudges import digest_without

EXPORT_FORMAT = "onward-export"
EXPORT_VERSION = 1
CONFIRM_SECONDS = 60

# What a member reads for each table, in the summary before deleting: "{count} ..." for a
# count of rows.
LABELS: dict[str, Callable[[int], str]] = {
    "rejections": lambda n: ngettext(
        "{count} rejection entry", "{count} rejection entries", n),
    "reflections": lambda n: ngettext("{count} reflection", "{count} reflections", n),
    "reflection_history": lambda n: ngettext(
        "{count} earlier reflection version", "{count} earlier reflection versions", n),
    "feedback_requests": lambda n: ngettext(
        "{count} feedback request", "{count} feedback requests", n),
    "applications": lambda n: ngettext("{count} application", "{count} applications", n),
    "shares": lambda n: ngettext("{count} shared post", "{count} shared posts", n),
    "note_blocks": lambda n: ngettext(
        "{count} block on anonymous notes", "{count} blocks on anonymous notes", n),
    "digest_thanks": lambda n: ngettext(
        "{count} thank-you by name in a digest", "{count} thank-yous by name in digests", n),
    "encouragements": lambda n: ngettext(
        "{count} encouragement note", "{count} encouragement notes", n),
    "timers": lambda n: ngettext("{count} scheduled reminder", "{count} scheduled reminders", n),
    "pending_notices": lambda n: ngettext(
        "{count} waiting notice", "{count} waiting notices", n),
    "member_settings": lambda n: ngettext(
        "{count} settings record", "{count} settings records", n),
}
SUMMARY_ORDER = (
    "rejections", "reflections", "reflection_history", "feedback_requests", "applications",
    "encouragements", "shares", "digest_thanks", "timers", "pending_notices", "note_blocks",
    "member_settings",
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
    posts: list[SharedPost]           # to delete from their channels
    digests: list[DigestPost]         # to edit: the text already has the name taken out

    @property
    def total(self) -> int:
        return sum(self.counts.values())


DELETED = N_("That was deleted.")


class DataDeleted(NotFound):
    """A button or form about data the member deleted: it answers DELETED and writes nothing."""

    def __init__(self, message: str = DELETED) -> None:
        super().__init__(_(message))


class ConfirmationExpired(UserFacingError):
    """The delete button was pressed after its time ran out."""


def describe_counts(counts: dict[str, int]) -> str:
    """'3 rejection entries, 1 reflection and 2 applications' (only what is there)."""
    parts = [LABELS[table](counts[table]).format(count=f"{counts[table]:,}")
             for table in SUMMARY_ORDER if counts.get(table, 0)]
    if not parts:
        # Translators: what a data summary says when there is no data at all.
        return _("nothing")
    if len(parts) == 1:
        return parts[0]
    # Translators: the end of a list, e.g. "2 reflections, 1 application and 3 timers":
    # {items} is everything before the last item, already joined with ", ".
    return _("{items} and {last}").format(items=", ".join(parts[:-1]), last=parts[-1])


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
            "about": _(
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
            raise NotAllowed(
                _("This button belongs to someone else's request; nothing was deleted."))
        if self.clock.now().timestamp() > deadline_epoch:
            raise ConfirmationExpired(
                _("This confirmation expired, so nothing was deleted. "
                  "Run /privacy delete again if you still want to.")
            )

    async def delete_everything(self, user_id: int) -> Deletion:
        """All rows about the member, gone in one transaction. Returns the posts the caller
        should delete from their channels and the digests it should edit (their rows are
        already gone or rewritten)."""
        async with self.db.transaction() as tx:
            posts = await self.repo.shared_posts(tx, user_id)
            digests = []
            for digest in await self.repo.digests_thanking(tx, user_id):
                text = digest_without(digest.description, user_id)
                await self.repo.rewrite_digest(tx, digest.message_id, text)
                digests.append(replace(digest, description=text))
            counts = await self.repo.delete_all(tx, user_id)
        return Deletion(counts=counts, posts=posts, digests=digests)
