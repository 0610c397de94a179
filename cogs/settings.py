"""/settings: a member's own preferences."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.db.repositories.member_settings import MemberSettings
from bot.services.dates import timezone_choices
from bot.services.member_settings import DELAY_MAX_HOURS, MemberSettingsService

if TYPE_CHECKING:
    from bot.client import Onward


def on_off(value: bool) -> str:
    return "on" if value else "off"


def quiet_hours(prefs: MemberSettings) -> str:
    return f"{prefs.quiet_start}–{prefs.quiet_end}" if prefs.quiet_start else "off"


def delay(prefs: MemberSettings) -> str:
    hours = prefs.reflection_delay_hours
    return "right after you log one" if hours == 0 else f"{hours} h after you log one"


# (label, the stored fields it shows, how it reads) for the "what changed" lines.
CHANGE_LINES: tuple[tuple[str, tuple[str, ...], Callable[[MemberSettings], str]], ...] = (
    ("Timezone", ("timezone",), lambda p: p.timezone or "not set"),
    ("Quiet hours", ("quiet_start", "quiet_end"), quiet_hours),
    ("DM prompts", ("dm_prompts",), lambda p: on_off(p.dm_prompts)),
    ("Personal nudges", ("personal_nudges",), lambda p: on_off(p.personal_nudges)),
    ("Reflection prompt", ("reflection_delay_hours",), delay),
    ("Notes of encouragement by DM", ("encouragement_dms",),
     lambda p: on_off(p.encouragement_dms)),
    ("Anonymous notes", ("anonymous_notes",),
     lambda p: "accepted" if p.anonymous_notes else "refused"),
)


def changes(changed: tuple[str, ...], before: MemberSettings | None,
            after: MemberSettings) -> list[str]:
    """One line per setting that changed, with what it was: "Quiet hours: 22:00–08:00
    (was off)"."""
    lines = []
    for label, fields, shown in CHANGE_LINES:
        if set(fields) & set(changed):
            was = f" (was {shown(before)})" if before is not None else ""
            lines.append(f"**{label}:** {shown(after)}{was}")
    return lines


def describe(prefs: MemberSettings) -> str:
    timezone = prefs.timezone or "not set (UTC is used)"
    quiet = f"{prefs.quiet_start}–{prefs.quiet_end}" if prefs.quiet_start else "off"
    delay = prefs.reflection_delay_hours
    when = "right after you log one" if delay == 0 else f"{delay} h after you log one"
    return "\n".join([
        f"**Timezone:** {timezone}",
        f"**Quiet hours:** {quiet} (no personal DMs then; they wait until it ends)",
        f"**DM prompts** (reflection prompts, feedback follow-ups): {on_off(prefs.dm_prompts)}",
        ("**Personal nudges** (when you're behind on your weekly goal): "
         f"{on_off(prefs.personal_nudges)}"),
        f"**Reflection prompt:** {when}",
        ("**Notes of encouragement by DM:** "
         f"{on_off(prefs.encouragement_dms)}"
         + ("" if prefs.encouragement_dms else " (they wait for your next command instead)")),
        ("**Anonymous notes** from other members: "
         + ("accepted" if prefs.anonymous_notes else "refused (signed notes only)")),
        "You get at most one personal DM a day.",
    ])


class Settings(commands.Cog):
    """Your own preferences."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.service = MemberSettingsService(bot.database, bot.clock)

    @app_commands.command(
        name="settings", description="Your preferences; give no options to see them."
    )
    @app_commands.describe(
        timezone="Your IANA timezone, like Europe/Berlin (start typing a city).",
        quiet_hours="No DMs between these times, like 22:00-08:00; or off.",
        dm_prompts="Reflection prompts and feedback follow-ups by DM.",
        personal_nudges="A DM when you're behind on your weekly application goal.",
        reflection_delay_hours=(
            f"Hours after logging before the reflection prompt (0–{DELAY_MAX_HOURS})."
        ),
        encouragement_dms=(
            "Notes of encouragement by DM; when off, they wait for your next command."
        ),
        anonymous_notes="Accept notes from members who don't sign them (off: signed notes only).",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        quiet_hours: app_commands.Range[str, 1, 20] | None = None,
        dm_prompts: bool | None = None,
        personal_nudges: bool | None = None,
        reflection_delay_hours: app_commands.Range[int, 0, DELAY_MAX_HOURS] | None = None,
        encouragement_dms: bool | None = None,
        anonymous_notes: bool | None = None,
    ) -> None:
        given = (timezone, quiet_hours, dm_prompts, personal_nudges, reflection_delay_hours,
                 encouragement_dms, anonymous_notes)
        if all(option is None for option in given):
            prefs = await self.service.get(interaction.user.id)
            await interaction.response.send_message(
                f"Your settings:\n{describe(prefs)}", ephemeral=True
            )
            return
        result = await self.service.update(
            interaction.user.id, timezone=timezone, quiet_hours=quiet_hours,
            dm_prompts=dm_prompts, personal_nudges=personal_nudges,
            reflection_delay_hours=reflection_delay_hours, encouragement_dms=encouragement_dms,
            anonymous_notes=anonymous_notes,
        )
        if result.changed:
            head = "\n".join(["Saved.", *changes(result.changed, result.before,
                                                   result.settings), ""])
        else:
            head = "Nothing changed: those were already your settings.\n"
        if result.settings.personal_nudges and not result.settings.weekly_goal:
            head += "Nudges need a weekly goal to measure against: set one with /apply goal.\n"
        if "personal_nudges" in result.changed or "timezone" in result.changed:
            await self.bot.engine.wake()
        await interaction.response.send_message(
            f"{head}\nYour settings:\n{describe(result.settings)}", ephemeral=True
        )

    @settings.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_choices(current)]


async def setup(bot: Onward) -> None:
    await bot.add_cog(Settings(bot))
