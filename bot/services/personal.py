"""Onward's own DMs: reflection prompts, feedback follow-ups and personal nudges.

Timers are rows in `timers`; the outbox (bot/services/outbox.py) decides when a member gets a
DM and applies the care rules shared by every DM. This module says what each of Onward's own
timers amounts to when it falls due (an item for the DM, a later look, or nothing), how such an
item reads and which buttons it carries, and answers the prompt's own buttons:

- personal nudges (opt-in) go at most once a week, never with the same wording twice in a row,
  never within 48 h after a logged rejection, never once the week's goal is met;
- an entry dated more than 14 days before it was logged gets no reflection prompt by DM;
- a DM that cannot be delivered becomes a pending notice, shown privately at the member's next
  command or button press.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot import custom_ids
from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database
from bot.db.repositories.applications import ApplicationRepository
from bot.db.repositories.encouragements import EncouragementRepository
from bot.db.repositories.feedback import FeedbackRepository
from bot.db.repositories.member_settings import MemberSettings, MemberSettingsRepository
from bot.db.repositories.notices import ENCOURAGEMENT_NOTICE, NoticeRepository
from bot.db.repositories.reflections import ReflectionRepository
from bot.db.repositories.rejections import Rejection, RejectionRepository
from bot.db.repositories.timers import Timer, TimerRepository
from bot.errors import UserFacingError
from bot.i18n import N_, _
from bot.services import text
from bot.services.dates import zone
from bot.services.dm_rules import prompt_wanted
from bot.services.journal import JournalService

ONWARD_KINDS = ("reflection_prompt", "feedback_followup", "personal_nudge")
KIND_ORDER = ONWARD_KINDS
PROMPT_KINDS = ("reflection_prompt", "feedback_followup")
# A DM has room for five rows of buttons: one per item plus one for pausing.
MAX_ITEMS = 4
NUDGE_AT = time(18, 0)                          # local time a personal nudge is considered
DAY_STARTS = time(9, 0)                         # what waits for tomorrow goes in the morning
NO_NUDGE_AFTER_REJECTION = timedelta(hours=48)  # give people room after a no
NUDGE_EVERY = timedelta(days=7)                 # at most one personal nudge a week
REMIND_AGAIN_AFTER = timedelta(hours=24)
NOTICE_KIND = "personal_dm"
# Button labels, translated where shown (pause_label).
PAUSE_LABELS = {"dm_prompts": N_("Pause DM prompts"), "personal_nudges": N_("Pause nudges")}

# Kind, varied wordings for a personal nudge; {done} and {goal} are this week's figures.
# The index of the wording is stored, never its text.
NUDGE_TEXTS = (
    N_("**This week:** {done} of {goal} applications so far. One small application today "
       "keeps things moving; /apply log when you're ready."),
    N_("**A gentle nudge:** {done} of {goal} applications this week. Even one today counts, "
       "and it doesn't have to be perfect."),
    N_("**Checking in:** you're at {done} of {goal} applications this week. A quick one sent "
       "today is a step; /apply log keeps the count."),
    N_("**Keep going:** {done} of {goal} applications this week. Twenty minutes on one can be "
       "enough for today."),
    N_("**Your week so far:** {done} of {goal} applications. Pick the easiest one on your "
       "list and send it; that's a good day's work."),
)


def pause_label(setting: str) -> str:
    """The label of the button that turns `setting` off, in the current language."""
    return _(PAUSE_LABELS[setting])


# Time helpers ---------------------------------------------------------------------------------

def _hm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, start: str | None, end: str | None) -> bool:
    if not start or not end:
        return False
    begins, ends, now = _hm(start), _hm(end), local.time().replace(tzinfo=None)
    if begins < ends:
        return begins <= now < ends
    return now >= begins or now < ends            # the quiet hours span midnight


def next_allowed(local: datetime, prefs: MemberSettings) -> datetime:
    """`local` itself, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(local, prefs.quiet_start, prefs.quiet_end):
        return local
    ends = _hm(prefs.quiet_end or "00:00")
    candidate = datetime.combine(local.date(), ends, tzinfo=local.tzinfo)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), ends, tzinfo=local.tzinfo)
    return candidate


