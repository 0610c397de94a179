"""/help: what every command does, read from the command tree itself so it never drifts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot.i18n import N_, _

if TYPE_CHECKING:
    from bot.client import Onward

INTRO = N_(
    "Onward keeps your job search kind to you: log a rejection, reflect on it, ask for "
    "feedback, lean on the group and keep applying. Everything about you is private unless "
    "you choose to share it."
)


# The order of a member's journey: log, reflect, ask for feedback, keep applying, see how it
# goes, lean on the group, then settings and privacy. Commands not named here follow.
JOURNEY = ("rejection", "reflect", "feedback", "apply", "progress", "insights", "encourage",
           "settings", "privacy", "help")
# Commands for a server's admins (Manage Server or Administrator), shown to them alone.
ADMIN_ONLY = ("support",)


def _journey_place(
    command: app_commands.Command | app_commands.Group | app_commands.ContextMenu,
) -> tuple[int, str]:
    name = command.name
    place = JOURNEY.index(name) if name in JOURNEY else len(JOURNEY)
    return place, name


def is_admin(permissions: discord.Permissions | None) -> bool:
    return bool(permissions and (permissions.manage_guild or permissions.administrator))


def shown_name(qualified_name: str) -> str:
    """A command as the member's Discord shows it: each word of its name in their language
    (the names are in the catalogs, as the command tree's translator gives them)."""
    return "/" + " ".join(_(word) for word in qualified_name.split())


def command_sections(
    tree: app_commands.CommandTree, admin: bool = False
) -> list[tuple[str, str]]:
    """(title, lines) per top-level command in the order of the journey, subcommands listed
    under their group; admin commands last, and only for admins."""
    sections = []
    commands_ = [c for c in tree.get_commands() if c.name not in ADMIN_ONLY]
    ordered = sorted(commands_, key=_journey_place)
    if admin:
        ordered += [c for c in tree.get_commands() if c.name in ADMIN_ONLY]
    for command in ordered:
        if isinstance(command, app_commands.Group):
            lines = [f"`{shown_name(sub.qualified_name)}` — {_(sub.description)}"
                     for sub in command.walk_commands() if isinstance(sub, app_commands.Command)]
            title = shown_name(command.name)
            if command.name in ADMIN_ONLY:
                # Translators: a section title of /help; {command} is like "/support".
                title = _("{command} (admins)").format(command=title)
            sections.append((title, "\n".join(lines)))
        elif isinstance(command, app_commands.Command):
            sections.append((shown_name(command.name), _(command.description)))
    return sections


class Help(commands.Cog):
    def __init__(self, bot: Onward) -> None:
        self.bot = bot

    # Translators: command and option names must stay lowercase, one word or hyphenated,
    # at most 32 characters, with no spaces.
    @app_commands.command(name=T_("help"),
                          description=T_("What Onward can do, command by command."))
    async def help(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Onward", description=_(INTRO))
        admin = interaction.guild is not None and is_admin(interaction.permissions)
        for title, lines in command_sections(self.bot.tree, admin):
            embed.add_field(name=title, value=lines[:1024], inline=False)
        embed.set_footer(text=_("Every DM has a pause button; /settings changes the rest."))
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: Onward) -> None:
    await bot.add_cog(Help(bot))
