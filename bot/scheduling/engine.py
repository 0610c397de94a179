"""The personal-timer engine: timers are rows; one scheduler job sleeps until the earliest is
due, claims what is due, hands each to the handler registered for its kind, and arms itself
again (at start too, so what fell due while the bot was down runs then).

Handlers:
- `register(kind, handler)`: `handler(timer)` runs one timer; when it returns the timer is done,
  when it raises the timer is tried again later (1, 2, 4 … 30 minutes).
- `register_group(kinds, handler)`: `handler(timers)` gets every due timer of those kinds at
  once and settles each itself (the outbox does, to merge a member's DMs).
- `add_sweep(next_due, sweep)`: work kept in other rows (the outbox's retries) that wakes the
  engine too: `next_due()` says when, `sweep()` does it.

Several processes may share the rows (each serving some of Discord's shards): a timer is
claimed by exactly one of them (`claimer`, a name per process) until its lease passes by the
bot's clock; a process that died leaves claims any other takes up once their lease has passed.
A process learns of timers another one added only by looking: when it is not the only one
(`sole=False`) it looks at least every `poll_seconds` real seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database, Transaction
from bot.db.repositories.timers import ClaimLost, Timer, TimerRepository

log = logging.getLogger(__name__)

JOB_ID = "onward:timers"
RETRY_AFTER_ERROR = timedelta(minutes=1)   # the run itself failed: don't spin
LONGEST_RETRY = timedelta(minutes=30)
SHUTDOWN_WAIT_SECONDS = 10
# Rows picked per claim (a member's other due timers come along); a run claims again until
# nothing is left, so processes sharing the rows each take a part of a big batch.
CLAIM_BATCH = 20
MOST_BATCHES_PER_RUN = 200
# Real seconds between looks for timers other processes added (with several processes only).
POLL_SECONDS = 15.0
# With several processes, a due row may be another's to take (a member it is deciding for):
# a run that claimed nothing looks again after this (real seconds) rather than at once.
IDLE_RECHECK = timedelta(seconds=1)

TimerHandler = Callable[[Timer], Awaitable[None]]
GroupHandler = Callable[[list[Timer]], Awaitable[None]]


def handler_retry(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * (2 ** attempts), LONGEST_RETRY)


def process_name() -> str:
    """A name no other process shares (host, pid, and a random part for a restart or a second
    bot in one process)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class TimerEngine:
    def __init__(self, db: Database, clock: Clock, scheduler: AsyncIOScheduler, *,
                 ready: Callable[[], Awaitable[object]] | None = None,
                 claimer: str | None = None, sole: bool = True,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.claimer = claimer or process_name()
        # sole: no other process shares the rows (claims left at start are stale).
        self.sole = sole
        self.poll_seconds = poll_seconds
        self.timers = TimerRepository(db, claimer=self.claimer)
        self._ready = ready
        self._single: dict[str, TimerHandler] = {}
        self._groups: dict[str, GroupHandler] = {}
        self._sweeps: list[tuple[Callable[[], Awaitable[datetime | None]],
                                 Callable[[], Awaitable[None]]]] = []
        self._running = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._started = False
        self._closing = False
        self._unreleased: dict[int, Timer] = {}     # claimed, failed, not yet handed back

    # Registration -----------------------------------------------------------------------------

    def register(self, kind: str, handler: TimerHandler) -> None:
        """Run timers of `kind` with `handler(timer)`; done when it returns, retried later when
        it raises."""
        self._single[kind] = handler

    def register_group(self, kinds: Iterable[str], handler: GroupHandler) -> None:
        """Give every due timer of these kinds to `handler(timers)` at once; it settles each."""
        for kind in kinds:
            self._groups[kind] = handler

    def add_sweep(self, next_due: Callable[[], Awaitable[datetime | None]],
                  sweep: Callable[[], Awaitable[None]]) -> None:
        self._sweeps.append((next_due, sweep))

    async def schedule(self, kind: str, *, due_at: datetime, user_id: int = 0,
                       subject_id: int | None = None, body: str | None = None,
                       tx: Transaction | None = None) -> int:
        """Add a timer of a registered kind (e.g. "share_post", subject_id = the share) and make
        sure the engine wakes for it; returns its id. Inside the caller's transaction `tx`, the
        caller calls `wake(due_at)` once it has committed. Raises what the database raises."""
        values: dict = dict(user_id=user_id, kind=kind, subject_id=subject_id, due_at=to_db(due_at),
                      created_at=to_db(self.clock.now()), body=body)
        if tx is not None:
            return await self.timers.add(tx, **values)
        async with self.db.transaction() as own:
            timer_id = await self.timers.add(own, **values)
        await self.wake(due_at)
        return timer_id

    # Life -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """The only process: timers a stopped process had taken are pending again (with
        several, they are taken up when their lease passes). Then arm (what fell due while
        the bot was down runs now)."""
        if self.sole:
            released = await self.timers.release_claims()
            if released:
                log.info("%d timers taken before a stop are pending again", released)
        self._started = True
        await self.arm()

    async def stop(self) -> None:
        """Stop taking work, then let a run in flight finish (a DM being sent is recorded)."""
        self._closing = True
        self._remove_job()
        task = self._task
        if task is None or task.done():
            return
        done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_WAIT_SECONDS)
        if not done:
            log.warning("a timer was still running after %ss; stopping it",
                        SHUTDOWN_WAIT_SECONDS)
            task.cancel()
            await asyncio.wait({task})

    def _remove_job(self) -> None:
        with contextlib.suppress(JobLookupError):  # nothing armed is fine
            self.scheduler.remove_job(JOB_ID)

    def _armed_by(self, due: datetime) -> bool:
        """Whether the job already wakes up no later than `due` (bot's clock)."""
        armed = self.scheduler.get_job(JOB_ID)
        run_at = datetime.now(UTC) + max(due - self.clock.now(), timedelta(0))
        return armed is not None and armed.next_run_time is not None and (
            armed.next_run_time <= run_at)

    async def next_due_at(self) -> datetime | None:
        found = []
        earliest = await self.timers.next_due_at()
        if earliest:
            found.append(from_db(earliest))
        for next_due, _ in self._sweeps:
            due = await next_due()
            if due is not None:
                found.append(due)
        return min(found) if found else None

    async def wake(self, due: datetime | None = None) -> None:
        """A timer was added (due at `due`, when known): make sure the job wakes up for it."""
        if due is not None and self._armed_by(due):
            return
        await self.arm()

    async def arm(self, not_before: timedelta = timedelta(0)) -> None:
        """Point the one job at the earliest pending work. The bot's clock may run ahead of
        the real one (the sandbox moves it), so the wait is measured on the bot's clock."""
        if self._closing or not self._started or not self.scheduler.running:
            return
        due = await self.next_due_at()
        poll_at = None if self.sole else datetime.now(UTC) + timedelta(seconds=max(
            self.poll_seconds, not_before.total_seconds()))
        if due is not None:
            run_at = datetime.now(UTC) + max(due - self.clock.now(), not_before, timedelta(0))
            if poll_at is not None:
                run_at = min(run_at, poll_at)   # rows other processes add are seen by looking
        elif poll_at is not None:
            run_at = poll_at
        else:
            self._remove_job()
            return
        armed = self.scheduler.get_job(JOB_ID)
        if (not not_before and armed is not None and armed.next_run_time is not None
                and armed.next_run_time <= run_at):
            return          # already wakes up in time; a run re-arms from the rows
        self.scheduler.add_job(
            self._start_run, "date", run_date=run_at, id=JOB_ID,
            replace_existing=True, misfire_grace_time=None, coalesce=True,
        )

    async def _start_run(self) -> None:
        # The work runs in a task of its own: stopping the scheduler cancels its jobs, and a
        # DM must never be cut off between being sent and being recorded.
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="timers")

    async def catch_up(self) -> None:
        """Run what is due by the bot's clock now, then re-arm: what a start does, but awaited
        (tests and the sandbox call it after moving the clock forward)."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)        # a run under way saw the clock before
        await self._start_run()
        if self._task is not None:
            await asyncio.shield(self._task)

    # A run ------------------------------------------------------------------------------------

    async def _run(self) -> None:
        retry = timedelta(0)
        async with self._running:
            if self._closing:
                return
            if self._ready is not None:
                await self._ready()
            try:
                claimed = await self._run_due()
                if not claimed and not self.sole:
                    retry = IDLE_RECHECK
            except Exception:
                log.exception("running due timers failed; trying again shortly")
                retry = RETRY_AFTER_ERROR
            for _, sweep in self._sweeps:
                if self._closing:
                    break
                try:
                    await sweep()
                except Exception:
                    log.exception("a timer sweep failed; trying again shortly")
                    retry = RETRY_AFTER_ERROR
        await self.arm(not_before=retry)

    async def _run_due(self) -> int:
        """Claim and run what is due, a batch at a time; returns how many timers it claimed."""
        if self._unreleased:
            await self._retry(list(self._unreleased.values()))
        claimed = 0
        for _ in range(MOST_BATCHES_PER_RUN):
            if self._closing:
                break
            due = await self.timers.claim_due(to_db(self.clock.now()), CLAIM_BATCH)
            if not due:
                break
            claimed += len(due)
            await self._handle(due)
        return claimed

    async def _handle(self, due: list[Timer]) -> None:
        groups: dict[GroupHandler, list[Timer]] = {}
        for timer in due:
            group = self._groups.get(timer.kind)
            if group is not None:
                groups.setdefault(group, []).append(timer)
                continue
            handler = self._single.get(timer.kind)
            if handler is None:
                log.warning("no handler for timer kind %r (timer %s)", timer.kind, timer.id)
                await self._retry([timer])
                continue
            try:
                await handler(timer)
            except Exception:
                log.exception("timer %s (%s) failed; trying again later", timer.id, timer.kind)
                await self._retry([timer])
            else:
                async with self.db.transaction() as tx:
                    await self.timers.mark_done(tx, [timer.id], to_db(self.clock.now()))
        for group, timers in groups.items():
            try:
                await group(timers)
            except ClaimLost as lost:
                log.info("%s; left to it", lost)
            except Exception:
                log.exception("timers %s failed; trying again later", [t.id for t in timers])
                await self._retry(timers)

    async def _retry(self, timers: list[Timer]) -> None:
        now = self.clock.now()
        try:
            async with self.db.transaction() as tx:
                for timer in timers:
                    await self.timers.retry_later(
                        tx, timer.id, to_db(now + handler_retry(timer.attempts)))
        except Exception:
            # The database refuses writes: they stay claimed (never run twice meanwhile)
            # and are handed back at the next run that can write.
            self._unreleased.update({t.id: t for t in timers})
            raise
        for timer in timers:
            self._unreleased.pop(timer.id, None)