def next_nudge_due(
    now: datetime, timezone: str | None, *, from_day: date | None = None
) -> datetime:
    """The next local NUDGE_AT after `now` (or on/after `from_day`), as UTC."""
    tz = zone(timezone)
    local = now.astimezone(tz)
    day = from_day or local.date()
    candidate = datetime.combine(day, NUDGE_AT, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=1), NUDGE_AT, tzinfo=tz)
    return candidate.astimezone(UTC)


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def applications_expected_by(goal: int, day: date) -> int:
    """The pro-rata share of the weekly goal by the end of `day` (Monday = 1/7, Sunday = all),
    rounded down so nobody is "behind" on a Monday morning."""
    return goal * (day.weekday() + 1) // 7


def discord_time(moment: datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


# What a DM is made of -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Button:
    label: str
    custom_id: str
    primary: bool = False
    row: int = 0


@dataclass(frozen=True, slots=True)
class Payload:
    """One message as plain data: its text and its buttons (the adapter makes them Discord's)."""
    content: str
    buttons: tuple[Button, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"content": self.content,
                           "buttons": [[b.label, b.custom_id, b.primary, b.row]
                                       for b in self.buttons]})

    @classmethod
    def from_json(cls, raw: str) -> Payload:
        data = json.loads(raw)
        return cls(str(data["content"]), tuple(
            Button(str(label), str(cid), bool(primary), int(row))
            for label, cid, primary, row in data.get("buttons") or []))


@dataclass(frozen=True, slots=True)
class DueItem:
    timer_id: int
    kind: str
    subject_id: int | None
    entry: Rejection | None = None        # reflection prompts and feedback follow-ups
    requested_at: str | None = None       # feedback follow-ups: when the request was sent
    reflected: bool = False               # … and whether the entry has a reflection
    applications: int | None = None       # personal nudges: this week's count …
    goal: int | None = None               # … against the weekly goal
    text_index: int | None = None         # … in this wording


@dataclass(frozen=True, slots=True)
class PendingTimer:
    """A timer still to fire, with what it is about (for a read-only overview)."""

    user_id: int
    kind: str
    due_at: datetime
    timezone: str                         # the member's, "UTC" when unset
    entry: Rejection | None = None        # the journal entry it follows up, if any


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    content: str
    buttons: tuple[Button, ...] = ()
    kind: str = NOTICE_KIND
    subject_id: int | None = None
    paused: bool = False          # held because the member paused these DMs, not closed them

    @property
    def pauses(self) -> tuple[str, ...]:
        """The settings the notice's pause buttons turn off."""
        return tuple(b.custom_id.rsplit(":", 1)[1] for b in self.buttons
                     if b.custom_id.startswith("onward:pause:"))


def pauses_for(kinds: Iterable[str]) -> tuple[str, ...]:
    """The settings a message offers to turn off, one per kind of message in it."""
    present = set(kinds)
    wanted = []
    if present & set(PROMPT_KINDS):
        wanted.append("dm_prompts")
    if "personal_nudge" in present:
        wanted.append("personal_nudges")
    return tuple(wanted)


def item_buttons(items: Iterable[tuple[str, int | None]],
                 numbers: dict[int, int] | None = None) -> tuple[Button, ...]:
    """One row of buttons per entry (labels carry the member's entry number when there are
    several; `numbers` maps entry id to it), then one row to pause these messages."""
    items = list(items)
    with_buttons = [(k, s) for k, s in items if s is not None and k in PROMPT_KINDS]
    suffix_needed = len(with_buttons) > 1 and numbers is not None
    found: list[Button] = []
    for row, (kind, subject_id) in enumerate(with_buttons):
        assert subject_id is not None
        suffix = f" · #{(numbers or {}).get(subject_id, '?')}" if suffix_needed else ""
        found += [Button(label + suffix, cid, main, row)
                  for label, cid, main in entry_buttons(kind, subject_id)]
    row = min(len(with_buttons), 4)
    found += [Button(pause_label(s), custom_ids.pause(s), False, row)
              for s in pauses_for(k for k, _subject in items)]
    return tuple(found)


def item_line(item: DueItem, escape: Callable[[str], str] = text.literal) -> str:
    if item.kind in PROMPT_KINDS:
        entry = item.entry
        assert entry is not None
        stage = f" ({_(entry.stage)})" if entry.stage else ""   # the stage choice's name
        about = f"**#{entry.number}** {escape(entry.company)}{stage}"
        if item.kind == "reflection_prompt":
            # Translators: {about} is an entry's number and company, such as "**#3** Acme".
            return _("{about}: when you have a few minutes, would you like to reflect on it? "
                     "Five short questions, and you can skip any of them.").format(about=about)
        keep = (_("If so, log it and it will sit beside your reflection.") if item.reflected
                else _("If so, log it and it stays with this entry."))
        if item.requested_at:
            asked_on = discord_time(from_db(item.requested_at), 'D')
            # Translators: {about} is an entry, {date} the day the feedback was asked for.
            asked = _("{about}: you asked for feedback on {date}. Did you hear back?").format(
                about=about, date=asked_on)
        else:
            asked = _("{about}: you asked for feedback. Did you hear back?").format(about=about)
        return asked + " " + keep
    wording = _(NUDGE_TEXTS[(item.text_index or 0) % len(NUDGE_TEXTS)])
    return wording.format(done=item.applications, goal=item.goal)


