"""/reflect and the Reflect now button: five skippable questions about one entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.reflections import PROMPT_FIELDS, Reflection
from bot.db.repositories.rejections import Rejection
from bot.formatting import inert
from bot.i18n import _
from bot.services import text
from bot.services.reflection import (
    SUMMARY_LABELS,
    SavedReflection,
    questions_for,
)
from bot.ui import (
    ENTRY_OPTION_HELP,
    EntryForm,
    EntryOption,
    PersistentButton,
    entry_choices,
    save_submitted_form,
)

if TYPE_CHECKING:
    from bot.client import Onward

FORM_PREFIX = "onward:reflect-form:"
SUMMARY_ANSWER_MAX = 200
THEMES_SHOWN = 3                 # the top of what /insights lists, in the same order
PHRASE_MAX = 60


def entry_title(entry: Rejection) -> str:
    """A modal title (Discord allows 45 characters) naming the entry."""
    # Translators: a form title; Discord cuts it at 45 characters.
    title = _("Reflect on #{number} {company}").format(number=entry.number,
                                                       company=entry.company)
    return title if len(title) <= 45 else title[:44] + "…"


def summary(saved: SavedReflection) -> str:
    entry = saved.entry
    # Translators: {stage} is a stage like "phone-screen".
    if saved.edited and entry.stage:
        head = _("Updated your reflection on **#{number}** {company} ({stage}). Your earlier "
                 "answers are kept in its history.")
    elif saved.edited:
        head = _("Updated your reflection on **#{number}** {company}. Your earlier answers are "
                 "kept in its history.")
    elif entry.stage:
        head = _("Saved your reflection on **#{number}** {company} ({stage}).")
    else:
        head = _("Saved your reflection on **#{number}** {company}.")
    # The stage reads as the /rejection stage choice does.
    lines = [head.format(number=entry.number, company=inert(entry.company),
                         stage=_(entry.stage) if entry.stage else None),
             ""]
    for name, answer in saved.reflection.answers().items():
        if answer:
            lines.append(_("**{label}:** {answer}").format(
                label=_(SUMMARY_LABELS[name]), answer=inert(answer, SUMMARY_ANSWER_MAX)))
    lines.append("")
    shared = saved.shared
    if shared.themes:
        lines.append(_("**What your reflections share so far:** {themes}").format(
            themes=" · ".join(_("{phrase} ({count} notes)").format(
                phrase=inert(t.phrase, PHRASE_MAX), count=t.notes)
                for t in shared.themes[:THEMES_SHOWN])))
    if shared.strengths:
        lines.append(_("**What keeps going well:** {strengths}").format(
            strengths=" · ".join(_("{phrase} ({count} reflections)").format(
                phrase=inert(strength.phrase, PHRASE_MAX), count=strength.notes)
                for strength in shared.strengths[:THEMES_SHOWN])))
    if shared.themes or shared.strengths:
        lines.append(_("/insights turns them into a prep list.") if shared.themes else
                     _("/insights shows them in full."))
    elif shared.notes < 2:
        lines.append(_("After your next reflection or feedback note, I'll show what they have "
                       "in common."))
    else:
        lines.append(_("Nothing repeats across your notes yet; patterns show up over time."))
    return "\n".join(lines)


class ReflectionForm(EntryForm):
    """The five questions; its submission is saved by `Reflect.on_interaction`."""

    def __init__(self, entry: Rejection, earlier: Reflection | None) -> None:
        super().__init__(title=entry_title(entry), prefix=FORM_PREFIX,
                         entry_id=entry.id)
        answers = earlier.answers() if earlier else {}
        questions = questions_for(entry.stage)
        for name in PROMPT_FIELDS:
            self.add_item(discord.ui.TextInput(
                label=questions[name], custom_id=name, style=discord.TextStyle.paragraph,
                required=False, max_length=text.REFLECTION_FIELD_MAX,
                default=answers.get(name) or None,
            ))


class ReflectButton(PersistentButton, template=custom_ids.REFLECT):
    """Reflect now: on the /rejection log reply and on DM reflection prompts."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label=_("Reflect now"), style=discord.ButtonStyle.primary,
            custom_id=custom_ids.reflect(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> ReflectButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Reflect, interaction.client.get_cog("Reflect"))
        await cog.open_modal(interaction, self.rejection_id)


class Reflect(commands.Cog):
    """Reflect on a rejection."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.reflection = bot.services.reflection

    async def save_answers(
        self, interaction: discord.Interaction, rejection_id: int, answers: dict[str, str]
    ) -> None:
        # Finding themes in a long journal can take a moment; answer Discord first. The
        # summary then replaces the "thinking" message, and is sent after the commit.
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await self.reflection.save(interaction.user.id, rejection_id, answers)
        await interaction.edit_original_response(content=summary(saved))
        await self.bot.notices.show(interaction)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted reflection form: its id says which entry it is about."""
        await save_submitted_form(interaction, FORM_PREFIX, self.save_answers)

    async def open_modal(
        self, interaction: discord.Interaction, rejection_id: int | str | None
    ) -> None:
        entry, earlier = await self.reflection.start(interaction.user.id, rejection_id)
        await interaction.response.send_modal(ReflectionForm(entry, earlier))

    # Translators: command and option names must stay lowercase, one word or hyphenated,
    # at most 32 characters, with no spaces.
    @app_commands.command(
        name=T_("reflect"),
        description=T_("Five short questions about a rejection; skip any you like."),
    )
    @app_commands.describe(
        rejection=ENTRY_OPTION_HELP,
    )
    @app_commands.rename(rejection=T_("rejection"))
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def reflect(
        self, interaction: discord.Interaction,
        rejection: EntryOption | None = None,
    ) -> None:
        await self.open_modal(interaction, rejection)

    @reflect.autocomplete("rejection")
    async def rejection_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await entry_choices(self.reflection.suggest_entries, interaction, current)


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(ReflectButton)
    await bot.add_cog(Reflect(bot))


async def teardown(bot: Onward) -> None:
    bot.remove_dynamic_items(ReflectButton)
