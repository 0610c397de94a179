"""/insights: recurring themes across a member's reflections and feedback, as a prep list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot.formatting import inert
from bot.i18n import N_, _, ngettext
from bot.services.insights import NOTE_LIMIT, next_step, theme_line

if TYPE_CHECKING:
    from bot.client import Onward

COLOUR = discord.Colour(0xC77DDB)
FIELD_MAX = 1024

HOW_IT_WORKS = N_(
    "Insights come from your own reflections and the feedback you log. Once a phrase shows "
    "up in two or more of them (say “system design” or “salary negotiation”), it appears "
    "here with a quote and a next step for your prep list.\n"
    "• **/reflect** after an interview, or use the Reflect now button.\n"
    "• **/feedback log** when an interviewer writes back.\n"
    "Only you ever see this."
)


def _clip(text: str) -> str:
    return text if len(text) <= FIELD_MAX else text[: FIELD_MAX - 1] + "…"


class Insights(commands.Cog):
    """What keeps coming up in your reflections and feedback."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.insights = bot.services.insights

    # Translators: command and option names must stay lowercase, one word or hyphenated,
    # at most 32 characters, with no spaces.
    @app_commands.command(
        name=T_("insights"),
        description=T_("Recurring themes across your reflections and feedback, as a prep list."),
    )
    async def insights_(self, interaction: discord.Interaction) -> None:
        # Reading many notes for themes can take a moment; answer Discord first.
        await interaction.response.defer(thinking=True, ephemeral=True)
        found = await self.insights.insights(interaction.user.id)
        embed = discord.Embed(title=_("Your insights"), colour=COLOUR)
        if found.notes == 0:
            embed.description = _(HOW_IT_WORKS)
            await interaction.followup.send(embed=embed, ephemeral=True)
            return

        if found.limited:
            # Translators: what was read, as in "I read {what} and ..." / "From {what}."
            read = _("your latest {count} notes").format(count=NOTE_LIMIT)
        else:
            # Translators: what was read, as in "I read {what} and ..." / "From {what}."
            read = _("{reflections} and {feedback}").format(
                reflections=ngettext("{count} reflection", "{count} reflections",
                                     found.reflections).format(count=found.reflections),
                feedback=ngettext("{count} feedback note", "{count} feedback notes",
                                  found.feedback_notes).format(count=found.feedback_notes))
        if not found.themes and not found.strengths:
            embed.description = _(
                "I read {what} and nothing has come up twice yet. Themes appear once a phrase "
                "shows up in two or more of your notes, so keep reflecting after interviews."
            ).format(what=read)
            await interaction.followup.send(embed=embed, ephemeral=True)
            return

        embed.description = _("From {what}. Only you can see this.").format(what=read)
        for number, theme in enumerate(found.themes, start=1):
            value = f"→ {inert(next_step(theme))}"
            if theme.quote:
                value = f"> {inert(theme.quote)}\n{value}"
            embed.add_field(name=f"{number}. {inert(theme_line(theme, found))}"[:256],
                            value=_clip(value), inline=False)
        if found.strengths:
            lines = [(_("• **{phrase}** ({count} reflections): “{quote}”") if s.quote else
                      _("• **{phrase}** ({count} reflections)")).format(
                phrase=inert(s.phrase), count=s.notes, quote=inert(s.quote or ""))
                     for s in found.strengths]
            embed.add_field(name=_("What keeps going well"), value=_clip("\n".join(lines)),
                            inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: Onward) -> None:
    await bot.add_cog(Insights(bot))
