"""SQL for scheduled posts already claimed (one row per slot) and the encouragement rotation."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from bot.db.connection import Database, Transaction


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    guild_id: int
    kind: str
    slot: str
    status: str            # sending | posted | skipped | failed
    message_id: int | None
    detail: str | None
    created_at: str
    payload: str | None = None
    deadline: str | None = None
    attempts: int = 0
    next_attempt_at: str | None = None
    maybe_posted: bool = False
    finished_at: str | None = None


_COLUMNS = ("id, guild_id, kind, slot, status, message_id, detail, created_at, payload, deadline,"
            " attempts, next_attempt_at, maybe_posted, finished_at")


def _delivery(row) -> Delivery:
    values = dict(row)
    values["maybe_posted"] = bool(values["maybe_posted"])
    return Delivery(**values)


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int, kind: str, slot: str) -> Delivery | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND kind = ? AND slot = ?",
            (guild_id, kind, slot),
        )
        return _delivery(row) if row else None

    async def by_id(self, delivery_id: int) -> Delivery | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    async def unfinished(self) -> list[Delivery]:
        """Posts claimed and not yet known to be posted, that may still be retried (their
        deadline is set), oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = 'sending'"
            " AND deadline IS NOT NULL ORDER BY id")
        return [_delivery(r) for r in rows]

    async def known_messages(self, message_ids: list[int]) -> set[int]:
        """Which of these message ids a delivery row already records as its post."""
        if not message_ids:
            return set()
        if self.db.dialect == "postgresql":
            keys = "SELECT value::bigint FROM json_array_elements_text(?::json)"
        else:
            keys = "SELECT value FROM json_each(?)"
        rows = await self.db.fetchall(
            f"SELECT message_id FROM deliveries WHERE message_id IN ({keys})",
            (json.dumps(message_ids),))
        return {int(r[0]) for r in rows}

    async def problems(self, guild_id: int, since: str) -> list[Delivery]:
        """A server's posts still being retried, and those given up or skipped since `since`,
        newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND ("
            " (status = 'sending' AND attempts > 0 AND deadline IS NOT NULL)"
            " OR (status IN ('failed', 'skipped') AND created_at >= ?)) ORDER BY id DESC",
            (guild_id, since))
        return [_delivery(r) for r in rows]

    async def existing(self, slots: list[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
        """Which of these (guild_id, kind, slot) already have a row, in one read: the keys go
        in as one JSON array and each is looked up in the unique index."""
        if not slots:
            return set()
        if self.db.dialect == "postgresql":
            sql = ("SELECT d.guild_id, d.kind, d.slot FROM json_array_elements(?::json) AS k"
                   " JOIN deliveries d ON d.guild_id = (k.value->>0)::bigint"
                   " AND d.kind = k.value->>1 AND d.slot = k.value->>2")
        else:
            sql = ("SELECT d.guild_id, d.kind, d.slot FROM json_each(?) AS k JOIN deliveries d"
                   " ON d.guild_id = json_extract(k.value, '$[0]')"
                   " AND d.kind = json_extract(k.value, '$[1]')"
                   " AND d.slot = json_extract(k.value, '$[2]')")
        rows = await self.db.fetchall(sql, (json.dumps(slots),))
        return {(int(r[0]), r[1], r[2]) for r in rows}

    async def for_guild(self, guild_id: int) -> list[Delivery]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_delivery(r) for r in rows]

    async def claim(
        self, tx: Transaction, *, guild_id: int, kind: str, slot: str, status: str, now: str,
        detail: str | None = None, payload: str | None = None, deadline: str | None = None,
    ) -> int | None:
        """Insert the slot's row; None when the slot already has one (someone else has it).
        Raises StorageUnavailable (through the transaction) when the database refuses it."""
        row = await tx.fetchone(
            "INSERT INTO deliveries (guild_id, kind, slot, status, detail, created_at, payload,"
            " deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, kind, slot) DO NOTHING RETURNING id",
            (guild_id, kind, slot, status, detail, now, payload, deadline),
        )
        return int(row[0]) if row else None

    async def finish(
        self, tx: Transaction, delivery_id: int, *, status: str, message_id: int | None = None,
        detail: str | None = None, now: str | None = None,
    ) -> None:
        await tx.execute(
            "UPDATE deliveries SET status = ?, message_id = ?, detail = ?, next_attempt_at = NULL,"
            " finished_at = ? WHERE id = ?",
            (status, message_id, detail, now, delivery_id),
        )

    async def attempted(
        self, tx: Transaction, delivery_id: int, *, attempts: int, next_attempt_at: str | None,
        maybe_posted: bool, detail: str | None,
    ) -> None:
        """Record attempts that did not post (yet): when to try again, and whether one of them
        may have created the message after all."""
        await tx.execute(
            "UPDATE deliveries SET attempts = ?, next_attempt_at = ?,"
            " maybe_posted = CASE WHEN ? = 1 THEN 1 ELSE maybe_posted END, detail = ?"
            " WHERE id = ? AND status = 'sending'",
            (attempts, next_attempt_at, int(maybe_posted), detail, delivery_id),
        )


class RotationRepository:
    """Which encouragement lines a server has already seen in the current round."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def _order(self) -> str:
        """Insertion order: SQLite's rowid; PostgreSQL's `seq` column, there for this."""
        return "rowid" if self.db.dialect == "sqlite" else "seq"

    async def take(
        self, tx: Transaction, guild_id: int, pool_size: int, rng: random.Random, now: str
    ) -> int:
        """An unused line index, recorded as used. When every line has been used the round
        starts over, avoiding the line posted last."""
        rows = await tx.fetchall(
            "SELECT line_index FROM encouragement_rotation WHERE guild_id = ?"
            f" ORDER BY used_at DESC, {self._order} DESC",
            (guild_id,),
        )
        used = [int(r[0]) for r in rows if 0 <= int(r[0]) < pool_size]
        unused = [i for i in range(pool_size) if i not in set(used)]
        if not unused:
            await tx.execute("DELETE FROM encouragement_rotation WHERE guild_id = ?", (guild_id,))
            last = used[0] if used else None
            unused = [i for i in range(pool_size) if i != last] or list(range(pool_size))
        index = rng.choice(unused)
        await tx.execute(
            "INSERT INTO encouragement_rotation (guild_id, line_index, used_at) VALUES (?, ?, ?)",
            (guild_id, index, now),
        )
        return index

    async def used(self, guild_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT line_index FROM encouragement_rotation WHERE guild_id = ?"
            f" ORDER BY {self._order}",
            (guild_id,),
        )
        return [int(r[0]) for r in rows]
