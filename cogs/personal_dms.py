"""Personal DMs: reflection prompts, feedback follow-ups and personal nudges.

Timers are rows; one scheduler job sleeps until the earliest is due, sends what is due, and
arms itself again (at start too, so what fell due while the bot was down goes out then).
A member whose DMs are closed sees the same message, privately, at their next command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import discord
from apscheduler.jobstores.base import JobLookupError
from discord.ext import commands

from bot import custom_ids
from bot.formatting import inert, timestamp
from bot.services.member_settings import MemberSettingsService
from bot.services.personal import Batch, DueItem, Notice, PersonalDMService
from bot.ui import PersistentButton

log = logging.getLogger(__name__)

JOB_ID = "onward:personal-dms"
RETRY_AFTER_ERROR = timedelta(minutes=1)   # after an unexpected failure, don't spin
SHUTDOWN_WAIT_SECONDS = 10
PAUSE_LABELS = {"dm_prompts": "Pause DM prompts", "personal_nudges": "Pause nudges"}


class Buttons(discord.ui.View):
    """Buttons whose clicks are handled by DynamicItems, so this view is never kept in memory."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False


# Rendering ------------------------------------------------------------------------------------

def _entry(item: DueItem) -> str:
    entry = item.entry
    assert entry is not None
    stage = f" ({entry.stage})" if entry.stage else ""
    return f"**#{entry.id}** {inert(entry.company)}{stage}"


def item_line(item: DueItem) -> str:
    if item.kind == "reflection_prompt":
        return (f"{_entry(item)}: when you have a few minutes, would you like to reflect on it? "
                "Five short questions, and you can skip any of them.")
    if item.kind == "feedback_followup":
        asked = ""
        if item.requested_at:
            asked = f" on {timestamp(discord.utils.parse_time(item.requested_at), 'D')}"
        return (f"{_entry(item)}: you asked for feedback{asked}. Did you hear back? If so, log "
                "it and it will sit beside your reflection.")
    return (f"**This week:** {item.applications} of {item.goal} applications so far. One small "
            "application today keeps things moving; /apply log when you're ready.")


def buttons(items: tuple[tuple[str, int | None], ...], pauses: tuple[str, ...]) -> discord.ui.View:
    """One row of buttons per entry (labels carry the id when there are several), then one
    row to pause these messages."""
    view = Buttons()
    with_buttons = [(k, s) for k, s in items if s is not None and k != "personal_nudge"]
    suffix_needed = len(with_buttons) > 1
    for row, (kind, subject_id) in enumerate(with_buttons):
        suffix = f" · #{subject_id}" if suffix_needed else ""
        if kind == "reflection_prompt":
            wanted = [("Reflect now", custom_ids.reflect(subject_id), True),
                      ("Remind me tomorrow", custom_ids.prompt_later(subject_id), False),
                      ("Not this one", custom_ids.prompt_skip(subject_id), False)]
        else:
            wanted = [("Log feedback", custom_ids.feedback_log(subject_id), True),
                      ("Stop reminding", custom_ids.feedback_stop(subject_id), False)]
        for label, custom_id, main in wanted:
            view.add_item(discord.ui.Button(
                label=label + suffix, custom_id=custom_id, row=row,
                style=discord.ButtonStyle.primary if main else discord.ButtonStyle.secondary))
    for setting in pauses:
        view.add_item(discord.ui.Button(
            label=PAUSE_LABELS[setting], custom_id=custom_ids.pause(setting),
            row=min(len(with_buttons), 4), style=discord.ButtonStyle.secondary))
    return view


def render_batch(batch: Batch) -> tuple[str, discord.ui.View]:
    intro = ("A gentle check-in from Onward:" if len(batch.items) == 1
             else "A few gentle check-ins from Onward, all in one message:")
    lines = [intro, "", *(item_line(i) for i in batch.items), "",
             "Not now? The buttons below pause these messages; /settings turns them back on."]
    items = tuple((i.kind, i.subject_id) for i in batch.items)
    return "\n".join(lines), buttons(items, batch.pauses)


def render_notice(notice: Notice) -> tuple[str, discord.ui.View]:
    if notice.paused:
        content = (f"You've paused notes by DM, so here it is privately:\n\n{notice.content}\n"
                   "-# /settings encouragement_dms:True sends notes by DM again.")
    else:
        content = f"I couldn't reach you by DM, so here it is privately:\n\n{notice.content}"
    return content, buttons(notice.items, notice.pauses)


