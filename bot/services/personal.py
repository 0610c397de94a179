"""Personal DMs: reflection prompts, feedback follow-ups and personal nudges.

Timers are rows in `timers`. When some fall due, this service decides what a member actually
gets, following the care rules for all three kinds together:

- never in the member's quiet hours: what falls in them waits for their end;
- at most one personal DM per member per local day (`member_settings.last_personal_dm_at`);
  what falls due together is merged into that one message;
- a timer fires once: it is marked sent in the transaction that records the DM;
- a DM that cannot be delivered (DMs closed) becomes a pending notice, shown privately the
  next time the member uses a command.

Reflection prompts are written when a rejection is logged, feedback follow-ups when "I sent it"
is pressed. Personal nudges are a daily chain: opting in writes one timer for the coming
evening (NUDGE_AT, member's timezone); each time it is looked at, it either goes out (and the
next evening's timer is written) or moves to the next evening. Opting out cancels it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

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
from bot.services.dates import zone
from bot.services.journal import JournalService

KIND_ORDER = ("reflection_prompt", "feedback_followup", "personal_nudge")
# A DM has room for five rows of buttons: one per item plus one for pausing.
MAX_ITEMS = 4
NUDGE_AT = time(18, 0)                          # local time a personal nudge is considered
DAY_STARTS = time(9, 0)                         # what waits for tomorrow goes in the morning
NO_NUDGE_AFTER_REJECTION = timedelta(hours=48)  # give people room after a no
RETRY_AFTER = timedelta(minutes=10)             # Discord hiccup: try that DM again later
REMIND_AGAIN_AFTER = timedelta(hours=24)
NOTICE_KIND = "personal_dm"


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


# What a DM is made of -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DueItem:
    timer_id: int
    kind: str
    subject_id: int | None
    entry: Rejection | None = None        # reflection prompts and feedback follow-ups
    requested_at: str | None = None       # feedback follow-ups: when the request was sent
    applications: int | None = None       # personal nudges: this week's count …
    goal: int | None = None               # … against the weekly goal


@dataclass(frozen=True, slots=True)
class Batch:
    """Everything one member gets in one DM."""
    user_id: int
    items: tuple[DueItem, ...]

    @property
    def timer_ids(self) -> list[int]:
        return [item.timer_id for item in self.items]

    @property
    def pauses(self) -> tuple[str, ...]:
        return pauses_for(item.kind for item in self.items)


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    content: str
    items: tuple[tuple[str, int | None], ...]     # (kind, subject_id): which buttons to show
    kind: str = NOTICE_KIND
    subject_id: int | None = None
    paused: bool = False          # held because the member paused these DMs, not closed them

    @property
    def pauses(self) -> tuple[str, ...]:
        return pauses_for(kind for kind, _ in self.items)


def pauses_for(kinds: Iterable[str]) -> tuple[str, ...]:
    """The settings a message offers to turn off, one per kind of message in it."""
    present = set(kinds)
    wanted = []
    if present & {"reflection_prompt", "feedback_followup"}:
        wanted.append("dm_prompts")
    if "personal_nudge" in present:
        wanted.append("personal_nudges")
    return tuple(wanted)


def notice_body(content: str, batch: Batch) -> str:
    return json.dumps({
        "content": content,
        "items": [{"kind": i.kind, "subject_id": i.subject_id} for i in batch.items],
    })


class PersonalDMService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
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

    # Deciding what goes out -------------------------------------------------------------------

    async def collect_due(self) -> list[Batch]:
        """The DMs to send now, one per member. Timers that are no longer needed are cancelled,
        and those held back by quiet hours or the one-a-day rule are moved to when they may go."""
        now = self.clock.now()
        by_member: dict[int, list[Timer]] = defaultdict(list)
        for timer in await self.timers.due(to_db(now)):
            by_member[timer.user_id].append(timer)
        batches = []
        for user_id, timers in by_member.items():
            batch = await self._decide(user_id, timers, now)
            if batch is not None:
                batches.append(batch)
        return batches

    async def _decide(self, user_id: int, timers: list[Timer], now: datetime) -> Batch | None:
        prefs = await self.settings.get(user_id)
        local_now = now.astimezone(zone(prefs.timezone))
        cancel: list[int] = []
        moves: dict[int, datetime] = {}
        items: list[DueItem] = []
        seen: set[tuple[str, int | None]] = set()

        for timer in sorted(timers, key=lambda t: (KIND_ORDER.index(t.kind), t.due_at, t.id)):
            if (timer.kind, timer.subject_id) in seen:
                cancel.append(timer.id)          # a duplicate of one already in this DM
                continue
            verdict = await self._check(timer, prefs, now)
            if verdict is None:
                cancel.append(timer.id)
            elif isinstance(verdict, datetime):
                moves[timer.id] = verdict
            else:
                seen.add((timer.kind, timer.subject_id))
                items.append(verdict)

        held_until = None
        if items:
            allowed = next_allowed(local_now, prefs)
            if allowed != local_now:
                held_until = allowed
            elif self._had_dm_today(prefs, local_now):
                held_until = self._tomorrow(local_now, prefs)
        waiting: list[DueItem] = []
        if held_until is not None:
            waiting, items = items, []
        elif len(items) > MAX_ITEMS:
            held_until = self._tomorrow(local_now, prefs)
            waiting, items = items[MAX_ITEMS:], items[:MAX_ITEMS]
        for item in waiting:
            assert held_until is not None
            moves[item.timer_id] = held_until
            if item.kind == "personal_nudge":
                # A nudge that has to wait goes at the next nudge hour, unless that is quiet.
                evening = next_nudge_due(held_until, prefs.timezone).astimezone(local_now.tzinfo)
                if not in_quiet_hours(evening, prefs.quiet_start, prefs.quiet_end):
                    moves[item.timer_id] = evening

        if cancel or moves:
            async with self.db.transaction() as tx:
                await self.timers.cancel(tx, cancel)
                for timer_id, due in moves.items():
                    await self.timers.reschedule(tx, timer_id, to_db(due))
        return Batch(user_id=user_id, items=tuple(items)) if items else None

    @staticmethod
    def _tomorrow(local_now: datetime, prefs: MemberSettings) -> datetime:
        """When something held back by the one-a-day rule may go: tomorrow morning."""
        morning = datetime.combine(
            local_now.date() + timedelta(days=1), DAY_STARTS, tzinfo=local_now.tzinfo
        )
        return next_allowed(morning, prefs)

    @staticmethod
    def _had_dm_today(prefs: MemberSettings, local_now: datetime) -> bool:
        if not prefs.last_personal_dm_at:
            return False
        last = from_db(prefs.last_personal_dm_at).astimezone(local_now.tzinfo)
        return last.date() == local_now.date()

    async def _check(
        self, timer: Timer, prefs: MemberSettings, now: datetime
    ) -> DueItem | datetime | None:
        """What a due timer amounts to: an item for the DM, a later time to look again, or None
        when it is no longer wanted."""
        if timer.kind == "reflection_prompt":
            entry = await self.rejections.get_owned(timer.user_id, timer.subject_id or 0)
            if entry is None or not prefs.dm_prompts:
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
                           requested_at=request.sent_at if request else None)
        if timer.kind == "personal_nudge":
            if not prefs.personal_nudges:
                return None
            return await self._nudge(timer, prefs, now)
        return None

    async def _nudge(
        self, timer: Timer, prefs: MemberSettings, now: datetime
    ) -> DueItem | datetime:
        """A nudge goes out only when the member is behind on their weekly goal and has not
        logged a rejection in the last 48 h; otherwise it looks again the next evening."""
        today = now.astimezone(zone(prefs.timezone)).date()
        look_again = next_nudge_due(now, prefs.timezone, from_day=today + timedelta(days=1))
        if not prefs.weekly_goal:
            return look_again
        latest = await self.rejections.latest(timer.user_id)
        if latest is not None and now - from_db(latest.created_at) < NO_NUDGE_AFTER_REJECTION:
            return look_again
        monday, sunday = week_of(today)
        done = await self.applications.count_between(
            timer.user_id, monday.isoformat(), sunday.isoformat()
        )
        if done >= applications_expected_by(prefs.weekly_goal, today):
            return look_again
        return DueItem(timer.id, timer.kind, None, applications=done, goal=prefs.weekly_goal)

    # Recording what happened -----------------------------------------------------------------

    async def record_delivered(self, batch: Batch) -> None:
        """The DM went out (or may have: one half sent at shutdown counts as sent)."""
        await self._record(batch, notice=None)

    async def record_undeliverable(self, batch: Batch, content: str) -> None:
        """DMs are closed: keep the message to show privately at the member's next command."""
        await self._record(batch, notice=notice_body(content, batch))

    async def _record(self, batch: Batch, notice: str | None) -> None:
        now = self.clock.now()
        prefs = await self.settings.get(batch.user_id)
        async with self.db.transaction() as tx:
            await self.timers.mark_sent(tx, batch.timer_ids, to_db(now))
            await self.settings.mark_personal_dm(tx, batch.user_id, to_db(now))
            if notice is not None:
                await self.notices.add(
                    tx, user_id=batch.user_id, kind=NOTICE_KIND, subject_id=None, body=notice,
                    at=to_db(now),
                )
            if any(item.kind == "personal_nudge" for item in batch.items):
                # Nudges are a daily chain: the next one is considered tomorrow evening.
                today = now.astimezone(zone(prefs.timezone)).date()
                await self.timers.add(
                    tx, user_id=batch.user_id, kind="personal_nudge", subject_id=None,
                    due_at=to_db(next_nudge_due(now, prefs.timezone,
                                                from_day=today + timedelta(days=1))),
                    created_at=to_db(now),
                )

    async def postpone(self, timer_ids: list[int], delay: timedelta = RETRY_AFTER) -> None:
        """Sending failed for a passing reason: try again a little later."""
        due = to_db(self.clock.now() + delay)
        async with self.db.transaction() as tx:
            for timer_id in timer_ids:
                await self.timers.reschedule(tx, timer_id, due)

    # The prompt's own buttons -----------------------------------------------------------------

    async def remind_tomorrow(
        self, user_id: int, rejection_id: int | str
    ) -> tuple[Rejection, datetime]:
        entry = await self.journal.get_entry(user_id, rejection_id)
        if await self.reflections.exists(user_id, entry.id):
            raise UserFacingError(
                f"You've already reflected on #{entry.id}; /reflect lets you add to it any time."
            )
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
            try:
                body = json.loads(row.body)
                content = str(body["content"])
                items = tuple(
                    (str(i["kind"]), i.get("subject_id")) for i in body.get("items", [])
                )
                paused = bool(body.get("paused", False))
            except (ValueError, KeyError, TypeError):
                content, items = row.body, ()
            found.append(Notice(id=row.id, content=content, items=items, kind=row.kind,
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
