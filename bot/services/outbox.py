"""The one DM policy: every direct message Onward sends is decided here, whatever asks for it.

Each DM starts as a timer row (`enqueue`). When timers fall due, `plan` applies the care rules
per member and writes one outbox row per DM it decides to send (the claim) before anything is
sent; the adapter (bot/scheduling/outbox.py) sends it with the row's nonce and reports back:

- never in the member's quiet hours: everything waits for their end;
- lanes: Onward's own DMs (prompts, follow-ups, nudges) at most one a day, merged into one
  message; notes from people at most one DM every 3 hours, notes arriving meanwhile joining the
  next one; anything else (e.g. reports to a server owner) likewise at most one every 3 hours;
- every DM carries a way to pause it;
- a claimed DM whose outcome is unknown (timeout, 5xx, 429) is tried again later with the SAME
  nonce, so Discord keeps it to one message; until the lane's next allowed moment has passed,
  then it becomes a notice;
- DMs closed (or the member paused notes by DM): nothing goes to any channel; the message is
  kept as a notice and shown privately at their next command or button press.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import custom_ids
from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database, Transaction
from bot.db.repositories.encouragements import Encouragement, EncouragementRepository
from bot.db.repositories.member_settings import MemberSettings, MemberSettingsRepository
from bot.db.repositories.notices import ENCOURAGEMENT_NOTICE, NoticeRepository
from bot.db.repositories.outbox import OutboxRepository, OutboxRow
from bot.db.repositories.rejections import RejectionRepository
from bot.db.repositories.shares import ShareRepository
from bot.db.repositories.timers import ClaimLost, Timer, TimerRepository
from bot.services import text
from bot.services.dates import zone
from bot.services.personal import (
    DAY_STARTS,
    MAX_ITEMS,
    NOTICE_KIND,
    ONWARD_KINDS,
    Button,
    DueItem,
    Payload,
    PersonalDMService,
    next_allowed,
    next_nudge_due,
    render_batch,
)

log = logging.getLogger(__name__)

NOTE_KIND = "note"          # a note of encouragement; subject_id = encouragements row
OTHER_KIND = "dm"           # any other DM (body: JSON payload plus what it is)
DM_KINDS = (*ONWARD_KINDS, NOTE_KIND, OTHER_KIND)
LANES = {**{k: "onward" for k in ONWARD_KINDS}, NOTE_KIND: "notes", OTHER_KIND: "other"}
LANE_GAP = {"onward": timedelta(days=1), "notes": timedelta(hours=3),
            "other": timedelta(hours=3)}
# Notes wait this long before going, so notes sent in the same moment arrive as one DM.
NOTE_GATHER = timedelta(minutes=2)
# A claimed DM is looked at again after this if nothing was heard back (the process stopped).
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=30)
MESSAGE_LIMIT = 2000
NONCE_LENGTH = 25
PAUSE_NOTES_LABEL = "Pause notes by DM"
NOTES_FOOTER = "-# You can send one to someone else any time with /encourage."


def new_nonce() -> str:
    """A Discord nonce (at most 25 characters) that no other DM shares."""
    return ("dm" + secrets.token_hex(12))[:NONCE_LENGTH]


def pause_notes_button() -> Button:
    return Button(PAUSE_NOTES_LABEL, custom_ids.pause_notes())


@dataclass(frozen=True, slots=True)
class Claim:
    """A DM written to the outbox, to be sent (again) with its nonce."""
    id: int
    user_id: int
    lane: str
    nonce: str
    payload: Payload
    attempts: int = 0

    @classmethod
    def from_row(cls, row: OutboxRow) -> Claim:
        return cls(row.id, row.user_id, row.lane, row.nonce, Payload.from_json(row.payload),
                   row.attempts)


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** attempts), LONGEST_RETRY)


class OutboxService:
    def __init__(self, db: Database, clock: Clock, *,
                 escape: Callable[[str], str] = text.literal,
                 personal: PersonalDMService | None = None,
                 claimer: str | None = None) -> None:
        # claimer: this process's name on the rows it claims (several processes share them).
        self.db = db
        self.clock = clock
        self.escape = escape
        self.personal = personal or PersonalDMService(db, clock)
        self.timers = TimerRepository(db, claimer=claimer)
        self.outbox = OutboxRepository(db, claimer=claimer)
        self.settings = MemberSettingsRepository(db)
        self.notices = NoticeRepository(db)
        self.encouragements = EncouragementRepository(db)
        self.shares = ShareRepository(db)
        self.rejections = RejectionRepository(db)

    # Asking for a DM --------------------------------------------------------------------------

    async def enqueue(
        self, user_id: int, kind: str, *, subject_id: int | None = None,
        content: str | None = None, buttons: Iterable[Button] = (), about: str | None = None,
        due_at: datetime | None = None, tx: Transaction | None = None,
    ) -> int:
        """Ask for a DM to `user_id`; returns the timer id. Onward's own kinds
        (reflection_prompt, feedback_followup, personal_nudge) are rendered when they go out,
        from `subject_id`; a note ("note", subject_id = the encouragements row) and any other
        kind carry their `content` (and `buttons`, and for other kinds `about`, the short
        thing the DM is about, shown above it). `content` and `about` are shown as given:
        escape member text first (bot.formatting.inert). Nothing is sent here: the rules decide
        when. Raises ValueError for a note or other DM without content, and what the database
        raises."""
        now = self.clock.now()
        stored_kind = kind if kind in LANES else OTHER_KIND
        if stored_kind in (NOTE_KIND, OTHER_KIND) and not (content or "").strip():
            raise ValueError(f"a {kind!r} DM needs its content")
        body = None
        if stored_kind != kind or content is not None:
            body = json.dumps({"kind": kind, "about": about,
                               "payload": json.loads(Payload(content or "",
                                                             tuple(buttons)).to_json())})
        due_at = due_at or self.default_due(kind)
        values: dict = dict(user_id=user_id, kind=stored_kind, subject_id=subject_id,
                      due_at=to_db(due_at), created_at=to_db(now), body=body)
        if tx is not None:
            return await self.timers.add(tx, **values)
        async with self.db.transaction() as own:
            return await self.timers.add(own, **values)

    async def note_about(self, note: Encouragement) -> str | None:
        """"#3 Acme": the shared entry a note answers, for its recipient alone."""
        if note.share_id is None:
            return None
        share = await self.shares.get(note.share_id)
        entry = await self.rejections.get_owned(share.user_id, share.rejection_id) \
            if share is not None else None
        return f"#{entry.number} {self.escape(entry.company)}" if entry is not None else None

    def default_due(self, kind: str) -> datetime:
        """When a DM asked for now may go: notes gather a moment first, so notes sent together
        arrive as one DM."""
        now = self.clock.now()
        return now + NOTE_GATHER if kind == NOTE_KIND else now

    # Deciding what goes out -------------------------------------------------------------------

    async def plan(self, timers: list[Timer]) -> list[Claim]:
        """The DMs to send now for these due (claimed) timers, each already written to the
        outbox. Timers no longer wanted are cancelled; those held back by a rule are pending
        again at the moment they may go. Raises what the database raises."""
        now = self.clock.now()
        by_member: dict[int, list[Timer]] = defaultdict(list)
        for timer in timers:
            by_member[timer.user_id].append(timer)
        claims: list[Claim] = []
        for user_id, theirs in by_member.items():
            try:
                claims += await self._plan_member(user_id, theirs, now)
            except ClaimLost as lost:
                log.info("%s; left to it", lost)       # nothing of theirs was written here
        return claims

    async def _plan_member(self, user_id: int, timers: list[Timer], now: datetime) -> list[Claim]:
        prefs = await self.settings.get(user_id)
        local_now = now.astimezone(zone(prefs.timezone))
        allowed = next_allowed(local_now, prefs)
        if allowed != local_now:
            # Quiet hours: every DM waits for their end.
            async with self.db.transaction() as tx:
                for timer in timers:
                    await self.timers.reschedule(tx, timer.id, to_db(allowed))
            return []
        lanes: dict[str, list[Timer]] = defaultdict(list)
        for timer in timers:
            lanes[LANES.get(timer.kind, "other")].append(timer)
        claims = []
        if lanes["onward"]:
            claims += await self._plan_onward(prefs, lanes["onward"], now, local_now)
        for lane in ("notes", "other"):
            if lanes[lane]:
                claims += await self._plan_paced(prefs, lane, lanes[lane], now, local_now)
        return claims

    def _later(self, prefs: MemberSettings, moment: datetime) -> datetime:
        """`moment`, or the end of the quiet hours it falls in."""
        return next_allowed(moment.astimezone(zone(prefs.timezone)), prefs)

    @staticmethod
    def _tomorrow(local_now: datetime, prefs: MemberSettings) -> datetime:
        """When something held back by the one-a-day rule may go: tomorrow morning."""
        morning = datetime.combine(
            local_now.date() + timedelta(days=1), DAY_STARTS, tzinfo=local_now.tzinfo
        )
        return next_allowed(morning, prefs)

    async def _plan_onward(self, prefs: MemberSettings, timers: list[Timer], now: datetime,
                           local_now: datetime) -> list[Claim]:
        cancel: list[int] = []
        moves: dict[int, datetime] = {}
        items: list[DueItem] = []
        seen: set[tuple[str, int | None]] = set()
        for timer in sorted(timers, key=lambda t: (ONWARD_KINDS.index(t.kind), t.due_at, t.id)):
            if (timer.kind, timer.subject_id) in seen:
                cancel.append(timer.id)          # a duplicate of one already in this DM
                continue
            verdict = await self.personal.check(timer, prefs, now)
            if verdict is None:
                cancel.append(timer.id)
            elif isinstance(verdict, datetime):
                moves[timer.id] = self._later(prefs, verdict)
            else:
                seen.add((timer.kind, timer.subject_id))
                items.append(verdict)

        held_until = None
        if items and prefs.last_personal_dm_at and from_db(prefs.last_personal_dm_at).astimezone(
                local_now.tzinfo).date() == local_now.date():
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
                evening = next_nudge_due(held_until, prefs.timezone)
                moves[item.timer_id] = self._later(prefs, evening)

        async with self.db.transaction() as tx:
            await self.timers.cancel(tx, cancel)
            for timer_id, due in moves.items():
                await self.timers.reschedule(tx, timer_id, to_db(due))
            if not items:
                return []
            payload = self.personal_payload(items)
            claim = await self._claim(tx, prefs.user_id, "onward", payload,
                                      [i.timer_id for i in items], now)
            nudges = [i for i in items if i.kind == "personal_nudge"]
            if nudges:
                # Once a week: the next one is looked at a week from today's evening.
                await self.settings.mark_nudge(tx, prefs.user_id, nudges[0].text_index or 0,
                                               to_db(now))
                today = local_now.date()
                await self.timers.add(
                    tx, user_id=prefs.user_id, kind="personal_nudge", subject_id=None,
                    due_at=to_db(next_nudge_due(now, prefs.timezone,
                                                from_day=today + timedelta(days=7))),
                    created_at=to_db(now),
                )
        return [claim]

    def personal_payload(self, items: list[DueItem]) -> Payload:
        return render_batch(items, self.escape)

    async def _plan_paced(self, prefs: MemberSettings, lane: str, timers: list[Timer],
                          now: datetime, local_now: datetime) -> list[Claim]:
        """Notes (and other DMs): at most one DM every LANE_GAP, what arrives meanwhile
        joining the next one."""
        cancel: list[int] = []
        held: list[tuple[Timer, dict, str]] = []          # paused notes: shown as notices
        ready: list[tuple[Timer, dict]] = []
        for timer in sorted(timers, key=lambda t: (t.due_at, t.id)):
            body = json.loads(timer.body or "{}")
            if timer.kind == NOTE_KIND:
                note = await self.encouragements.get(timer.subject_id or 0)
                if note is None or note.delivered_at is not None:
                    cancel.append(timer.id)       # deleted meanwhile, or already shown
                    continue
                if not prefs.encouragement_dms:
                    held.append((timer, body["payload"], ENCOURAGEMENT_NOTICE))
                    continue
            ready.append((timer, body))
        last = prefs.last_dm_at(lane)
        wait_until = None
        if ready and last and now - from_db(last) < LANE_GAP[lane]:
            wait_until = self._later(prefs, from_db(last) + LANE_GAP[lane])
        async with self.db.transaction() as tx:
            await self.timers.cancel(tx, cancel)
            for timer, payload, kind in held:
                await self.notices.add(
                    tx, user_id=prefs.user_id, kind=kind, subject_id=timer.subject_id,
                    body=json.dumps({"content": payload["content"], "paused": True,
                                     "buttons": payload.get("buttons", [])}), at=to_db(now))
                await self.timers.mark_done(tx, [timer.id], to_db(now))
            if wait_until is not None:
                for timer, _ in ready:
                    await self.timers.reschedule(tx, timer.id, to_db(wait_until))
                return []
            if not ready:
                return []
            taken, rest = self._fit(ready)
            for timer, _ in rest:                 # too long for one message: the next one
                await self.timers.reschedule(
                    tx, timer.id, to_db(self._later(prefs, now + LANE_GAP[lane])))
            paced = self._paced_payload(lane, [body for _, body in taken])
            claim = await self._claim(tx, prefs.user_id, lane, paced,
                                      [t.id for t, _ in taken], now)
        return [claim]

    @staticmethod
    def _fit(ready: list[tuple[Timer, dict]]) -> tuple[list, list]:
        """As many as fit in one message (at least one)."""
        taken: list[tuple[Timer, dict]] = []
        size = 0
        for index, (timer, body) in enumerate(ready):
            length = len(body["payload"]["content"]) + 2
            if taken and size + length > MESSAGE_LIMIT - 200:
                return taken, ready[index:]
            taken.append((timer, body))
            size += length
        return taken, []

    @staticmethod
    def _paced_payload(lane: str, bodies: list[dict]) -> Payload:
        parts = [Payload.from_json(json.dumps(b["payload"])) for b in bodies]
        if lane == "notes":
            content = "\n\n".join(p.content for p in parts)
            if len(parts) > 1:
                content = f"{len(parts)} notes of encouragement for you:\n\n" + content
            # Each anonymous note keeps its own Report button; numbered when several share a DM.
            reports = [b for p in parts for b in p.buttons]
            if len(reports) > 1:
                reports = [Button(f"{b.label} note {n}", b.custom_id, b.primary, b.row)
                           for n, b in enumerate(reports, start=1)]
            return Payload(f"{content}\n\n{NOTES_FOOTER}"[:MESSAGE_LIMIT],
                           (pause_notes_button(), *reports[:24]))
        buttons: list[Button] = []
        for part in parts:
            buttons += [b for b in part.buttons if b not in buttons]
        # Each names what it is about, so the DM (or the notice it becomes) says so.
        texts = [f"**{b['about']}**\n{p.content}" if b.get("about") else p.content
                 for b, p in zip(bodies, parts, strict=True)]
        return Payload("\n\n".join(texts)[:MESSAGE_LIMIT], tuple(buttons[:25]))

    async def _claim(self, tx: Transaction, user_id: int, lane: str, payload: Payload,
                     timer_ids: list[int], now: datetime) -> Claim:
        """Write the DM before it is sent: its row, its timers done, the lane's pacing.
        Raises ClaimLost (undoing the transaction) when another process took a timer over."""
        nonce = new_nonce()
        outbox_id = await self.outbox.claim(
            tx, user_id=user_id, lane=lane, nonce=nonce, payload=payload.to_json(),
            next_try_at=to_db(now + LEASE), give_up_at=to_db(now + LANE_GAP[lane]),
            now=to_db(now))
        if await self.timers.mark_done(tx, timer_ids, to_db(now), outbox_id) != len(timer_ids):
            raise ClaimLost(f"timers {timer_ids} were taken over by another process")
        await self.settings.mark_dm(tx, user_id, lane, to_db(now))
        return Claim(outbox_id, user_id, lane, nonce, payload)

    # Retries ----------------------------------------------------------------------------------

    async def due_retries(self) -> list[Claim]:
        """Claimed DMs to try again now (same nonce), taken by this process for LEASE."""
        now = self.clock.now()
        rows = await self.outbox.due_retries(to_db(now), to_db(now + LEASE))
        return [Claim.from_row(r) for r in rows]

    async def next_retry_at(self) -> datetime | None:
        earliest = await self.outbox.next_retry_at()
        return from_db(earliest) if earliest else None

    async def after_restart(self) -> None:
        """DMs a stopped process had claimed are tried again now, with their nonce."""
        await self.outbox.retry_claimed_now(to_db(self.clock.now()))

    # Outcomes ---------------------------------------------------------------------------------

    async def sent(self, claim: Claim, message_id: int | None) -> None:
        """It reached Discord. Notes in it are delivered. Raises what the database raises (the
        adapter then keeps it in mind and never sends it again)."""
        now = to_db(self.clock.now())
        notes = await self._note_timers(claim.id)
        async with self.db.transaction() as tx:
            if not await self.outbox.mark_sent(tx, claim.id, message_id, now):
                return          # another process took it over and settles it
            for timer in notes:
                await self.encouragements.mark_delivered(tx, timer.subject_id or 0, now)

    async def try_again(self, claim: Claim, reason: str) -> bool:
        """The outcome is unknown or the failure passing: tried again later with the same
        nonce. False when the lane's next allowed moment would have passed: it became a notice
        instead."""
        row = await self.outbox.get(claim.id)
        if row is None or row.status != "claimed":
            return False
        at = self.clock.now() + retry_delay(row.attempts)
        if at > from_db(row.give_up_at):
            await self.undeliverable(claim, f"gave up: {reason}")
            return False
        async with self.db.transaction() as tx:
            await self.outbox.retry_at(tx, claim.id, to_db(at), reason)
        return True

    async def undeliverable(self, claim: Claim, reason: str) -> None:
        """DMs closed (or given up): kept as notices, shown at the member's next command or
        button press. Never posted in a channel."""
        now = to_db(self.clock.now())
        notes = await self._note_timers(claim.id) if claim.lane == "notes" else []
        async with self.db.transaction() as tx:
            if not await self.outbox.mark_notice(tx, claim.id, reason):
                return          # another process took it over and settles it
            if notes:
                # One notice per note, so deleting a sender's data finds theirs.
                for timer in notes:
                    body = json.loads(timer.body or "{}")
                    await self.notices.add(
                        tx, user_id=claim.user_id, kind=ENCOURAGEMENT_NOTICE,
                        subject_id=timer.subject_id, body=json.dumps(
                            {"content": body["payload"]["content"],
                             # an anonymous note keeps its Report
                             "buttons": body["payload"].get("buttons", [])}), at=now)
                return
            kind = NOTICE_KIND if claim.lane == "onward" else OTHER_KIND
            await self.notices.add(
                tx, user_id=claim.user_id, kind=kind, subject_id=claim.id,
                body=self._notice_body(claim), at=now)

    @staticmethod
    def _notice_body(claim: Claim) -> str:
        content = claim.payload.content
        if claim.lane == "onward":
            # The DM's intro and closing line are for a DM; the notice keeps the items.
            lines = content.split("\n")
            content = "\n".join(lines[2:-2]) if len(lines) > 4 else content
        return json.dumps({"content": content,
                           "buttons": json.loads(claim.payload.to_json())["buttons"]})

    async def _note_timers(self, outbox_id: int) -> list[Timer]:
        return await self.timers.carried_by(outbox_id, NOTE_KIND)
