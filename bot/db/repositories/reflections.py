"""SQL for reflections (one per rejection entry) and the history of their earlier versions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.connection import Database, Transaction

# The five prompts, in the order they are asked; also the column names.
PROMPT_FIELDS = ("struggled", "unprepared", "differently", "went_well", "practise")


@dataclass(frozen=True, slots=True)
class Reflection:
    id: int
    rejection_id: int
    user_id: int
    struggled: str
    unprepared: str
    differently: str
    went_well: str
    practise: str
    created_at: str
    updated_at: str

    def answers(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in PROMPT_FIELDS}


@dataclass(frozen=True, slots=True)
class ReflectionVersion:
    id: int
    reflection_id: int
    user_id: int
    struggled: str
    unprepared: str
    differently: str
    went_well: str
    practise: str
    written_at: str
    replaced_at: str


_COLUMNS = "id, rejection_id, user_id, " + ", ".join(PROMPT_FIELDS) + ", created_at, updated_at"
_HISTORY_COLUMNS = (
    "id, reflection_id, user_id, " + ", ".join(PROMPT_FIELDS) + ", written_at, replaced_at"
)


class ReflectionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def for_entry(self, user_id: int, rejection_id: int) -> Reflection | None:
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM reflections WHERE rejection_id = ? AND user_id = ?",
            (rejection_id, user_id),
        )
        return Reflection(**dict(row)) if row else None

    async def add(
        self, tx: Transaction, *, user_id: int, rejection_id: int, answers: dict[str, str], at: str
    ) -> int:
        return await tx.insert(
            f"INSERT INTO reflections (rejection_id, user_id, {', '.join(PROMPT_FIELDS)},"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rejection_id, user_id, *(answers[f] for f in PROMPT_FIELDS), at, at),
        )

    async def replace(
        self, tx: Transaction, earlier: Reflection, answers: dict[str, str], at: str
    ) -> None:
        """Overwrite the answers, keeping the earlier ones in reflection_history."""
        await tx.execute(
            f"INSERT INTO reflection_history (reflection_id, user_id, {', '.join(PROMPT_FIELDS)},"
            " written_at, replaced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (earlier.id, earlier.user_id, *(getattr(earlier, f) for f in PROMPT_FIELDS),
             earlier.updated_at, at),
        )
        assignments = ", ".join(f"{f} = ?" for f in PROMPT_FIELDS)
        await tx.execute(
            f"UPDATE reflections SET {assignments}, updated_at = ? WHERE id = ?",
            (*(answers[f] for f in PROMPT_FIELDS), at, earlier.id),
        )

    async def history(self, reflection_id: int) -> list[ReflectionVersion]:
        rows = await self.db.fetchall(
            f"SELECT {_HISTORY_COLUMNS} FROM reflection_history WHERE reflection_id = ?"
            " ORDER BY id",
            (reflection_id,),
        )
        return [ReflectionVersion(**dict(r)) for r in rows]

    async def exists(self, user_id: int, rejection_id: int) -> bool:
        return await self.db.scalar(
            "SELECT 1 FROM reflections WHERE rejection_id = ? AND user_id = ?",
            (rejection_id, user_id),
        ) is not None
