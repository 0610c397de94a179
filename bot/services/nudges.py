"""Group nudges: when each one is due (slots) and posting each slot at most once.

A *slot* is one scheduled post of one kind in one server at one local date and time. Its key is
the local wall time as scheduled, "YYYY-MM-DDTHH:MM", and `deliveries` holds at most one row per
key, inserted before anything is posted. The scheduler only decides *when to look*; whether to
post is decided here, from the database, by `deliver_due`.

Daylight saving (zoneinfo):
- a local time that does not exist (the spring-forward gap, e.g. 02:30 in New York on the second
  Sunday of March) is posted at the first instant after the gap (03:00 local time);
- a local time that happens twice (the autumn overlap) is posted at its first occurrence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database
from bot.db.repositories.deliveries import DeliveryRepository, RotationRepository
from bot.db.repositories.digests import DigestRepository
from bot.db.repositories.group_stats import GroupStatsRepository
from bot.db.repositories.guild_config import GuildConfig, GuildConfigRepository
from bot.db.repositories.schedules import NudgeSchedule, ScheduleRepository
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.services import nudge_lines
from bot.services.dates import zone
from bot.services.text import literal

log = logging.getLogger(__name__)

KINDS = ("encouragement", "keep-applying", "digest")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Written when a server is set up, in its timezone.
DEFAULT_SCHEDULES = {
    "keep-applying": ("mon", "09:00"),
    "encouragement": ("thu", "12:00"),
    "digest": ("fri", "17:00"),
}

_DAY_WORDS = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{full: i for i, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}
_DAY_SETS = {
    "daily": range(7), "everyday": range(7), "every day": range(7),
    "weekdays": range(5), "weekends": (5, 6), "weekend": (5, 6),
}
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(?:(a|p)\.?\s*m\.?)?$", re.IGNORECASE)
DAYS_HELP = "Use day names like mon,wed,fri, or daily or weekdays."
TIME_HELP = "Use HH:MM like 09:00 or 17:30, or 9am or 9:30 pm."


# Schedules as admins type them -------------------------------------------------------------

def parse_days(text: str) -> str:
    """'Mon, wed fri' → 'mon,wed,fri'; 'daily' and 'weekdays' expand. Always Monday first."""
    value = " ".join(text.lower().split())
    if not value:
        raise InvalidInput(f"Please give the days. {DAYS_HELP}")
    if value in _DAY_SETS:
        return ",".join(DAY_NAMES[i] for i in _DAY_SETS[value])
    found: set[int] = set()
    for word in re.split(r"[,\s/;]+", value):
        if not word:
            continue
        if word in _DAY_SETS:
            found.update(_DAY_SETS[word])
        elif word in _DAY_WORDS:
            found.add(_DAY_WORDS[word])
        else:
            raise InvalidInput(f"I don't know the day “{literal(word, 20)}”. {DAYS_HELP}")
    if not found:
        raise InvalidInput(f"Please give the days. {DAYS_HELP}")
    return ",".join(DAY_NAMES[i] for i in sorted(found))


def parse_time(text: str) -> str:
    """'9:00' → '09:00', '9am' → '09:00', '9:30 pm' → '21:30', '21:00' → '21:00'."""
    match = _TIME.match(text.strip())
    if not match or (match.group(2) is None and match.group(3) is None):
        raise InvalidInput(f"I couldn't read the time “{literal(text, 20)}”. {TIME_HELP}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) is not None:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"{literal(text.strip(), 20)} is not a time of day. {TIME_HELP}")
        hour = hour % 12 + (12 if match.group(3).lower() == "p" else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{text.strip()} is not a time of day. {TIME_HELP}")
    return f"{hour:02d}:{minute:02d}"


def weekdays_of(days: str) -> frozenset[int]:
    return frozenset(DAY_NAMES.index(d) for d in days.split(",") if d in DAY_NAMES)


def describe_days(days: str) -> str:
    chosen = weekdays_of(days)
    if chosen == frozenset(range(7)):
        return "daily"
    if chosen == frozenset(range(5)):
        return "weekdays"
    return ", ".join(DAY_NAMES[i].capitalize() for i in sorted(chosen))


# Slots: pure functions of the schedule and an instant --------------------------------------

@dataclass(frozen=True, slots=True)
class Slot:
    key: str           # local "YYYY-MM-DDTHH:MM" as scheduled
    at: datetime       # the UTC instant it is posted


def _exists(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time (first occurrence), or None inside a gap."""
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return instant if instant.astimezone(tz).replace(tzinfo=None) == wall else None


