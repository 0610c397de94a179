"""Reflecting on a rejection (habit 3): five short, skippable questions, one reflection per
entry, edits keep the earlier text, and what the member's notes share becomes visible.

What they share is found by /insights' finder (bot.services.insights), so the phrases a
member sees after reflecting are the ones /insights lists for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.reflections import PROMPT_FIELDS, Reflection, ReflectionRepository
from bot.db.repositories.rejections import Rejection
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput
from bot.i18n import N_, _
from bot.services import text
from bot.services.insights import Insights, InsightsService, PhraseExtractor, Theme
from bot.services.journal import JournalService, entry_label  # noqa: F401 - re-exported
from bot.services.reframes import reached_interview

# The questions, as the member reads them (also the modal's labels: at most 45 characters);
# translated where shown (questions_for).
PROMPTS: dict[str, str] = {
    # Translators: a question and a form label; at most 45 characters.
    "struggled": N_("Which questions did you struggle with?"),
    "unprepared": N_("Where did you feel unprepared?"),
    "differently": N_("What would you do differently?"),
    "went_well": N_("What went well?"),
    "practise": N_("One thing to practise next"),
}
# The same five questions for a rejection before any interview (an application or no stage):
# they ask what would strengthen the next application.
APPLICATION_PROMPTS: dict[str, str] = {
    # Translators: a question and a form label; at most 45 characters.
    "struggled": N_("Which part of the application was hardest?"),
    "unprepared": N_("Where did your fit feel weakest?"),
    "differently": N_("What would strengthen your next application?"),
    "went_well": N_("What went well?"),
    "practise": N_("One thing to try on the next application"),
}
# Short names for the summary lines.
SUMMARY_LABELS: dict[str, str] = {
    "struggled": N_("Struggled with"),
    "unprepared": N_("Felt unprepared"),
    "differently": N_("Would do differently"),
    "went_well": N_("Went well"),
    "practise": N_("To practise"),
}


def prompts_for(stage: str | None) -> dict[str, str]:
    """The questions that fit the entry's stage."""
    return PROMPTS if reached_interview(stage) else APPLICATION_PROMPTS


def questions_for(stage: str | None) -> dict[str, str]:
    """The questions that fit the entry's stage, in the current language (modal labels)."""
    return {name: _(question) for name, question in prompts_for(stage).items()}


def summary_label(name: str) -> str:
    """The short name of a question for a summary line, in the current language."""
    return _(SUMMARY_LABELS[name])


@dataclass(frozen=True, slots=True)
class SavedReflection:
    entry: Rejection
    reflection: Reflection
    edited: bool                 # True when it replaced an earlier reflection on this entry
    shared: Insights             # what their notes share so far, as /insights finds it


class ReflectionService:
    def __init__(
        self, db: Database, clock: Clock, extractor: PhraseExtractor | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.journal = JournalService(db, clock)
        self.reflections = ReflectionRepository(db)
        self.timers = TimerRepository(db)
        self.insights = InsightsService(db, clock, extractor)

    async def suggest_entries(self, user_id: int, typed: str) -> list[tuple[str, str]]:
        """(label, value) pairs of the member's own entries, newest first, at most 25."""
        return await self.journal.choices(user_id, typed)

    async def start(
        self, user_id: int, rejection_id: int | str | None
    ) -> tuple[Rejection, Reflection | None]:
        """The entry to reflect on (their latest when none is named) and any earlier reflection,
        so the questions can show what they wrote before."""
        entry = await self.journal.get_entry(user_id, rejection_id)
        return entry, await self.reflections.for_entry(user_id, entry.id)

    async def save(
        self, user_id: int, rejection_id: int | str | None, answers: Mapping[str, str | None]
    ) -> SavedReflection:
        """Stores the answers, then reads the member's themes: the first reading of many
        notes takes a while (it runs off the event loop), so callers answer Discord first."""
        entry = await self.journal.get_entry(user_id, rejection_id)
        questions = questions_for(entry.stage)
        cleaned = {
            name: text.clean_optional(answers.get(name), "answer", text.REFLECTION_FIELD_MAX,
                                      question=questions[name]) or ""
            for name in PROMPT_FIELDS
        }
        if not any(cleaned.values()):
            raise InvalidInput(_(
                "Every question can be skipped, but not all of them: "
                "write a line for at least one and I'll save it."
            ))
        now = to_db(self.clock.now())
        async with self.db.transaction() as tx:
            earlier = await self.reflections.for_entry(user_id, entry.id)
            if earlier is None:
                await self.reflections.add(
                    tx, user_id=user_id, rejection_id=entry.id, answers=cleaned, at=now
                )
            else:
                await self.reflections.replace(tx, earlier, cleaned, now)
            # Reflecting first makes the DM prompt for this entry unnecessary.
            await self.timers.cancel_pending(
                tx, user_id=user_id, kind="reflection_prompt", subject_id=entry.id
            )
        saved = await self.reflections.for_entry(user_id, entry.id)
        assert saved is not None
        return SavedReflection(
            entry=entry, reflection=saved, edited=earlier is not None,
            shared=await self.insights.insights(user_id),
        )

    async def themes(self, user_id: int, limit: int = 5) -> list[Theme]:
        """The member's recurring themes, most widespread first, as /insights lists them."""
        return (await self.insights.insights(user_id)).themes[:limit]