# Buttons --------------------------------------------------------------------------------------

class RemindTomorrowButton(PersistentButton, template=custom_ids.PROMPT_LATER):
    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Remind me tomorrow", custom_id=custom_ids.prompt_later(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> RemindTomorrowButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction) -> None:
        cog: PersonalDMs = interaction.client.get_cog("PersonalDMs")
        entry, due = await cog.personal.remind_tomorrow(interaction.user.id, self.rejection_id)
        interaction.client.dispatch("timer_scheduled")
        await interaction.response.send_message(
            f"Sure. I'll ask about **#{entry.id}** {inert(entry.company)} again "
            f"{timestamp(due, 'R')}.", ephemeral=True)
        interaction.client.dispatch("interaction_answered", interaction)


class NotThisOneButton(PersistentButton, template=custom_ids.PROMPT_SKIP):
    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Not this one", custom_id=custom_ids.prompt_skip(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> NotThisOneButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction) -> None:
        cog: PersonalDMs = interaction.client.get_cog("PersonalDMs")
        entry = await cog.personal.skip_prompt(interaction.user.id, self.rejection_id)
        await interaction.response.send_message(
            f"Okay, no reflection prompt for **#{entry.id}** {inert(entry.company)}. /reflect is "
            "there if you change your mind.", ephemeral=True)
        interaction.client.dispatch("interaction_answered", interaction)


class PauseButton(PersistentButton, template=custom_ids.PAUSE):
    def __init__(self, setting: str) -> None:
        super().__init__(discord.ui.Button(
            label=PAUSE_LABELS[setting], custom_id=custom_ids.pause(setting)))
        self.setting = setting

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> PauseButton:
        return cls(match["setting"])

    async def on_click(self, interaction: discord.Interaction) -> None:
        cog: PersonalDMs = interaction.client.get_cog("PersonalDMs")
        await cog.settings.pause(interaction.user.id, self.setting)
        what = ("reflection prompts and feedback follow-ups" if self.setting == "dm_prompts"
                else "personal nudges")
        await interaction.response.send_message(
            f"Paused: no more {what} by DM. Turn them back on any time with "
            f"/settings {self.setting}:True.", ephemeral=True)
        interaction.client.dispatch("interaction_answered", interaction)


# The dispatcher -------------------------------------------------------------------------------