def slot_on(day: date, hhmm: str, tz: ZoneInfo) -> Slot:
    hour, minute = (int(p) for p in hhmm.split(":"))
    wall = datetime.combine(day, time(hour, minute))
    key = wall.strftime("%Y-%m-%dT%H:%M")
    instant = _exists(wall, tz)
    probe = wall
    # Spring gap: the first minute that exists after it is the moment the clocks jumped.
    for _ in range(24 * 60):
        if instant is not None:
            break
        probe += timedelta(minutes=1)
        instant = _exists(probe, tz)
    assert instant is not None, f"no valid local time after {wall} in {tz}"
    return Slot(key=key, at=instant)


def _candidates(days: str, hhmm: str, tz: ZoneInfo, around: date, span: Iterable[int]):
    chosen = weekdays_of(days)
    if not chosen:
        raise InvalidInput(f"A schedule needs at least one day. {DAYS_HELP}")
    for offset in span:
        day = around + timedelta(days=offset)
        if day.weekday() in chosen:
            yield slot_on(day, hhmm, tz)


def next_slot(days: str, hhmm: str, timezone: str, instant: datetime) -> Slot:
    """The first slot strictly after `instant`."""
    tz = zone(timezone)
    today = instant.astimezone(tz).date()
    return next(s for s in _candidates(days, hhmm, tz, today, range(-1, 9)) if s.at > instant)


def previous_slot(days: str, hhmm: str, timezone: str, instant: datetime) -> Slot:
    """The most recent slot at or before `instant`."""
    tz = zone(timezone)
    today = instant.astimezone(tz).date()
    return next(s for s in _candidates(days, hhmm, tz, today, range(1, -9, -1)) if s.at <= instant)


# Posting ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NudgePost:
    """What a group post says; the Discord side turns it into an embed. `nonce` (from the
    delivery row) makes a repeated send of the same post return the first message."""
    kind: str
    title: str
    description: str
    footer: str | None = None
    thanked: tuple[int, ...] = ()     # members a digest thanks by name (kept with its message id)
    nonce: str | None = None

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "title": self.title,
                           "description": self.description, "footer": self.footer,
                           "thanked": list(self.thanked)})

    @classmethod
    def from_json(cls, text: str) -> NudgePost:
        fields = json.loads(text)
        fields["thanked"] = tuple(fields.get("thanked", ()))
        return cls(**fields)


class ChannelUnavailable(Exception):
    """The support channel is gone or the bot may no longer post there: pause the server."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PostFailed(Exception):
    """A post Discord did not take. `retryable` (429, 5xx, timeouts, dropped connections): try
    again later, until the slot's grace window closes; otherwise it is final. `maybe_posted`:
    Discord may have created the message all the same. `tries`: sends made."""

    def __init__(self, reason: str, *, retryable: bool = True, maybe_posted: bool = False,
                 tries: int = 1) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.maybe_posted = maybe_posted
        self.tries = tries


class _Taken(Exception):
    """The slot was claimed by someone else in the meantime."""


# Posts a NudgePost to a channel id and returns the message id.
Poster = Callable[[int, NudgePost], Awaitable[int]]
# Ids of the bot's latest messages in a channel that say what the post says, newest first.
Finder = Callable[[int, NudgePost], Awaitable[list[int]]]

# Discord returns the first message for a repeated nonce for a few minutes (about 5); past
# this, a send whose earlier outcome is unknown is checked against the channel first.
NONCE_WINDOW = timedelta(minutes=4)
RETRY_FIRST = timedelta(seconds=15)
RETRY_MAX = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after `attempts` sends: 15 s, 30 s, 60 s, then every 2 minutes."""
    rounds = max(0, attempts - 1) // 4
    return min(RETRY_FIRST * (2 ** min(rounds, 8)), RETRY_MAX)


