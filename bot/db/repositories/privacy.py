"""SQL for /privacy: every row about one member, read for export and removed for delete.

PERSONAL_TABLES is the one declared map of where a member's rows live. A test compares it
with the migrated schema, so a table that gains a user-id column cannot be forgotten here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.db.connection import Database, Transaction

# table → the columns that hold a member's user id. The order is the order rows are deleted
# in: children before their parents, so the foreign keys never see a dangling reference.
PERSONAL_TABLES: dict[str, tuple[str, ...]] = {
    "digest_thanks": ("user_id",),
    "note_blocks": ("member_id",),
    "reflection_history": ("user_id",),
    "reflections": ("user_id",),
    "feedback_requests": ("user_id",),
    "encouragements": ("sender_id", "recipient_id"),
    "shares": ("user_id",),
    "pending_notices": ("user_id",),
    "outbox": ("user_id",),
    "timers": ("user_id",),
    "application_status_history": ("user_id",),
    "application_rejections": ("user_id",),
    "win_shares": ("user_id",),
    "pending_imports": ("user_id",),
    "applications": ("user_id",),
    "rejections": ("user_id",),
    "member_settings": ("user_id",),
}

# Tables that hold no member's data: server configuration, slots already posted (group
# totals only), the rotation of stock encouragement lines, and internal bookkeeping. A digest's
# text names members only through digest_thanks rows, which go (and the text is rewritten)
# when a member deletes their data.
NOT_PERSONAL: frozenset[str] = frozenset({
    "guild_config", "nudge_schedules", "deliveries", "encouragement_rotation", "meta",
    "digest_posts",
})


@dataclass(frozen=True, slots=True)
class SharedPost:
    """A bot post in a support channel of one of the member's entries (named or anonymous)."""

    share_id: int
    guild_id: int
    channel_id: int
    message_id: int
    named: bool = False


@dataclass(frozen=True, slots=True)
class DigestPost:
    """A posted digest that thanked members by name, as it reads now."""

    message_id: int
    guild_id: int
    channel_id: int
    title: str
    description: str
    footer: str | None


def _where(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = ?" for column in columns)


_WITHOUT_ID = frozenset({"digest_thanks", "note_blocks", "application_rejections",
                         "member_settings"})


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def rows_about(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row of every personal table that carries this member's id, all columns,
        oldest first. Read in one snapshot so the export is consistent."""
        found: dict[str, list[dict[str, Any]]] = {}
        for table, columns in PERSONAL_TABLES.items():
            # PostgreSQL has no rowid: the id, or the key, keeps the order of insertion.
            order = ("rowid" if self.db.dialect == "sqlite"
                     else "1, 2" if table in _WITHOUT_ID else "id")
            rows = await self.db.fetchall(
                f"SELECT * FROM {table} WHERE {_where(columns)} ORDER BY {order}",
                [user_id] * len(columns),
            )
            found[table] = [dict(row) for row in rows]
        return found

    async def counts(self, user_id: int) -> dict[str, int]:
        counts = {}
        for table, columns in PERSONAL_TABLES.items():
            counts[table] = int(await self.db.scalar(
                f"SELECT COUNT(*) FROM {table} WHERE {_where(columns)}", [user_id] * len(columns)
            ))
        return counts

    async def has_any(self, user_id: int) -> bool:
        """Whether any row about the member exists (False after /privacy delete)."""
        for table, columns in PERSONAL_TABLES.items():
            found = await self.db.fetchone(
                f"SELECT 1 FROM {table} WHERE {_where(columns)} LIMIT 1", [user_id] * len(columns)
            )
            if found:
                return True
        return False

    async def shared_posts(self, tx: Transaction, user_id: int) -> list[SharedPost]:
        """Every post of the member's entries in a channel, named and anonymous."""
        rows = await tx.fetchall(
            "SELECT id, guild_id, channel_id, message_id, named FROM shares WHERE user_id = ?"
            " AND channel_id IS NOT NULL AND message_id IS NOT NULL"
            " UNION ALL SELECT id, guild_id, channel_id, message_id, named FROM win_shares"
            " WHERE user_id = ? AND message_id IS NOT NULL ORDER BY id",
            (user_id, user_id),
        )
        return [SharedPost(r["id"], r["guild_id"], r["channel_id"], r["message_id"],
                           bool(r["named"])) for r in rows]

    async def digests_thanking(self, tx: Transaction, user_id: int) -> list[DigestPost]:
        rows = await tx.fetchall(
            "SELECT d.message_id, d.guild_id, d.channel_id, d.title, d.description, d.footer"
            " FROM digest_posts d JOIN digest_thanks t ON t.message_id = d.message_id"
            " WHERE t.user_id = ? ORDER BY d.message_id",
            (user_id,),
        )
        return [DigestPost(**dict(r)) for r in rows]

    async def rewrite_digest(self, tx: Transaction, message_id: int, description: str) -> None:
        await tx.execute("UPDATE digest_posts SET description = ? WHERE message_id = ?",
                         (description, message_id))

    async def delete_all(self, tx: Transaction, user_id: int) -> dict[str, int]:
        """Remove every row about the member; returns how many went from each table.
        Raises if any row is left, so the caller's transaction rolls back whole."""
        # A note the member sent that is still waiting for its recipient sits in the
        # recipient's notices with the member's words (and name, unless anonymous) in it.
        await tx.execute(
            "DELETE FROM pending_notices WHERE kind = 'encouragement' AND subject_id IN"
            " (SELECT id FROM encouragements WHERE sender_id = ?)",
            (user_id,),
        )
        deleted = {}
        for table, columns in PERSONAL_TABLES.items():
            cursor = await tx.execute(
                f"DELETE FROM {table} WHERE {_where(columns)}", [user_id] * len(columns)
            )
            deleted[table] = cursor.rowcount
        for table, columns in PERSONAL_TABLES.items():
            left = await tx.fetchone(
                f"SELECT COUNT(*) FROM {table} WHERE {_where(columns)}", [user_id] * len(columns)
            )
            assert left is not None, "COUNT(*) returns a row"
            if left[0]:
                raise RuntimeError(f"{left[0]} rows about the member are left in {table}")
        return deleted
