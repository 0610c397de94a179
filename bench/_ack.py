"""A cog loaded only by the benchmarks: one command that acknowledges and does nothing else.

Inside Onward it pays what every Onward command pays (the tree, the listeners that run after a
command) but no database work of its own, so the gap between it and /rejection log is the
command's own work."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands


class Ack(commands.Cog):
    @app_commands.command(name="ack", description="Acknowledge, nothing else (benchmark only).")
    async def ack(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Ack())
