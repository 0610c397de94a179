"""A member's own preferences: timezone, quiet hours, which personal DMs they want."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from zoneinfo import available_timezones

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.member_settings import MemberSettings, MemberSettingsRepository
from bot.db.repositories.privacy import PrivacyRepository
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput
from bot.i18n import N_, _
from bot.services.dates import timezone_choices, valid_timezone
from bot.services.personal import next_nudge_due
from bot.services.privacy import DELETED, DataDeleted
from bot.services.text import literal

DELAY_MAX_HOURS = 168
# Translators: "off" is what the member types to turn quiet hours off, kept as is.
QUIET_HELP = N_("Use HH:MM-HH:MM in your timezone, like 22:00-08:00, or “off”.")
_QUIET = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")
PAUSABLE = ("dm_prompts", "personal_nudges", "encouragement_dms")


def parse_quiet_hours(value: str) -> tuple[str | None, str | None]:
    """"22:00-08:00" → ("22:00", "08:00"); "off" → (None, None)."""
    typed = value.strip().lower()
    if typed in {"off", "none", "no"}:
        return None, None
    match = _QUIET.match(typed)
    if not match:
        # Translators: {help} is the sentence on how to write quiet hours.
        raise InvalidInput(_("I couldn't read “{value}” as quiet hours. {help}").format(
            value=literal(value, 40), help=_(QUIET_HELP)))
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if not (0 <= start_h <= 23 and 0 <= end_h <= 23 and 0 <= start_m <= 59 and 0 <= end_m <= 59):
        raise InvalidInput(_("Hours go from 00 to 23 and minutes from 00 to 59. {help}").format(
            help=_(QUIET_HELP)))
    start, end = f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}"
    if start == end:
        raise InvalidInput(
            _("Quiet hours need to start and end at different times. {help}").format(
                help=_(QUIET_HELP)))
    return start, end


def checked_timezone(name: str) -> str:
    """An IANA name, or an error that suggests the closest real ones (typos included)."""
    try:
        return valid_timezone(name)
    except InvalidInput as refused:
        typed = name.strip()
        if timezone_choices(typed, limit=3):
            raise       # the refusal already suggests names close to what was typed
        by_name = {z.lower(): z for z in available_timezones()}
        close = difflib.get_close_matches(typed.lower().replace(" ", "_"), by_name, n=3, cutoff=0.6)
        city = typed.rsplit("/", 1)[-1]
        suggestions = [by_name[z] for z in close] or timezone_choices(city, limit=3)
        if not suggestions:
            raise
        # Translators: {problem} says the timezone is not known; {names} lists real ones.
        raise InvalidInput(_("{problem} Did you mean {names}?").format(
            problem=refused.message, names=", ".join(suggestions))) from None


@dataclass(frozen=True, slots=True)
class SettingsUpdate:
    settings: MemberSettings
    changed: tuple[str, ...]      # names of the settings that actually changed
    before: MemberSettings | None = None   # the settings as they were, to say what changed


class MemberSettingsService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.repo = MemberSettingsRepository(db)
        self.timers = TimerRepository(db)

    async def get(self, user_id: int) -> MemberSettings:
        return await self.repo.get(user_id)

    async def update(
        self,
        user_id: int,
        *,
        timezone: str | None = None,
        quiet_hours: str | None = None,
        dm_prompts: bool | None = None,
        personal_nudges: bool | None = None,
        reflection_delay_hours: int | None = None,
        encouragement_dms: bool | None = None,
        anonymous_notes: bool | None = None,
    ) -> SettingsUpdate:
        """Change the options given; every one is checked before anything is stored."""
        changes: dict[str, object] = {}
        if timezone is not None:
            changes["timezone"] = checked_timezone(timezone)
        if quiet_hours is not None:
            changes["quiet_start"], changes["quiet_end"] = parse_quiet_hours(quiet_hours)
        if dm_prompts is not None:
            changes["dm_prompts"] = bool(dm_prompts)
        if personal_nudges is not None:
            changes["personal_nudges"] = bool(personal_nudges)
        if encouragement_dms is not None:
            changes["encouragement_dms"] = bool(encouragement_dms)
        if anonymous_notes is not None:
            changes["anonymous_notes"] = bool(anonymous_notes)
        if reflection_delay_hours is not None:
            if not 0 <= reflection_delay_hours <= DELAY_MAX_HOURS:
                raise InvalidInput(
                    _("The reflection delay is in hours, from 0 (right away) to {highest} "
                      "(a week).").format(highest=DELAY_MAX_HOURS)
                )
            changes["reflection_delay_hours"] = int(reflection_delay_hours)
        return await self._apply(user_id, changes)

    async def pause(self, user_id: int, setting: str) -> SettingsUpdate:
        """The one-click pause every DM carries (personal DMs and notes of encouragement).
        A member who deleted their data gets DELETED and nothing is written: the pause would
        be a new row about them."""
        if setting not in PAUSABLE:
            raise InvalidInput(_("That isn't something I can pause."))
        if not await PrivacyRepository(self.db).has_any(user_id):
            raise DataDeleted(DELETED)
        return await self._apply(user_id, {setting: False})

    async def _apply(self, user_id: int, changes: dict[str, object]) -> SettingsUpdate:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            # Read inside the transaction so nothing written meanwhile is overwritten.
            current = await self.repo.get(user_id)
            changed = tuple(k for k, v in changes.items() if getattr(current, k) != v)
            if changed:
                updated = current.with_changes(**changes, updated_at=to_db(now))
                await self.repo.save(tx, updated)
                await self._keep_nudges_in_step(tx, current, updated)
        return SettingsUpdate(settings=await self.repo.get(user_id), changed=changed,
                              before=current)

    async def _keep_nudges_in_step(self, tx, before: MemberSettings, after: MemberSettings) -> None:
        """An opted-in member has exactly one pending nudge timer, looked at each evening in
        their timezone; opting out removes it."""
        user_id = after.user_id
        if not after.personal_nudges:
            if before.personal_nudges:
                await self.timers.cancel_kind(tx, user_id=user_id, kind="personal_nudge")
            return
        if before.personal_nudges and before.timezone == after.timezone:
            return
        await self.timers.cancel_kind(tx, user_id=user_id, kind="personal_nudge")
        await self.timers.add(
            tx, user_id=user_id, kind="personal_nudge", subject_id=None,
            due_at=to_db(next_nudge_due(self.clock.now(), after.timezone)),
            created_at=to_db(self.clock.now()),
        )
