"""Logging and reading rejection entries: habit 1, don't take it personally. Each member's
entries are numbered #1, #2, ... in their own journal; members can fix, undo and delete them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date as date_type
from datetime import timedelta
from typing import Any

from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database, SyncTransaction
from bot.db.repositories.member_settings import MemberSettings, MemberSettingsRepository
from bot.db.repositories.rejections import Rejection, RejectionRepository
from bot.db.repositories.shares import Share, ShareRepository
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput, NotAllowed, NotFound, UserFacingError
from bot.i18n import N_, _
from bot.services import text
from bot.services.applications import AlreadyDone
from bot.services.dates import in_words_iso, parse_day, zone
from bot.services.dm_rules import prompt_wanted
from bot.services.privacy import DELETED, DataDeleted
from bot.services.reframes import pick_reframe, reframe_text

STAGES = (
    "application", "recruiter-screen", "phone-screen", "technical", "take-home", "onsite",
    "final", "offer",
)
SHARE_CHOICES = ("private", "anonymous", "named")
LIST_MAX = 25
UNDO_WINDOW = timedelta(minutes=15)
PENDING_LIFETIME = timedelta(days=1)
# The fields /rejection edit changes, in the order members read them.
EDITABLE = (("company", N_("Company")), ("role", N_("Role")), ("stage", N_("Stage")),
            ("occurred_on", N_("Date")), ("note", N_("Note")))


@dataclass(frozen=True, slots=True)
class LoggedRejection:
    entry: Rejection
    reframe: str
    prompt_due_at: str | None     # when the DM reflection prompt is due, if one was scheduled


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """/rejection log of the same company and role on the same date again: nothing stored."""
    earlier: Rejection
    pending_id: int               # what "Log it anyway" stores
    share: str                    # what the member chose, so the reply can follow it


@dataclass(frozen=True, slots=True)
class EditedEntry:
    before: Rejection
    entry: Rejection
    changes: list[str]            # names of the fields that changed, in EDITABLE order

    @property
    def post_changed(self) -> bool:
        """Whether a group post could show something new (posts show stage and company)."""
        return "stage" in self.changes or "company" in self.changes


CHOICE_LABEL_MAX = 100


def entry_label(entry: Rejection) -> str:
    """How an entry reads in an autocomplete list: "#3 Acme · Backend · onsite · Fri 20 Nov
    2026" (member text still raw: the cog renders it)."""
    tail = " · ".join(part for part in (entry.role, entry.stage, in_words_iso(entry.occurred_on))
                      if part)
    head = f"#{entry.number} "
    room = CHOICE_LABEL_MAX - len(head) - len(" · ") - min(len(tail), 60)
    company = entry.company if len(entry.company) <= room else entry.company[: room - 1] + "…"
    label = f"{head}{company} · {tail}"
    return label if len(label) <= CHOICE_LABEL_MAX else label[: CHOICE_LABEL_MAX - 1] + "…"


def change_label(name: str) -> str:
    """The name of a field as members read it, in their language."""
    return _(dict(EDITABLE)[name])


def parse_number(typed: str | int | None) -> int:
    """An entry's number as the member typed or picked it ("3", "#3")."""
    value = str(typed if typed is not None else "").strip().lstrip("#").strip()
    if not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise NotFound(
            _("Pick one of your entries from the list, or give its number (see /rejection list).")
        )
    return int(value)


def no_entry(number: int) -> NotFound:
    """The one answer for a number that isn't the member's: missing and not theirs alike."""
    return NotFound(
        _("You have no entry #{number}. /rejection list shows yours.").format(number=number))


