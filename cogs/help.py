"""/help: what every command does, read from the command tree itself so it never drifts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import Onward

INTRO = (
    "Onward keeps your job search kind to you: log a rejection, reflect on it, ask for "
    "feedback, lean on the group and keep applying. Everything about you is private unless "
    "you choose to share it."
)


def command_sections(tree: app_commands.CommandTree) -> list[tuple[str, str]]:
    """(title, lines) per top-level command, subcommands listed under their group."""
    sections = []
    for command in sorted(tree.get_commands(), key=lambda c: c.name):
        if isinstance(command, app_commands.Group):
            lines = [f"`/{sub.qualified_name}` — {sub.description}"
                     for sub in command.walk_commands() if isinstance(sub, app_commands.Command)]
            sections.append((f"/{command.name}", "\n".join(lines)))
        elif isinstance(command, app_commands.Command):
            sections.append((f"/{command.name}", command.description))
    return sections


class Help(commands.Cog):
    def __init__(self, bot: Onward) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What Onward can do, command by command.")
    async def help(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Onward", description=INTRO)
        for title, lines in command_sections(self.bot.tree):
            embed.add_field(name=title, value=lines[:1024], inline=False)
        embed.set_footer(text="Every DM has a pause button; /settings changes the rest.")
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: Onward) -> None:
    await bot.add_cog(Help(bot))
