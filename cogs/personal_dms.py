"""Personal DMs: the buttons on reflection prompts, feedback follow-ups and nudges, "No DMs,
thanks", and the notices a member sees privately when a DM could not reach them.

What is sent, and when, is the outbox's (bot/scheduling/outbox.py, bot/services/outbox.py),
run by the one timer engine built in bot/client.py.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import discord
from discord.ext import commands

from bot import custom_ids
from bot.formatting import inert, timestamp
from bot.i18n import N_, _, ngettext
from bot.scheduling.outbox import view_for
from bot.services.personal import PAUSE_LABELS, Button, entry_buttons
from bot.tree import handle_interaction_error
from bot.ui import PersistentButton

if TYPE_CHECKING:
    from bot.client import Onward

log = logging.getLogger(__name__)

NO_DMS_LABEL = N_("No DMs, thanks")
def no_dms_view() -> discord.ui.View:
    """The "No DMs, thanks" button under the reply that first schedules a DM."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label=_(NO_DMS_LABEL), custom_id=custom_ids.no_dms(),
                                    style=discord.ButtonStyle.secondary))
    view.stop()
    return view


def cog_of(interaction: discord.Interaction[Onward]) -> PersonalDMs:
    cog = interaction.client.get_cog("PersonalDMs")
    assert isinstance(cog, PersonalDMs), "the personal DMs cog registers these buttons"
    return cog


# Buttons --------------------------------------------------------------------------------------

ENTRY_GONE = N_("Those entries were deleted, so there's nothing left to choose.")
CHOOSE_PLACEHOLDER = N_("Which entry?")
ENTRY_ACTIONS = {
    "r": N_("**#{number}** {company}: would you like to reflect on it now?"),
    "f": N_("**#{number}** {company}: you asked for feedback. Did you hear back?"),
}


class ChooseEntryButton(PersistentButton, template=custom_ids.DM_PICK):
    """Choose an entry, on a DM that names several: a private menu of them."""

    def __init__(self, items: str) -> None:
        super().__init__(discord.ui.Button(
            label=_("Choose an entry"), custom_id=f"onward:dm-pick:{items}"))
        self.items = custom_ids.parse_dm_items(items)

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> ChooseEntryButton:
        return cls(match["items"])

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        found = await cog_of(interaction).personal.dm_entries(interaction.user.id, self.items)
        if not found:
            await interaction.response.send_message(_(ENTRY_GONE), ephemeral=True)
            return
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Select(
            custom_id=custom_ids.dm_entry(self.items), placeholder=_(CHOOSE_PLACEHOLDER),
            options=[discord.SelectOption(
                label=f"#{entry.number} {entry.company}"[:100],
                value=f"{kind}{entry_id}",
                description=(_("Reflect on it") if kind == "r"
                             else _("Feedback: did you hear back?")))
                for kind, entry_id, entry in found]))
        view.stop()
        await interaction.response.send_message(
            _("Which one? Pick it below and I'll show what you can do."), view=view,
            ephemeral=True)
        await interaction.client.notices.show(interaction)