def nonce_for(delivery_id: int, guild_id: int, kind: str, slot: str) -> str:
    """Stable for one delivery row, across retries and restarts; at most 25 characters."""
    tag = hashlib.sha1(f"{guild_id}:{kind}:{slot}".encode()).hexdigest()[:6]
    return f"o{delivery_id}.{tag}"[:25]


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str            # posted | skipped | failed | paused | idle | retrying
    slot: str | None = None
    message_id: int | None = None
    detail: str | None = None
    retry_at: datetime | None = None      # for `retrying`: when the next try is due


class NudgeService:
    def __init__(
        self, db: Database, clock: Clock, *, grace_minutes: int = 60,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.grace = timedelta(minutes=grace_minutes)
        self.rng = rng or random.Random()
        self.configs = GuildConfigRepository(db)
        self.schedules = ScheduleRepository(db)
        self.deliveries = DeliveryRepository(db)
        self.rotation = RotationRepository(db)
        self.stats = GroupStatsRepository(db)
        self._sending: set[int] = set()     # delivery rows with a send under way here

    async def _active(self, guild_id: int, kind: str) -> tuple[GuildConfig, NudgeSchedule] | None:
        config = await self.configs.get(guild_id)
        if config is None or config.support_channel_id is None or config.paused_reason:
            return None
        schedule = await self.schedules.get(guild_id, kind)
        if schedule is None or not schedule.enabled:
            return None
        return config, schedule

    async def scheduled(self) -> list[tuple[int, str]]:
        """Every (guild, kind) that has a schedule row, whatever its state."""
        return [(s.guild_id, s.kind) for s in await self.schedules.all()]

    async def plan_start(self) -> tuple[list[tuple[int, str]], dict[tuple[int, str], Slot]]:
        """What a start-up does for every (guild, kind), decided from two bulk reads instead
        of a few queries per pair (10,000 servers have 30,000 pairs). Returns the pairs whose
        most recent slot came after the last edit and has no deliveries row, for which
        `deliver_due` may post or record a skip, and the next slot of every other active pair,
        for which it would do nothing. Inactive pairs (no channel, paused, disabled) need
        neither. The rules are deliver_due's and next_run's."""
        now = self.clock.now()
        active = await self.schedules.active_with_timezone()
        # Most servers share a few (days, time, timezone) combinations: work each out once.
        previous: dict[tuple[str, str, str], Slot] = {}
        following: dict[tuple[str, str, str], Slot] = {}
        latest: dict[tuple[int, str], str] = {}
        for s, timezone in active:
            when = (s.days, s.time, timezone)
            if when not in previous:
                previous[when] = previous_slot(s.days, s.time, timezone, now)
            slot = previous[when]
            if slot.at > from_db(s.updated_at):
                latest[(s.guild_id, s.kind)] = slot.key
        claimed = await self.deliveries.existing([(g, k, key) for (g, k), key in latest.items()])
        check = [(g, k) for (g, k), key in latest.items() if (g, k, key) not in claimed]
        waiting = set(check)
        upcoming: dict[tuple[int, str], Slot] = {}
        for s, timezone in active:
            if (s.guild_id, s.kind) in waiting:
                continue
            when = (s.days, s.time, timezone)
            if when not in following:
                following[when] = next_slot(s.days, s.time, timezone, now)
            upcoming[(s.guild_id, s.kind)] = following[when]
        return check, upcoming

    async def next_run(self, guild_id: int, kind: str) -> Slot | None:
        """The next slot to wake up for; None when nothing will be posted (not set up, paused,
        disabled)."""
        active = await self._active(guild_id, kind)
        if active is None:
            return None
        config, schedule = active
        return next_slot(schedule.days, schedule.time, config.timezone, self.clock.now())

    async def deliver_due(
        self, guild_id: int, kind: str, post: Poster, *, why_late: str | None = None
    ) -> Outcome:
        """Post the most recent slot at or before now if it is inside the grace window and not
        yet claimed; record it as skipped if it is older (`why_late` joins the reason). Used by
        the jobs when they fire and by the catch-up at start, so both behave the same. Raises
        StorageUnavailable when the database refuses the claim: nothing is posted then, and the
        caller tries again."""
        active = await self._active(guild_id, kind)
        if active is None:
            return Outcome("idle")
        config, schedule = active
        now = self.clock.now()
        slot = previous_slot(schedule.days, schedule.time, config.timezone, now)
        if slot.at <= from_db(schedule.updated_at):
            # Due before the schedule was last set: editing never causes a catch-up post.
            return Outcome("idle", slot.key)
        if await self.deliveries.get(guild_id, kind, slot.key) is not None:
            return Outcome("idle", slot.key)
        late = now - slot.at
        if late > self.grace:
            detail = f"missed by {_minutes(late)} (grace {_minutes(self.grace)})"
            if why_late:
                detail += f": {why_late}"
            async with self.db.transaction() as tx:
                claimed = await self.deliveries.claim(
                    tx, guild_id=guild_id, kind=kind, slot=slot.key, status="skipped",
                    now=to_db(now), detail=detail,
                )
            if claimed is None:
                return Outcome("idle", slot.key)
            log.warning("skipped %s nudge for guild %s slot %s: %s", kind, guild_id, slot.key,
                        detail)
            return Outcome("skipped", slot.key, detail=detail)

        # Totals are read before claiming, so nothing can fail between the claim and the post.
        content = None
        if kind != "encouragement":
            content = await self.compose(guild_id, kind, config.timezone)
        deadline = slot.at + self.grace
        try:
            async with self.db.transaction() as tx:
                line = await self._take_line(tx, guild_id, kind, now)
                if content is None:
                    content = self._line_post(kind, line)
                delivery_id = await self.deliveries.claim(
                    tx, guild_id=guild_id, kind=kind, slot=slot.key, status="sending",
                    now=to_db(now), payload=content.to_json(), deadline=to_db(deadline),
                )
                if delivery_id is None:
                    raise _Taken        # rolls back the line taken for it
        except _Taken:
            return Outcome("idle", slot.key)       # someone else has this slot
        return await self._send(config, content, post, delivery_id=delivery_id, key=slot.key,
                                deadline=deadline)

    async def post_now(self, guild_id: int, kind: str, post: Poster) -> Outcome:
        """An extra post on request: claimed in a row of its own (retried like a slot's post),
        never under a scheduled slot's key, so it uses up no slot."""
        if kind not in KINDS:
            raise InvalidInput(f"Kind must be one of: {', '.join(KINDS)}.")
        config = await self.configs.get(guild_id)
        if config is None or config.support_channel_id is None:
            raise NotFound("This server has no support channel yet. Start with /support setup.")
        if config.paused_reason:
            raise NotAllowed(
                f"Group nudges are paused: {config.paused_reason}. Fix it, then run "
                "/support setup to resume."
            )
        now = self.clock.now()
        content = None
        if kind != "encouragement":
            content = await self.compose(guild_id, kind, config.timezone)
        # A row of its own (never a scheduled slot's key), so it is retried like one.
        key = f"now:{to_db(now)}:{self.rng.getrandbits(32):08x}"
        deadline = now + self.grace
        async with self.db.transaction() as tx:
            line = await self._take_line(tx, guild_id, kind, now)
            if content is None:
                content = self._line_post(kind, line)
            delivery_id = await self.deliveries.claim(
                tx, guild_id=guild_id, kind=kind, slot=key, status="sending", now=to_db(now),
                payload=content.to_json(), deadline=to_db(deadline),
            )
        assert delivery_id is not None
        return await self._send(config, content, post, delivery_id=delivery_id, key=key,
                                deadline=deadline)

    def _line_post(self, kind: str, line: int | None) -> NudgePost:
        assert kind == "encouragement" and line is not None
        return encouragement_post(line)

    async def _take_line(self, tx, guild_id: int, kind: str, now: datetime) -> int | None:
        if kind != "encouragement":
            return None
        return await self.rotation.take(
            tx, guild_id, len(nudge_lines.ENCOURAGEMENT_LINES), self.rng, to_db(now)
        )

    async def _send(
        self, config: GuildConfig, content: NudgePost, post: Poster, *,
        delivery_id: int, key: str, deadline: datetime, attempts: int = 0,
        created_at: datetime | None = None,
    ) -> Outcome:
        """One round of sends of a claimed post, and what it led to, recorded in its row."""
        assert config.support_channel_id is not None
        slot = None if key.startswith("now:") else key
        nonce = nonce_for(delivery_id, config.guild_id, content.kind, key)
        held = delivery_id not in self._sending
        self._sending.add(delivery_id)
        try:
            message_id = await post(config.support_channel_id, replace(content, nonce=nonce))
        except ChannelUnavailable as gone:
            now = to_db(self.clock.now())
            async with self.db.transaction() as tx:
                await self.deliveries.finish(tx, delivery_id, status="failed",
                                             detail=gone.reason, now=now)
                await self.configs.pause(tx, config.guild_id, gone.reason, now)
            log.warning("paused nudges for guild %s: %s", config.guild_id, gone.reason)
            return Outcome("paused", slot, detail=gone.reason)
        except PostFailed as failed:
            return await self._failed_round(config, content, delivery_id, slot, deadline,
                                            attempts + failed.tries, failed, created_at)
        finally:
            if held:
                self._sending.discard(delivery_id)
        # Anything else leaves the row 'sending' with no retry time: the next sweep sends it
        # again with the same nonce, which returns this message if it went out.
        async with self.db.transaction() as tx:
            await self.deliveries.finish(tx, delivery_id, status="posted",
                                         message_id=message_id, now=to_db(self.clock.now()))
            if content.thanked:
                # Kept so a member who deletes their data can have their name taken out.
                await DigestRepository.record(
                    tx, message_id=message_id, guild_id=config.guild_id,
                    channel_id=config.support_channel_id, title=content.title,
                    description=content.description, footer=content.footer,
                    thanked=content.thanked, now=to_db(self.clock.now()),
                )
        return Outcome("posted", slot, message_id=message_id)

    async def _failed_round(
        self, config: GuildConfig, content: NudgePost, delivery_id: int, slot: str | None,
        deadline: datetime, attempts: int, failed: PostFailed, created_at: datetime | None,
    ) -> Outcome:
        now = self.clock.now()
        reason = str(failed)[:300]
        retry_at = now + retry_delay(attempts)
        if failed.retryable and retry_at <= deadline:
            async with self.db.transaction() as tx:
                await self.deliveries.attempted(
                    tx, delivery_id, attempts=attempts, next_attempt_at=to_db(retry_at),
                    maybe_posted=failed.maybe_posted, detail=reason)
            log.warning("the %s post for guild %s failed (%s); try %d again at %s",
                        content.kind, config.guild_id, reason, attempts + 1,
                        retry_at.strftime("%H:%M:%S UTC"))
            return Outcome("retrying", slot, detail=reason, retry_at=retry_at)
        if not failed.retryable:
            # Final, and already logged with its route where Discord answered.
            async with self.db.transaction() as tx:
                await self.deliveries.finish(tx, delivery_id, status="failed", detail=reason,
                                             now=to_db(now))
            return Outcome("failed", slot, detail=reason)
        return await self._give_up(config.guild_id, content.kind, delivery_id, slot,
                                   attempts, reason, created_at or now)

    async def _give_up(
        self, guild_id: int, kind: str, delivery_id: int, slot: str | None, attempts: int,
        reason: str, since: datetime,
    ) -> Outcome:
        now = self.clock.now()
        spent = _minutes(max(now - since, timedelta(0)))
        detail = f"gave up after {_plural(attempts, 'try', 'tries')} over {spent}: {reason}"
        async with self.db.transaction() as tx:
            await self.deliveries.finish(tx, delivery_id, status="failed", detail=detail[:500],
                                         now=to_db(now))
        log.error("the %s post for guild %s (%s) was not posted: %s", kind, guild_id,
                  slot or "nudge-now", detail)
        return Outcome("failed", slot, detail=detail)

    # Retries ----------------------------------------------------------------------------------

    async def due_retries(self, serves: Callable[[int], bool] | None = None) -> list[int]:
        """Claimed posts to send again now: their retry time has come, or no send of theirs is
        under way (the bot stopped mid-send, or a send ended in something unexpected). Only
        servers `serves(guild_id)` accepts (a process's shards), when given."""
        now = to_db(self.clock.now())
        return [d.id for d in await self.deliveries.unfinished()
                if d.id not in self._sending
                and (serves is None or serves(d.guild_id))
                and (d.next_attempt_at is None or d.next_attempt_at <= now)]

    async def retry(self, delivery_id: int, post: Poster, find: Finder) -> Outcome:
        """Send a claimed post again, unless its window has closed (then give up, in one log
        line and the row), the server was paused meanwhile, or it turns out to be posted."""
        if delivery_id in self._sending:
            return Outcome("idle")          # a send of it is under way here
        self._sending.add(delivery_id)
        try:
            return await self._retry(delivery_id, post, find)
        finally:
            self._sending.discard(delivery_id)

    async def _retry(self, delivery_id: int, post: Poster, find: Finder) -> Outcome:
        row = await self.deliveries.by_id(delivery_id)
        if row is None or row.status != "sending" or row.deadline is None:
            return Outcome("idle")
        slot = None if row.slot.startswith("now:") else row.slot
        now = self.clock.now()
        created = from_db(row.created_at)
        if now > from_db(row.deadline):
            return await self._give_up(row.guild_id, row.kind, row.id, slot, row.attempts,
                                       row.detail or "no answer from Discord", created)
        config = await self.configs.get(row.guild_id)
        if config is None or config.support_channel_id is None or config.paused_reason:
            why = (config.paused_reason if config else None) or "the server has no support channel"
            return await self._give_up(row.guild_id, row.kind, row.id, slot, row.attempts,
                                       f"group nudges are paused ({why})", created)
        content = NudgePost.from_json(row.payload or "{}")
        deadline = from_db(row.deadline)
        # A send with no recorded outcome (the bot stopped during it) may have posted.
        maybe_posted = row.maybe_posted or row.next_attempt_at is None
        if maybe_posted and now - created > NONCE_WINDOW:
            # Too late for the nonce to catch a double post: look in the channel first.
            try:
                same = await find(config.support_channel_id, content)
            except PostFailed as failed:        # Discord didn't answer: look again later
                return await self._failed_round(config, content, row.id, slot, deadline,
                                                row.attempts, failed, created)
            except Exception as exc:  # noqa: BLE001 - can't tell: don't risk a second post
                return await self._give_up(
                    row.guild_id, row.kind, row.id, slot, row.attempts,
                    f"it may have been posted and I couldn't check the channel ({exc})", created)
            # One already recorded for another slot (last week's twin) doesn't count.
            known = await self.deliveries.known_messages(same)
            found = next((m for m in same if m not in known), None)
            if found is not None:
                async with self.db.transaction() as tx:
                    await self.deliveries.finish(tx, row.id, status="posted", message_id=found,
                                                 now=to_db(now))
                return Outcome("posted", slot, message_id=found)
        return await self._send(config, content, post, delivery_id=row.id, key=row.slot,
                                deadline=deadline, attempts=row.attempts, created_at=created)

    async def problems(self, guild_id: int, days: int = 7):
        """Posts being retried, and those missed in the last `days` days, newest first."""
        since = to_db(self.clock.now() - timedelta(days=days))
        return await self.deliveries.problems(guild_id, since)

    # What each kind says ------------------------------------------------------------------

    async def compose(
        self, guild_id: int, kind: str, timezone: str, line: int | None = None
    ) -> NudgePost:
        if kind == "encouragement":
            index = line if line is not None else self.rng.randrange(
                len(nudge_lines.ENCOURAGEMENT_LINES))
            return encouragement_post(index)
        today = self.clock.now().astimezone(zone(timezone)).date()
        if kind == "keep-applying":
            monday = today - timedelta(days=today.weekday())
            effort = await self.stats.week_effort(
                guild_id, monday.isoformat(), (monday + timedelta(days=6)).isoformat()
            )
            turn = await self._keep_applying_turn(guild_id)
            return keep_applying_post(effort.applications, effort.members_at_goal, monday, turn)
        if kind == "digest":
            totals = await self.stats.digest(
                guild_id, since=to_db(self.clock.now() - timedelta(days=7)),
                first_day=(today - timedelta(days=6)).isoformat(), last_day=today.isoformat(),
            )
            return digest_post(totals, today - timedelta(days=6), today)
        raise InvalidInput(f"Kind must be one of: {', '.join(KINDS)}.")

    async def _keep_applying_turn(self, guild_id: int) -> int:
        """A keep-applying wording this server has not seen in the last four weeks (the least
        recently seen when every one has). Read from the posts themselves, so it holds across
        restarts."""
        since = to_db(self.clock.now() - KEEP_APPLYING_NO_REPEAT)
        pool = nudge_lines.KEEP_APPLYING_LINES
        last_seen: dict[int, str] = {}
        for delivery in await self.deliveries.for_guild(guild_id):
            if delivery.kind != "keep-applying" or not delivery.payload:
                continue
            description = NudgePost.from_json(delivery.payload).description
            for i, wording in enumerate(pool):
                if wording in description:
                    last_seen[i] = max(last_seen.get(i, ""), delivery.created_at)
        fresh = [i for i in range(len(pool)) if last_seen.get(i, "") < since]
        if fresh:
            return self.rng.choice(fresh)
        return min(range(len(pool)), key=lambda i: last_seen[i])


KEEP_APPLYING_NO_REPEAT = timedelta(weeks=4)


def encouragement_post(line: int) -> NudgePost:
    """An encouragement line; its footer varies with the line, so consecutive posts (which
    never share a line) rarely end the same way."""
    return NudgePost(
        kind="encouragement", title=nudge_lines.ENCOURAGEMENT_TITLE,
        description=nudge_lines.ENCOURAGEMENT_LINES[line],
        footer=nudge_lines.footer_for(nudge_lines.ENCOURAGEMENT_FOOTERS, line),
    )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _minutes(delta: timedelta) -> str:
    return _plural(int(delta.total_seconds() // 60), "minute")


def keep_applying_post(applications: int, members_at_goal: int, monday: date,
                       turn: int = 0) -> NudgePost:
    """This week's group effort, with the days it covers; never names anyone. A quiet week
    gets a warm sentence instead of a zero."""
    lines = nudge_lines
    sunday = monday + timedelta(days=6)
    if applications == 0:
        body = lines.KEEP_APPLYING_QUIET.format(days=lines.day_range(monday, sunday))
    else:
        key = (lines.plural_form(applications),
               lines.plural_form(members_at_goal) if members_at_goal else None)
        count = lines.KEEP_APPLYING_COUNT[key].format(
            period=lines.week_period(monday, sunday), applications=applications,
            members=members_at_goal)
        body = count + "\n" + lines.KEEP_APPLYING_LINES[turn % len(lines.KEEP_APPLYING_LINES)]
    return NudgePost(kind="keep-applying", title=lines.KEEP_APPLYING_TITLE, description=body,
                     footer=lines.footer_for(lines.KEEP_APPLYING_FOOTERS, turn))


def digest_post(totals, first_day: date, last_day: date) -> NudgePost:
    """Group totals only, one line per kind of effort that happened (no zero lines); names
    appear only for members who shared with their name here (a rejection, or their good
    news)."""
    counts = {
        "applications": totals.applications, "reflections": totals.reflections,
        "feedback_requests": totals.feedback_requests,
        "shared_rejections": totals.shared_rejections, "interviews": totals.interviews,
        "offers": totals.offers,
    }
    named = tuple(totals.named_sharers) + tuple(
        uid for uid in totals.named_winners if uid not in totals.named_sharers)
    if any(counts.values()):
        lines = [nudge_lines.DIGEST_INTRO.format(
            period=nudge_lines.last_days_period(first_day, last_day))]
        lines += [nudge_lines.plural(count, nudge_lines.DIGEST_LINES[name])
                  for name, count in counts.items() if count]
        if named:
            lines += ["", thanks_line(named)]
        lines += ["", nudge_lines.DIGEST_CLOSE]
    else:
        lines = [nudge_lines.DIGEST_QUIET.format(
            days=nudge_lines.day_range(first_day, last_day))]
        if named:
            lines += ["", thanks_line(named)]
    turn = first_day.toordinal() // 7
    return NudgePost(kind="digest", title=nudge_lines.DIGEST_TITLE, description="\n".join(lines),
                     footer=nudge_lines.footer_for(nudge_lines.DIGEST_FOOTERS, turn),
                     thanked=named)


THANKS_OPENING = "Thank you for showing up openly this week: "


def thanks_line(user_ids) -> str:
    return THANKS_OPENING + ", ".join(f"<@{uid}>" for uid in user_ids) + "."


def digest_without(description: str, user_id: int) -> str:
    """A digest's text with one member's name taken out of its thanks (the line goes when
    nobody is left in it)."""
    lines = description.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(THANKS_OPENING):
            kept = [int(u) for u in re.findall(r"<@(\d+)>", line) if int(u) != user_id]
            if kept:
                lines[i] = thanks_line(kept)
            else:
                del lines[i]
                if i > 0 and not lines[i - 1]:
                    del lines[i - 1]
            break
    return "\n".join(lines)
