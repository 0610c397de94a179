"""/progress: this week and the journey so far, effort first, with a chart."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot.i18n import N_, _
from bot.services.chart import render_progress_chart
from bot.services.progress import (
    CHART_WEEKS,
    only_rejections_text,
    summary_fields,
)

if TYPE_CHECKING:
    from bot.client import Onward

CHART_NAME = "progress.png"
COLOUR = discord.Colour(0x5B7FD6)

FRIENDLY_START = N_(
    "Nothing logged yet, and that's a fine place to start.\n"
    "• **/apply goal** sets how many applications you aim for each week.\n"
    "• **/apply log** records an application; your week fills up here.\n"
    "• **/rejection log** and **/reflect** turn a no into notes you can learn from.\n"
    "Come back to /progress any time: only you see it."
)


class Progress(commands.Cog):
    """Your week and your journey."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.progress = bot.services.progress

    # Translators: command and option names must stay lowercase, one word or hyphenated,
    # at most 32 characters, with no spaces.
    @app_commands.command(
        name=T_("progress"),
        description=T_("Your week and your journey: applications vs goal, streak, reflections, "
                       "feedback."),
    )
    async def progress_(self, interaction: discord.Interaction) -> None:
        # Counting and drawing can take longer than Discord's 3 s on a busy machine.
        await interaction.response.defer(thinking=True, ephemeral=True)
        report = await self.progress.report(interaction.user.id)
        embed = discord.Embed(title=_("Your progress"), colour=COLOUR)
        if report.is_new:
            embed.description = _(FRIENDLY_START)
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        if report.only_rejections:
            embed.description = only_rejections_text(report)
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        for name, value in summary_fields(report):
            embed.add_field(name=name, value=value, inline=True)
        embed.set_footer(
            text=_("Weeks run Monday–Sunday in {timezone} (change it with /settings). Only you "
                   "can see this.").format(timezone=report.timezone)
        )
        if not report.has_chart:
            embed.description = _("No applications, reflections or feedback in the last "
                                  "{count} weeks, so no chart yet. One application or "
                                  "reflection starts it.").format(count=CHART_WEEKS)
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        png = await asyncio.to_thread(render_progress_chart, report.chart_weeks, report.goal)
        embed.set_image(url=f"attachment://{CHART_NAME}")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename=CHART_NAME), ephemeral=True
        )


async def setup(bot: Onward) -> None:
    await bot.add_cog(Progress(bot))
