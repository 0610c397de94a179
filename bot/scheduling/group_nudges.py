"""One APScheduler job per (server, kind), armed for the next slot.

The jobs only decide when to look: when one fires it calls `NudgeService.deliver_due`, which
re-reads the rows and posts the slot at most once, then the job is armed for the following
slot. At start every (server, kind) fires once straight away; that is the catch-up, and it is
the same code path as a job firing on time.

With several processes, each schedules, catches up and retries only the servers on its shards
(`bot.serves`); the per-slot deliveries row stays the guard against a second post.

The bot's clock may be shifted from real time (the sandbox moves it forward), while APScheduler
waits in real time, so a slot at bot time T runs at real time now + (T - bot now).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import UTC, datetime

import aiohttp
import discord
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import i18n
from bot.db.connection import StorageUnavailable
from bot.errors import FailureLog
from bot.i18n import _
from bot.scheduling.pacing import Pacer, nudge_concurrency, nudge_rate
from bot.scheduling.posting import describe, post_to_channel
from bot.services.nudges import KINDS, NudgePost, NudgeService, Outcome, PostFailed, Slot

log = logging.getLogger(__name__)
failures = FailureLog(log)

SWEEP_JOB = "nudge-retries"
# How often (real seconds) posts waiting for a retry, and slots whose claim the database
# refused, are looked at again. Each look is one indexed read.
SWEEP_SECONDS = 10.0
# How many messages back a post that may already be in the channel is looked for.
HISTORY_LOOKBACK = 50

EMBED_COLOUR = discord.Colour(0x5B8DEF)


def job_id(guild_id: int, kind: str) -> str:
    return f"nudge:{guild_id}:{kind}"


def nudge_embed(post: NudgePost) -> discord.Embed:
    embed = discord.Embed(title=post.title, description=post.description, colour=EMBED_COLOUR)
    if post.footer:
        embed.set_footer(text=post.footer)
    return embed


def _unreadable(error: BaseException) -> str:
    # Translators: why a group post is not sent again yet; {why} says what went wrong.
    return _("couldn't read the channel ({why})").format(why=describe(error))


@contextlib.contextmanager
def adding_many_jobs(scheduler):
    """Around adding tens of thousands of jobs at once (10,000 servers have 30,000): the
    scheduler wakes up once for the batch instead of once per job, and the garbage collector
    does not keep walking a heap that only grows with long-lived jobs (a third of the time)."""
    pause = scheduler.state == STATE_RUNNING
    collecting = gc.isenabled()
    if pause:
        scheduler.pause()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        if pause:
            scheduler.resume()


class GroupNudgeScheduler:
    def __init__(self, bot, nudges: NudgeService) -> None:
        self.bot = bot
        self.nudges = nudges
        self.armed: dict[tuple[int, str], Slot] = {}
        self._in_flight: set[asyncio.Task] = set()     # deliveries under way
        self._stopping = False
        # When many servers share a slot: a few deliveries at a time, posts spaced out under
        # Discord's global rate limit (see pacing.py).
        self._delivering = asyncio.Semaphore(nudge_concurrency(bot.database.dialect))
        self._pacer = Pacer(nudge_rate(bot.settings.rate_share()))
        # (server, kind) whose slot could not be claimed because the database refused the
        # write, with why: looked at again by every sweep until it is claimed or skipped.
        self._recheck: dict[tuple[int, str], str] = {}
        self._sweeping: asyncio.Task | None = None

    # Jobs ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Rebuild from the rows, read in bulk: a (server, kind) whose latest slot may still need
        posting (missed while the bot was down) fires now, the same path as a job firing on
        time; every other active one is armed for its next slot straight away."""
        check, upcoming = await self.nudges.plan_start()
        with adding_many_jobs(self.bot.scheduler):
            for (guild_id, kind), slot in upcoming.items():
                if self.bot.serves(guild_id):
                    self._arm_slot(guild_id, kind, slot)
            now = datetime.now(UTC)
            for guild_id, kind in check:
                if self.bot.serves(guild_id):
                    self._add_job(guild_id, kind, now)
            # Posts claimed before a restart and not yet posted are picked up by the sweep.
            self.bot.scheduler.add_job(
                self._sweep_soon, trigger=IntervalTrigger(seconds=SWEEP_SECONDS), id=SWEEP_JOB,
                name=SWEEP_JOB, replace_existing=True, next_run_time=now,
                misfire_grace_time=None, coalesce=True, max_instances=1,
            )

    async def stop(self) -> None:
        """Drop the jobs and let posts already under way finish (so they are recorded)."""
        self._stopping = True
        for guild_id, kind in list(self.armed):
            self._remove_job(guild_id, kind)
        for job in self._jobs():
            self._remove_job_id(job.id)
        self._remove_job_id(SWEEP_JOB)
        pending = [t for t in self._in_flight if not t.done()]
        if self._sweeping is not None and not self._sweeping.done():
            pending.append(self._sweeping)
        if pending:
            await asyncio.wait(pending, timeout=10)
        if self._sweeping is not None and not self._sweeping.done():
            self._sweeping.cancel()

    async def arm(self, guild_id: int, kind: str) -> Slot | None:
        """(Re)arm the job for the next slot from the rows, or drop it when none is due (or the
        server is another process's)."""
        if self._stopping or not self.bot.serves(guild_id):
            return None
        slot = await self.nudges.next_run(guild_id, kind)
        if slot is None:
            self._remove_job(guild_id, kind)
            return None
        self._arm_slot(guild_id, kind, slot)
        return slot

    def _arm_slot(self, guild_id: int, kind: str, slot: Slot) -> None:
        run_at = datetime.now(UTC) + (slot.at - self.bot.clock.now())
        self._add_job(guild_id, kind, run_at)
        self.armed[(guild_id, kind)] = slot

    async def arm_guild(self, guild_id: int) -> None:
        for kind in KINDS:
            await self.arm(guild_id, kind)

    def drop_guild(self, guild_id: int) -> None:
        for kind in KINDS:
            self._remove_job(guild_id, kind)

    async def fire(self, guild_id: int, kind: str) -> Outcome:
        delivery = asyncio.create_task(self._deliver(guild_id, kind),
                                       name=f"onward-nudge:{guild_id}:{kind}")
        self._in_flight.add(delivery)
        delivery.add_done_callback(self._in_flight.discard)
        try:
            # Shielded: shutting down cancels running jobs, but a post under way must finish
            # and be recorded (stop() waits for it).
            outcome = await asyncio.shield(delivery)
        except asyncio.CancelledError:
            raise
        except StorageUnavailable as refused:
            # Not claimed, so not posted: the sweep tries again while the slot is in grace.
            # Translators: why a group post is late; {reason} is the database's own words.
            self._recheck[(guild_id, kind)] = _("the database refused writes ({reason})").format(
                reason=refused.reason)
            failures.log(logging.ERROR, "could not claim the %s nudge of guild %s: %s; "
                         "trying again shortly", refused, kind, guild_id, refused.reason)
            await self.arm(guild_id, kind)
            return Outcome("retrying", detail=self._recheck[(guild_id, kind)])
        except Exception as error:
            log.exception("delivering the %s nudge in guild %s failed", kind, guild_id)
            # Perhaps never claimed: the sweep looks again while the slot is in grace (one that
            # was claimed it finds recorded, and leaves to the delivery retries).
            self._recheck[(guild_id, kind)] = describe(error)
            await self.arm(guild_id, kind)
            raise
        self._recheck.pop((guild_id, kind), None)
        if outcome.status == "paused":
            self.drop_guild(guild_id)       # until /support setup re-arms them
        else:
            await self.arm(guild_id, kind)
        return outcome

    async def _deliver(self, guild_id: int, kind: str) -> Outcome:
        async with self._delivering:
            if self._stopping:
                return Outcome("idle")      # not claimed: the next start catches it up
            # A group post speaks the server's language.
            with i18n.using(await self.bot.server_language(guild_id)):
                return await self.nudges.deliver_due(
                    guild_id, kind, self._paced_post,
                    why_late=self._recheck.get((guild_id, kind)))

    async def _sweep_soon(self) -> None:
        """The interval job: start a sweep unless one is still under way (a round of sends in
        an outage can outlast the interval), and return at once."""
        if self._sweeping is None or self._sweeping.done():
            self._sweeping = asyncio.get_running_loop().create_task(
                self._logged_sweep(), name="onward-nudge-sweep")

    async def _logged_sweep(self) -> None:
        try:
            await self.sweep()
        except Exception:
            log.exception("looking for group posts to retry failed")

    async def sweep(self) -> dict[int | tuple[int, str], Outcome]:
        """Send again what is due for a retry (also what a restart left claimed and unsent),
        and claim again the slots the database refused. Runs every SWEEP_SECONDS."""
        outcomes: dict[int | tuple[int, str], Outcome] = {}
        if self._stopping:
            return outcomes
        for guild_id, kind in list(self._recheck):
            try:
                outcomes[(guild_id, kind)] = await self.fire(guild_id, kind)
            except Exception as error:  # noqa: BLE001 - logged by fire; the others go on
                outcomes[(guild_id, kind)] = Outcome("retrying", detail=describe(error))
        try:
            due = await self.nudges.due_retries(serves=self.bot.serves)
        except StorageUnavailable:
            return outcomes
        # Side by side (the semaphore and the pacer keep them in bounds), so thousands of
        # servers' posts waiting out one Discord outage are not retried one after the other.
        results = await asyncio.gather(*(self._retry(d) for d in due), return_exceptions=True)
        for delivery_id, result in zip(due, results, strict=True):
            if isinstance(result, BaseException):
                # The row stays claimed: a later sweep tries it again.
                failures.log(logging.ERROR, "retrying post %s failed", result, delivery_id)
                result = Outcome("retrying", detail=str(result))
            outcomes[delivery_id] = result
        return outcomes

    async def _retry(self, delivery_id: int) -> Outcome:
        task = asyncio.create_task(self._retry_one(delivery_id),
                                   name=f"onward-nudge-retry:{delivery_id}")
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        try:
            outcome = await asyncio.shield(task)
        except StorageUnavailable as refused:
            failures.log(logging.ERROR, "could not record the retry of post %s: %s", refused,
                         delivery_id, refused.reason)
            return Outcome("retrying", detail=refused.reason)
        return outcome

    async def _retry_one(self, delivery_id: int) -> Outcome:
        async with self._delivering:
            if self._stopping:
                return Outcome("idle")      # still claimed: the next start sends it
            row = await self.nudges.deliveries.by_id(delivery_id)
            language = await self.bot.server_language(row.guild_id) if row else None
            with i18n.using(language):
                outcome = await self.nudges.retry(delivery_id, self._paced_post, self.find_post)
        if outcome.status == "paused":
            row = await self.nudges.deliveries.by_id(delivery_id)
            if row is not None:
                self.drop_guild(row.guild_id)
        return outcome

    async def catch_up_all(self) -> dict[tuple[int, str], Outcome]:
        """Run what a start-up runs, now: deliver what is due for every (server, kind) and
        re-arm from the bot's clock (use it after moving the clock)."""
        outcomes = {}
        for guild_id, kind in await self.nudges.scheduled():
            if self.bot.serves(guild_id):
                outcomes[(guild_id, kind)] = await self.fire(guild_id, kind)
        retried = await self.sweep()
        outcomes.update({k: v for k, v in retried.items() if isinstance(k, tuple)})
        return outcomes

    def next_runs(self) -> dict[tuple[int, str], datetime]:
        """When each armed job will post, in the bot's clock."""
        return {key: slot.at for key, slot in sorted(self.armed.items())}

    async def post(self, channel_id: int, post: NudgePost) -> int:
        message = await post_to_channel(self.bot, channel_id, embed=nudge_embed(post),
                                        nonce=post.nonce)
        return message.id

    async def find_post(self, channel_id: int, post: NudgePost) -> list[int]:
        """Ids of the bot's own messages among the channel's latest that say what `post` says
        (title and text), newest first."""
        channel = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.text)
        found = []
        try:
            async for message in channel.history(limit=HISTORY_LOOKBACK):
                if message.author.id != self.bot.user.id or not message.embeds:
                    continue
                embed = message.embeds[0]
                if embed.title == post.title and embed.description == post.description:
                    found.append(message.id)
        except discord.HTTPException as error:
            if error.status != 429 and error.status < 500:
                raise       # e.g. no Read Message History: can't tell, so don't post again
            raise PostFailed(_unreadable(error), maybe_posted=True, tries=0) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise PostFailed(_unreadable(error), maybe_posted=True, tries=0) from error
        return found

    async def _paced_post(self, channel_id: int, post: NudgePost) -> int:
        await self._pacer.wait()
        return await self.post(channel_id, post)

    # APScheduler ------------------------------------------------------------------------------

    def _add_job(self, guild_id: int, kind: str, run_at: datetime) -> None:
        self.bot.scheduler.add_job(
            self.fire, trigger=DateTrigger(run_date=run_at, timezone=UTC),
            args=(guild_id, kind), id=job_id(guild_id, kind), name=job_id(guild_id, kind),
            replace_existing=True,
            # Late is fine (deliver_due applies the grace window); so is overlapping: the
            # deliveries row keeps a slot to one post.
            misfire_grace_time=None, coalesce=True, max_instances=5,
        )

    def _remove_job(self, guild_id: int, kind: str) -> None:
        self.armed.pop((guild_id, kind), None)
        self._remove_job_id(job_id(guild_id, kind))

    def _remove_job_id(self, ident: str) -> None:
        with contextlib.suppress(JobLookupError):    # already gone: nothing to remove
            self.bot.scheduler.remove_job(ident)

    def _jobs(self):
        return [j for j in self.bot.scheduler.get_jobs() if j.id.startswith("nudge:")]