def entry_buttons(kind: str, subject_id: int) -> list[tuple[str, str, bool]]:
    """(label, custom_id, primary) of the buttons that act on one entry of a DM; the labels in
    the current language."""
    if kind == "reflection_prompt":
        return [(_("Reflect now"), custom_ids.reflect(subject_id), True),
                (_("Remind me tomorrow"), custom_ids.prompt_later(subject_id), False),
                (_("Not this one"), custom_ids.prompt_skip(subject_id), False)]
    return [(_("Log feedback"), custom_ids.feedback_log(subject_id), True),
            (_("Stop reminding"), custom_ids.feedback_stop(subject_id), False)]


# A DM with several entries: one line each, the shared words said once.
MERGED_INTRO = N_("A few gentle check-ins from Onward, all in one message:")
# Translators: {about} is a bullet with an entry's number and company, such as "• **#3** Acme".
MERGED_REFLECT = N_("{about}: ready when you are to reflect on it")
# Translators: {asked_on} is the day the feedback was asked for.
MERGED_FEEDBACK_ON = N_("{about}: you asked for feedback on {asked_on}; did you hear back?")
MERGED_FEEDBACK = N_("{about}: you asked for feedback; did you hear back?")
# Translators: "Choose an entry" is the label of the button under the message.
MERGED_HOW = N_("**Choose an entry** to reflect on it (five short questions, skip any), log "
                "the feedback you got, or set it aside.")
PAUSE_HINT = N_("Not now? The buttons below pause these messages; /settings turns them back on.")
CHOOSE_LABEL = N_("Choose an entry")


def merged_line(item: DueItem, escape: Callable[[str], str] = text.literal) -> str:
    entry = item.entry
    assert entry is not None
    stage = f" ({_(entry.stage)})" if entry.stage else ""   # the stage choice's name
    about = f"• **#{entry.number}** {escape(entry.company)}{stage}"
    if item.kind == "reflection_prompt":
        return _(MERGED_REFLECT).format(about=about)
    if item.requested_at:
        return _(MERGED_FEEDBACK_ON).format(
            about=about, asked_on=discord_time(from_db(item.requested_at), "D"))
    return _(MERGED_FEEDBACK).format(about=about)


def render_merged(items: list[DueItem], escape: Callable[[str], str] = text.literal) -> Payload:
    """Several entries in one DM: one line each and ONE "Choose an entry" button (it opens a
    menu of them), then the pause buttons; other items (a nudge) keep their own line."""
    entries = [i for i in items if i.kind in PROMPT_KINDS and i.subject_id is not None]
    others = [i for i in items if i not in entries]
    lines = [_(MERGED_INTRO), "", *(merged_line(i, escape) for i in entries)]
    lines += ["", _(MERGED_HOW)]
    if others:
        lines += ["", *(item_line(i, escape) for i in others)]
    lines += ["", _(PAUSE_HINT)]
    picks = [("r" if i.kind == "reflection_prompt" else "f", i.subject_id or 0) for i in entries]
    buttons = [Button(_(CHOOSE_LABEL), custom_ids.dm_pick(picks), True, 0)]
    buttons += [Button(pause_label(s), custom_ids.pause(s), False, 1)
                for s in pauses_for(i.kind for i in items)]
    return Payload("\n".join(lines), tuple(buttons))


def render_batch(items: list[DueItem], escape: Callable[[str], str] = text.literal) -> Payload:
    if sum(1 for i in items if i.kind in PROMPT_KINDS and i.subject_id is not None) > 1:
        return render_merged(items, escape)
    intro = (_("A gentle check-in from Onward:") if len(items) == 1
             else _(MERGED_INTRO))
    lines = [intro, "", *(item_line(i, escape) for i in items), "", _(PAUSE_HINT)]
    numbers = {i.entry.id: i.entry.number for i in items if i.entry is not None}
    return Payload("\n".join(lines),
                   item_buttons(((i.kind, i.subject_id) for i in items), numbers))