class JournalService:
    def __init__(self, db: Database, clock: Clock, rng: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock
        self.rejections = RejectionRepository(db)
        self.settings = MemberSettingsRepository(db)
        self.timers = TimerRepository(db)
        self.shares = ShareRepository(db)
        self.rng = rng or random.Random()

    # Logging -------------------------------------------------------------------------------

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
        locale: str | None = None,
        also: Callable[[SyncTransaction, Rejection], None] | None = None,
    ) -> LoggedRejection:
        """Store the entry (no duplicate check: see `log_or_warn`). `also`, when given, runs
        in the same transaction once the entry is stored (e.g. to link it to the application
        it came from); if it raises, nothing is kept."""
        result = await self._log(
            user_id=user_id, guild_id=guild_id, company=company, role=role, stage=stage,
            date=date, note=note, share=share, locale=locale, warn_duplicate=False, also=also)
        assert isinstance(result, LoggedRejection)
        return result

    async def log_or_warn(
        self, *, user_id: int, guild_id: int | None, company: str, role: str | None = None,
        stage: str | None = None, date: str | None = None, note: str | None = None,
        share: str | None = None, locale: str | None = None,
    ) -> LoggedRejection | PossibleDuplicate:
        """/rejection log: store the entry, or, when the member already logged the same
        company and role on that date, store nothing and name the earlier one (a pending row
        keeps what "Log it anyway" stores)."""
        return await self._log(
            user_id=user_id, guild_id=guild_id, company=company, role=role, stage=stage,
            date=date, note=note, share=share, locale=locale, warn_duplicate=True, also=None)

    async def _log(self, *, user_id, guild_id, company, role, stage, date, note, share, locale,
                   warn_duplicate, also) -> LoggedRejection | PossibleDuplicate:
        now = self.clock.now()
        company = text.clean_required(company, "company", text.COMPANY_MAX)
        role = text.clean_optional(role, "role", text.ROLE_MAX)
        note = text.clean_optional(note, "note", text.NOTE_MAX)
        if stage is not None and stage not in STAGES:
            raise InvalidInput(
                _("Stage must be one of: {stages}.").format(stages=", ".join(STAGES)))
        share = share or "private"
        if share not in SHARE_CHOICES:
            # Translators: private, anonymous and named are the option's values, kept as is.
            raise InvalidInput(_("Share must be private, anonymous or named."))

        def write(tx: SyncTransaction) -> LoggedRejection | PossibleDuplicate:
            # One trip to the database thread: the member's settings, the date checked
            # against their timezone (an InvalidInput here rolls back before any write), the
            # entry, the reframe shown, the prompt timer and the stored row.
            prefs = self.settings.get_sync(tx, user_id)
            day = parse_day(date, now, prefs.timezone, locale).isoformat()
            fields = {"guild_id": guild_id, "company": company, "role": role, "stage": stage,
                      "occurred_on": day, "note": note, "share": share}
            if warn_duplicate:
                earlier = self.rejections.same_sync(tx, user_id, company, role, day)
                if earlier is not None:
                    pending = self.rejections.add_pending_sync(
                        tx, user_id, fields, to_db(now), to_db(now + PENDING_LIFETIME))
                    return PossibleDuplicate(earlier=earlier, pending_id=pending, share=share)
            return self._store(tx, user_id, prefs, fields, also)

        return await self.db.run(write)

    def _store(self, tx: SyncTransaction, user_id: int, prefs: MemberSettings, fields: dict,
               also: Callable[[SyncTransaction, Rejection], None] | None) -> LoggedRejection:
        now = self.clock.now()
        stamp = to_db(now)      # one text form for every row this entry writes
        reframe_index = pick_reframe(fields["stage"], prefs.last_reframe, self.rng)
        prompt_due = None
        logged_on = now.astimezone(zone(prefs.timezone)).date()
        day = date_type.fromisoformat(fields["occurred_on"])
        if prefs.dm_prompts and prompt_wanted(day, logged_on):
            prompt_due = to_db(now + timedelta(hours=prefs.reflection_delay_hours))
        stored = self.rejections.add_sync(tx, Rejection(
            id=0, user_id=user_id, guild_id=fields["guild_id"], company=fields["company"],
            role=fields["role"], stage=fields["stage"], occurred_on=fields["occurred_on"],
            note=fields["note"], share=fields["share"], created_at=stamp,
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

    async def log_anyway(self, user_id: int, pending_id: int) -> LoggedRejection:
        """The "Log it anyway" button: store the entry the duplicate warning held back."""
        now = self.clock.now()

        def write(tx: SyncTransaction) -> LoggedRejection:
            pending = self.rejections.pending_sync(tx, pending_id)
            if pending is None:
                raise NotFound(_("That request is no longer here; nothing was changed."))
            if pending.user_id != user_id:
                raise NotAllowed(_("This button belongs to someone else; nothing was changed."))
            if pending.finished is not None:
                raise AlreadyDone(_("Already done: that entry is logged."))
            if from_db(pending.expires_at) < now:
                raise UserFacingError(_("This was waiting for a day and has expired; nothing "
                                        "was changed. Run /rejection log again."))
            self.rejections.finish_pending_sync(tx, pending_id)
            return self._store(tx, user_id, self.settings.get_sync(tx, user_id),
                               pending.fields, None)

        return await self.db.run(write)

    # Reading -------------------------------------------------------------------------------

    async def list_entries(self, user_id: int, limit: int = 10) -> list[Rejection]:
        """By the rejection's date, newest first (on one date, the one logged last first)."""
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(_("Limit must be between 1 and {highest}.").format(
                highest=LIST_MAX))
        return await self.rejections.list_recent(user_id, limit)

    async def get_entry(self, user_id: int, ref: int | str | None) -> Rejection:
        """The member's own entry. `ref` is what they typed or picked (their number: "3",
        "#3"; None or blank for their latest), or an int: the internal id a button or form
        carries, checked by `entry_for_button`. Someone else's number reads like a missing
        one."""
        if isinstance(ref, int):
            return await self.entry_for_button(user_id, ref)
        if ref is None or not ref.strip():
            entry = await self.rejections.latest(user_id)
            if entry is None:
                raise NotFound(
                    _("You haven't logged a rejection yet. Start with /rejection log."))
            return entry
        number = parse_number(ref)
        entry = await self.rejections.by_number(user_id, number)
        if entry is None:
            raise no_entry(number)
        return entry

    async def entry_for_button(self, user_id: int, rejection_id: int) -> Rejection:
        """The entry a button or form names by its internal id. Raises DataDeleted ("That was
        deleted.") when it is gone (or isn't the member's), before anything is written: every
        old button about a deleted entry answers the same way."""
        entry = await self.rejections.get_owned(user_id, rejection_id) \
            if 0 < rejection_id < 2**63 else None
        if entry is None:
            raise DataDeleted(DELETED)
        return entry

    async def suggest_entries(self, user_id: int, typed: str) -> list[Rejection]:
        """For autocomplete: only the member's own entries, newest first, at most 25."""
        return await self.rejections.search(user_id, typed[:100], limit=25)

    async def choices(self, user_id: int, typed: str) -> list[tuple[str, str]]:
        """Autocomplete (label, value) pairs: the value is the member's number, so what they
        pick and what they type by hand ("3", "#3") mean the same entry."""
        return [(entry_label(e), str(e.number))
                for e in await self.suggest_entries(user_id, typed)]

    async def posts_of(self, user_id: int, rejection_id: int) -> list[Share]:
        """The entry's shares in every server: posted (message_id set) or still waiting."""
        return await self.shares.for_entry(user_id, rejection_id)

    # Fixing --------------------------------------------------------------------------------

    async def edit(
        self, *, user_id: int, entry: str, company: str | None = None, role: str | None = None,
        stage: str | None = None, date: str | None = None, note: str | None = None,
        locale: str | None = None,
    ) -> EditedEntry:
        """/rejection edit: change what's given; the rest stays."""
        found = await self.get_entry(user_id, entry)
        if stage is not None and stage not in STAGES:
            raise InvalidInput(
                _("Stage must be one of: {stages}.").format(stages=", ".join(STAGES)))
        now = self.clock.now()
        new = {
            "company": (text.clean_required(company, "company", text.COMPANY_MAX)
                        if company is not None else None),
            "role": text.clean_optional(role, "role", text.ROLE_MAX) if role is not None
            else None,
            "note": text.clean_optional(note, "note", text.NOTE_MAX) if note is not None
            else None,
            "stage": stage,
        }

        def write(tx: SyncTransaction) -> EditedEntry:
            current = self.rejections.get_owned_sync(tx, user_id, found.id)
            if current is None:
                raise no_entry(found.number)
            changed: dict[str, Any] = {k: v for k, v in new.items() if v is not None}
            if date is not None:
                prefs = self.settings.get_sync(tx, user_id)
                changed["occurred_on"] = parse_day(date, now, prefs.timezone, locale).isoformat()
            updated = replace(current, **changed)
            changes = [name for name, _label in EDITABLE
                       if getattr(current, name) != getattr(updated, name)]
            if changes:
                updated = self.rejections.update_sync(tx, updated)
            return EditedEntry(before=current, entry=updated, changes=changes)

        return await self.db.run(write)

    async def check_undo(self, user_id: int, rejection_id: int) -> Rejection:
        """The Undo button of a /rejection log reply works for 15 minutes after logging."""
        entry = await self.entry_for_button(user_id, rejection_id)
        if self.clock.now() - from_db(entry.created_at) > UNDO_WINDOW:
            raise UserFacingError(
                _("The time for undo has passed (15 minutes). /rejection delete removes "
                  "#{number} if you still want it gone.").format(number=entry.number))
        return entry

    async def delete(self, user_id: int, rejection_id: int) -> Rejection:
        """The entry and everything about it gone: reflection (and its history), feedback,
        timers, share rows. Its posts in channels are the caller's to take down first. Raises
        DataDeleted when it is already gone."""
        def write(tx: SyncTransaction) -> Rejection:
            gone = self.rejections.delete_sync(tx, user_id, rejection_id)
            if gone is None:
                raise DataDeleted(DELETED)
            return gone

        return await self.db.run(write)
