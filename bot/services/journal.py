"""Logging and reading rejection entries: habit 1, don't take it personally."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, to_db
from bot.db.connection import Database, SyncTransaction
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.db.repositories.rejections import Rejection, RejectionRepository
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput, NotFound
from bot.services import text
from bot.services.dates import parse_day, zone
from bot.services.dm_rules import prompt_wanted
from bot.services.reframes import pick_reframe, reframe_text

STAGES = (
    "application", "recruiter-screen", "phone-screen", "technical", "take-home", "onsite",
    "final", "offer",
)
SHARE_CHOICES = ("private", "anonymous", "named")
LIST_MAX = 25


@dataclass(frozen=True, slots=True)
class LoggedRejection:
    entry: Rejection
    reframe: str
    prompt_due_at: str | None     # when the DM reflection prompt is due, if one was scheduled


class JournalService:
    def __init__(self, db: Database, clock: Clock, rng: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock
        self.rejections = RejectionRepository(db)
        self.settings = MemberSettingsRepository(db)
        self.timers = TimerRepository(db)
        self.rng = rng or random.Random()

    async def log_rejection(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        company: str,
        role: str | None = None,
        stage: str | None = None,
        date: str | None = None,
        note: str | None = None,
        share: str | None = None,
        also: Callable[[SyncTransaction, Rejection], None] | None = None,
    ) -> LoggedRejection:
        """`also`, when given, runs in the same transaction once the entry is stored (e.g. to
        link it to the application it came from); if it raises, nothing is kept."""
        now = self.clock.now()
        company = text.clean_required(company, "company", text.COMPANY_MAX)
        role = text.clean_optional(role, "role", text.ROLE_MAX)
        note = text.clean_optional(note, "note", text.NOTE_MAX)
        if stage is not None and stage not in STAGES:
            raise InvalidInput(f"Stage must be one of: {', '.join(STAGES)}.")
        share = share or "private"
        if share not in SHARE_CHOICES:
            raise InvalidInput("Share must be private, anonymous or named.")

        def write(tx: SyncTransaction) -> LoggedRejection:
            # One trip to the database thread: the member's settings, the date checked
            # against their timezone (an InvalidInput here rolls back before any write), the
            # entry, the reframe shown, the prompt timer and the stored row.
            stamp = to_db(now)      # one text form for every row this entry writes
            prefs = self.settings.get_sync(tx, user_id)
            day = parse_day(date, now, prefs.timezone)
            reframe_index = pick_reframe(stage, prefs.last_reframe, self.rng)
            prompt_due = None
            logged_on = now.astimezone(zone(prefs.timezone)).date()
            if prefs.dm_prompts and prompt_wanted(day, logged_on):
                prompt_due = to_db(now + timedelta(hours=prefs.reflection_delay_hours))
            stored = self.rejections.add_sync(tx, Rejection(
                id=0, user_id=user_id, guild_id=guild_id, company=company, role=role,
                stage=stage, occurred_on=day.isoformat(), note=note, share=share,
                created_at=stamp,
            ))
            self.settings.mark_reframe_sync(tx, user_id, reframe_index, stamp)
            if prompt_due is not None:
                self.timers.add_sync(
                    tx, user_id=user_id, kind="reflection_prompt", subject_id=stored.id,
                    due_at=prompt_due, created_at=stamp,
                )
            if also is not None:
                also(tx, stored)
            return LoggedRejection(entry=stored, reframe=reframe_text(reframe_index),
                                   prompt_due_at=prompt_due)

        return await self.db.run(write)

    async def list_entries(self, user_id: int, limit: int = 10) -> list[Rejection]:
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(f"Limit must be between 1 and {LIST_MAX}.")
        return await self.rejections.list_recent(user_id, limit)

    async def get_entry(self, user_id: int, rejection_id: int | str | None) -> Rejection:
        """The member's own entry by id, or their latest when none is named.
        Someone else's id reads exactly like a missing one."""
        if rejection_id is None or (isinstance(rejection_id, str) and not rejection_id.strip()):
            entry = await self.rejections.latest(user_id)
            if entry is None:
                raise NotFound("You haven't logged a rejection yet. Start with /rejection log.")
            return entry
        try:
            wanted = int(str(rejection_id).strip().lstrip("#"))
        except ValueError:
            raise NotFound(
                "Pick one of your entries from the list, or give its id (see /rejection list)."
            ) from None
        entry = await self.rejections.get_owned(user_id, wanted) if 0 < wanted < 2**63 else None
        if entry is None:
            raise NotFound(f"You have no entry #{wanted}. /rejection list shows your entries.")
        return entry

    async def suggest_entries(self, user_id: int, typed: str) -> list[Rejection]:
        """For autocomplete: only the member's own entries, newest first, at most 25."""
        return await self.rejections.search(user_id, typed[:100], limit=25)