class EntrySelect(discord.ui.DynamicItem[discord.ui.Select], template=custom_ids.DM_ENTRY):
    """The menu of a merged DM's entries: picking one shows that entry's own buttons."""

    def __init__(self, items: str) -> None:
        super().__init__(discord.ui.Select(custom_id=f"onward:dm-entry:{items}"))
        self.items = custom_ids.parse_dm_items(items)

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> EntrySelect:
        return cls(match["items"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.choose(cast("discord.Interaction[Onward]", interaction))
        except Exception as error:  # noqa: BLE001 - routed to the one error path
            await handle_interaction_error(interaction, error)

    async def choose(self, interaction: discord.Interaction[Onward]) -> None:
        data = cast(dict[str, Any], interaction.data or {})
        values = data.get("values") or []
        picked = custom_ids.parse_dm_items(values[0]) if values else []
        found = await cog_of(interaction).personal.dm_entries(interaction.user.id, picked)
        if not found:
            await interaction.response.edit_message(content=_(ENTRY_GONE), view=None)
            return
        kind, entry_id, entry = found[0]
        buttons = [Button(label, cid, main, 0) for label, cid, main in entry_buttons(
            "reflection_prompt" if kind == "r" else "feedback_followup", entry_id)]
        content = _(ENTRY_ACTIONS[kind]).format(number=entry.number,
                                                company=inert(entry.company))
        await interaction.response.edit_message(content=content, view=view_for(buttons))
        await interaction.client.notices.show(interaction)


class RemindTomorrowButton(PersistentButton, template=custom_ids.PROMPT_LATER):
    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label=_("Remind me tomorrow"), custom_id=custom_ids.prompt_later(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> RemindTomorrowButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cog_of(interaction)
        entry, due = await cog.personal.remind_tomorrow(interaction.user.id, self.rejection_id)
        await cog.engine.wake(due)
        await interaction.response.send_message(
            # Translators: {when} reads like "in 24 hours".
            _("Sure. I'll ask about **#{number}** {company} again {when}.").format(
                number=entry.number, company=inert(entry.company), when=timestamp(due, "R")),
            ephemeral=True)


class NotThisOneButton(PersistentButton, template=custom_ids.PROMPT_SKIP):
    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label=_("Not this one"), custom_id=custom_ids.prompt_skip(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> NotThisOneButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        entry = await cog_of(interaction).personal.skip_prompt(
            interaction.user.id, self.rejection_id)
        await interaction.response.send_message(
            _("Okay, no reflection prompt for **#{number}** {company}. /reflect is there if "
              "you change your mind.").format(number=entry.number,
                                              company=inert(entry.company)), ephemeral=True)


class PauseButton(PersistentButton, template=custom_ids.PAUSE):
    def __init__(self, setting: str) -> None:
        super().__init__(discord.ui.Button(
            label=_(PAUSE_LABELS[setting]), custom_id=custom_ids.pause(setting)))
        self.setting = setting

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> PauseButton:
        return cls(match["setting"])

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        await cog_of(interaction).settings.pause(interaction.user.id, self.setting)
        if self.setting == "dm_prompts":
            paused = _("Paused: no more reflection prompts and feedback follow-ups by DM. Turn "
                       "them back on any time with /settings dm_prompts:True.")
        else:
            paused = _("Paused: no more personal nudges by DM. Turn them back on any time with "
                       "/settings personal_nudges:True.")
        await interaction.response.send_message(paused, ephemeral=True)


class NoDMsButton(PersistentButton, template=custom_ids.NO_DMS):
    """Under the reply that first schedules a DM: prompts and follow-ups off, pending ones
    cancelled."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label=_(NO_DMS_LABEL), custom_id=custom_ids.no_dms()))

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> NoDMsButton:
        return cls()

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cancelled = await cog_of(interaction).personal.no_dms(interaction.user.id)
        lines = [_("Done: no reflection prompts or feedback follow-ups by DM.")]
        if cancelled:
            lines.append(ngettext("The one I had planned won't come.",
                                  "The {count} I had planned won't come.",
                                  cancelled).format(count=cancelled))
        lines.append(_("/reflect and /feedback work whenever you like, and /settings "
                       "dm_prompts:True turns the DMs back on."))
        await interaction.response.send_message(" ".join(lines), ephemeral=True)


BUTTONS = (RemindTomorrowButton, NotThisOneButton, PauseButton, NoDMsButton, ChooseEntryButton,
           EntrySelect)


class PersonalDMs(commands.Cog):
    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.engine = bot.engine
        self.outbox = bot.outbox
        self.personal = self.outbox.personal
        self.settings = bot.services.member_settings

    async def catch_up(self) -> None:
        """Run what is due by the bot's clock now (the sandbox calls it after moving time)."""
        await self.engine.catch_up()

    # Notices for members whose DMs are closed (bot/scheduling/notices.py) ------------------

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command) -> None:
        await self.bot.notices.show(interaction)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Any command, button press or form: once it has been answered, show what waits.
        A command that completes is covered by on_app_command_completion right away; this
        catches the rest (buttons, and commands that ended in an error reply)."""
        await self.bot.notices.after_answer(interaction)

async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(*BUTTONS)
    await bot.add_cog(PersonalDMs(bot))


async def teardown(bot: Onward) -> None:
    bot.remove_dynamic_items(*BUTTONS)