def pick_nudge_text(last: int | None, rng: random.Random) -> int:
    """A wording other than the one sent last time."""
    choices = [i for i in range(len(NUDGE_TEXTS)) if i != last]
    return rng.choice(choices)


class PersonalDMService:
    def __init__(self, db: Database, clock: Clock, rng: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock
        self.rng = rng or random.Random()
        self.journal = JournalService(db, clock)
        self.timers = TimerRepository(db)
        self.settings = MemberSettingsRepository(db)
        self.rejections = RejectionRepository(db)
        self.reflections = ReflectionRepository(db)
        self.feedback = FeedbackRepository(db)
        self.applications = ApplicationRepository(db)
        self.notices = NoticeRepository(db)
        self.encouragements = EncouragementRepository(db)

    async def next_due_at(self) -> datetime | None:
        earliest = await self.timers.next_due_at()
        return from_db(earliest) if earliest else None

    async def pending_timers(self, limit: int = 50) -> list[PendingTimer]:
        """Timers still to fire, soonest first, with the member's timezone and the entry each
        follows up (None for share posts, whose subject is not an entry). Read only."""
        result = []
        for timer in await self.timers.pending(limit):
            prefs = await self.settings.get(timer.user_id)
            entry = None
            if timer.subject_id is not None and timer.kind != "share_post":
                entry = await self.rejections.get_owned(timer.user_id, timer.subject_id)
            result.append(PendingTimer(timer.user_id, timer.kind, from_db(timer.due_at),
                                       prefs.timezone or "UTC", entry))
        return result

    # What a due timer amounts to ----------------------------------------------------------------

    async def check(
        self, timer: Timer, prefs: MemberSettings, now: datetime
    ) -> DueItem | datetime | None:
        """An item for the DM, a later time to look again, or None when it is no longer
        wanted."""
        if timer.kind == "reflection_prompt":
            entry = await self.rejections.get_owned(timer.user_id, timer.subject_id or 0)
            if entry is None or not prefs.dm_prompts:
                return None
            if not prompt_wanted(date.fromisoformat(entry.occurred_on),
                                 from_db(entry.created_at).date()):
                return None
            if await self.reflections.exists(timer.user_id, entry.id):
                return None
            return DueItem(timer.id, timer.kind, entry.id, entry=entry)
        if timer.kind == "feedback_followup":
            entry = await self.rejections.get_owned(timer.user_id, timer.subject_id or 0)
            if entry is None or not prefs.dm_prompts:
                return None
            request = await self.feedback.for_entry(timer.user_id, entry.id)
            if request is not None and request.feedback_text:
                return None
            return DueItem(timer.id, timer.kind, entry.id, entry=entry,
                           requested_at=request.sent_at if request else None,
                           reflected=await self.reflections.exists(timer.user_id, entry.id))
        if timer.kind == "personal_nudge":
            if not prefs.personal_nudges:
                return None
            return await self._nudge(timer, prefs, now)
        return None

    async def _nudge(
        self, timer: Timer, prefs: MemberSettings, now: datetime
    ) -> DueItem | datetime:
        """A nudge goes out only when the member is behind on their weekly goal, has not met it,
        got no nudge in the last week and logged no rejection in the last 48 h; otherwise it
        looks again later."""
        today = now.astimezone(zone(prefs.timezone)).date()
        look_again = next_nudge_due(now, prefs.timezone, from_day=today + timedelta(days=1))
        if not prefs.weekly_goal:
            return look_again
        if prefs.last_nudge_at and now - from_db(prefs.last_nudge_at) < NUDGE_EVERY:
            week_later = from_db(prefs.last_nudge_at) + NUDGE_EVERY
            return next_nudge_due(week_later, prefs.timezone,
                                  from_day=week_later.astimezone(zone(prefs.timezone)).date())
        latest = await self.rejections.latest(timer.user_id)
        if latest is not None and now - from_db(latest.created_at) < NO_NUDGE_AFTER_REJECTION:
            return max(look_again, next_nudge_due(
                from_db(latest.created_at) + NO_NUDGE_AFTER_REJECTION, prefs.timezone))
        monday, sunday = week_of(today)
        done = await self.applications.count_between(
            timer.user_id, monday.isoformat(), sunday.isoformat()
        )
        if done >= prefs.weekly_goal:
            return next_nudge_due(now, prefs.timezone, from_day=sunday + timedelta(days=1))
        if done >= applications_expected_by(prefs.weekly_goal, today):
            return look_again
        return DueItem(timer.id, timer.kind, None, applications=done, goal=prefs.weekly_goal,
                       text_index=pick_nudge_text(prefs.last_nudge_text, self.rng))

    # Consent up front ---------------------------------------------------------------------------

    async def dm_entries(
        self, user_id: int, items: list[tuple[str, int]]
    ) -> list[tuple[str, int, Rejection]]:
        """The member's own entries a merged DM named ("r"/"f", id, entry), in its order;
        entries deleted since are left out."""
        found = []
        for kind, entry_id in items:
            entry = await self.rejections.get_owned(user_id, entry_id)
            if entry is not None:
                found.append((kind, entry_id, entry))
        return found

    async def first_dm_consent(self, user_id: int) -> bool:
        """True the first time a DM is scheduled for this member (the reply then says so and
        offers "No DMs, thanks"); records that they were told."""
        prefs = await self.settings.get(user_id)
        if prefs.dm_consent_at:
            return False
        async with self.db.transaction() as tx:
            return await self.settings.mark_consent_shown(tx, user_id, to_db(self.clock.now()))

    async def no_dms(self, user_id: int) -> int:
        """"No DMs, thanks": reflection prompts and follow-ups off, and what was pending for
        them cancelled. Returns how many were cancelled."""
        now = to_db(self.clock.now())
        pending = await self.timers.pending_kinds(user_id, PROMPT_KINDS)
        async with self.db.transaction() as tx:
            current = await self.settings.get(user_id)
            await self.settings.save(tx, current.with_changes(dm_prompts=False, updated_at=now))
            await self.timers.cancel(tx, [t.id for t in pending])
        return len(pending)

    # The prompt's own buttons -----------------------------------------------------------------

    async def remind_tomorrow(
        self, user_id: int, rejection_id: int | str
    ) -> tuple[Rejection, datetime]:
        entry = await self.journal.get_entry(user_id, rejection_id)
        if await self.reflections.exists(user_id, entry.id):
            raise UserFacingError(_(
                "You've already reflected on #{number}; /reflect lets you add to it any time."
            ).format(number=entry.number))
        now = self.clock.now()
        due = now + REMIND_AGAIN_AFTER
        async with self.db.transaction() as tx:
            await self.timers.cancel_pending(
                tx, user_id=user_id, kind="reflection_prompt", subject_id=entry.id
            )
            await self.timers.add(
                tx, user_id=user_id, kind="reflection_prompt", subject_id=entry.id,
                due_at=to_db(due), created_at=to_db(now),
            )
        return entry, due

    async def skip_prompt(self, user_id: int, rejection_id: int | str) -> Rejection:
        entry = await self.journal.get_entry(user_id, rejection_id)
        async with self.db.transaction() as tx:
            await self.timers.cancel_pending(
                tx, user_id=user_id, kind="reflection_prompt", subject_id=entry.id
            )
        return entry

    # Notices for members whose DMs are closed -------------------------------------------------

    async def has_notices(self, user_id: int) -> bool:
        return await self.notices.has_unshown(user_id)

    async def unshown_notices(self, user_id: int) -> list[Notice]:
        found = []
        for row in await self.notices.unshown(user_id):
            paused = False
            buttons: tuple[Button, ...] = ()
            try:
                body = json.loads(row.body)
                content = str(body["content"])
                if "buttons" in body:
                    buttons = Payload.from_json(row.body).buttons
                else:       # written before the outbox: which items, and so which buttons
                    buttons = item_buttons(
                        (str(i["kind"]), i.get("subject_id")) for i in body.get("items", []))
                paused = bool(body.get("paused", False))
            except (ValueError, KeyError, TypeError):
                content = row.body
            found.append(Notice(id=row.id, content=content, buttons=buttons, kind=row.kind,
                                subject_id=row.subject_id, paused=paused))
        return found

    async def mark_notice_shown(self, notice: Notice) -> None:
        """The member has seen it. A note of encouragement shown this way has reached them:
        it is marked delivered in the same transaction, so it never shows twice or stays
        'waiting' after they read it."""
        now = to_db(self.clock.now())
        async with self.db.transaction() as tx:
            await self.notices.mark_shown(tx, [notice.id], now)
            if notice.kind == ENCOURAGEMENT_NOTICE and notice.subject_id is not None:
                await self.encouragements.mark_delivered(tx, notice.subject_id, now)