class PersonalDMs(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.personal = PersonalDMService(bot.database, bot.clock)
        self.settings = MemberSettingsService(bot.database, bot.clock)
        self._sending = asyncio.Lock()
        self._closing = False
        self._task: asyncio.Task | None = None
        self._showing: set[int] = set()     # members whose notices are being shown right now

    async def cog_load(self) -> None:
        await self.arm()

    async def cog_unload(self) -> None:
        # Stop taking work, then let a DM in flight finish and be recorded.
        self._closing = True
        self._remove_job()
        task = self._task
        if task is None or task.done():
            return
        done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_WAIT_SECONDS)
        if not done:
            # Discord is slow to answer: stop waiting, and record what was being sent as sent
            # (the cancelled send does that) while the database is still open.
            log.warning("a personal DM was still sending after %ss; stopping it",
                        SHUTDOWN_WAIT_SECONDS)
            task.cancel()
            await asyncio.wait({task})

    def _remove_job(self) -> None:
        with contextlib.suppress(JobLookupError):  # nothing armed is fine
            self.bot.scheduler.remove_job(JOB_ID)

    def _armed_by(self, due: datetime) -> bool:
        """Whether the job already wakes up no later than a timer due at `due` (bot's clock)."""
        armed = self.bot.scheduler.get_job(JOB_ID)
        run_at = datetime.now(UTC) + max(due - self.bot.clock.now(), timedelta(0))
        return armed is not None and armed.next_run_time is not None and (
            armed.next_run_time <= run_at)

    async def arm(self, not_before: timedelta = timedelta(0)) -> None:
        """Point the one job at the earliest pending timer. The bot's clock may run ahead of
        the real one (the sandbox moves it), so the wait is measured on the bot's clock."""
        if self._closing or not self.bot.scheduler.running:
            return
        due = await self.personal.next_due_at()
        if due is None:
            self._remove_job()
            return
        run_at = datetime.now(UTC) + max(due - self.bot.clock.now(), not_before, timedelta(0))
        armed = self.bot.scheduler.get_job(JOB_ID)
        if (not not_before and armed is not None and armed.next_run_time is not None
                and armed.next_run_time <= run_at):
            # Already wakes up in time (every /rejection log lands here): a run that finds
            # nothing due re-arms from the rows, so the job only ever needs moving earlier.
            return
        self.bot.scheduler.add_job(
            self._start_run, "date", run_date=run_at, id=JOB_ID,
            replace_existing=True, misfire_grace_time=None, coalesce=True,
        )

    async def _start_run(self) -> None:
        # The work runs in a task of its own: stopping the scheduler cancels its jobs, and a
        # DM must never be cut off between being sent and being recorded.
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="personal-dms")

    async def catch_up(self) -> None:
        """Send what is due by the bot's clock now, then re-arm for the next timer: what a start
        does, but awaited (the sandbox runs it after moving the clock forward)."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)        # a run under way saw the clock before
        await self._start_run()
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        retry = timedelta(0)
        async with self._sending:
            if self._closing:
                return
            await self.bot.wait_until_ready()
            try:
                # Timers of kind share_post (scheduled anonymous shares) have their own handler.
                sharing = self.bot.get_cog("Encourage")
                if sharing is not None:
                    await sharing.post_due_shares()
                for batch in await self.personal.collect_due():
                    if self._closing:
                        break
                    await self._deliver(batch)
            except Exception:
                log.exception("sending personal DMs failed; trying again shortly")
                retry = RETRY_AFTER_ERROR
        await self.arm(not_before=retry)

    async def _deliver(self, batch: Batch) -> None:
        content, view = render_batch(batch)
        try:
            channel = await self.bot.create_dm(discord.Object(batch.user_id))
            await channel.send(content, view=view)
        except (discord.Forbidden, discord.NotFound) as closed:
            # DMs closed (50007) or no such user: keep it to show at their next command.
            log.info("personal DM to %s not delivered (%s); kept as a notice",
                     batch.user_id, getattr(closed, "code", "?"))
            await self.personal.record_undeliverable(batch, "\n".join(
                item_line(i) for i in batch.items))
        except discord.HTTPException as failed:
            log.warning("personal DM to %s failed (%s); retrying later", batch.user_id, failed)
            await self.personal.postpone(batch.timer_ids)
        except asyncio.CancelledError:
            # Stopped mid-send: it may have reached them, and a repeat would be worse than none.
            await asyncio.shield(self.personal.record_delivered(batch))
            raise
        else:
            await self.personal.record_delivered(batch)

    @commands.Cog.listener()
    async def on_timer_scheduled(self, due: datetime | None = None) -> None:
        # A sender that knows when its new timer is due passes it: when the job already wakes
        # up by then (every /rejection log after the first), there is nothing to move and no
        # need to read the earliest timer back from the database.
        if due is not None and self._armed_by(due):
            return
        await self.arm()

    # Notices for members whose DMs are closed -----------------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command) -> None:
        await self.show_notices(interaction)

    @commands.Cog.listener()
    async def on_interaction_answered(self, interaction: discord.Interaction) -> None:
        await self.show_notices(interaction)

    async def show_notices(self, interaction: discord.Interaction) -> None:
        """Show what could not be sent by DM as a private follow-up to this interaction."""
        if interaction.response.type in (None, discord.InteractionResponseType.modal):
            return          # a follow-up needs an answered interaction that isn't a modal
        user_id = interaction.user.id
        if user_id in self._showing:
            return          # another of their interactions is showing them: once is enough
        self._showing.add(user_id)
        try:
            if not await self.personal.has_notices(user_id):
                return
            for notice in await self.personal.unshown_notices(user_id):
                content, view = render_notice(notice)
                try:
                    await interaction.followup.send(content, view=view, ephemeral=True)
                except discord.HTTPException:
                    log.warning("could not show notice %s to %s; will try at their next command",
                                notice.id, user_id)
                    return
                await self.personal.mark_notice_shown(notice)
        finally:
            self._showing.discard(user_id)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(RemindTomorrowButton, NotThisOneButton, PauseButton)
    await bot.add_cog(PersonalDMs(bot))


async def teardown(bot: commands.Bot) -> None:
    bot.remove_dynamic_items(RemindTomorrowButton, NotThisOneButton, PauseButton)
