"""/settings: a member's own preferences."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot.db.repositories.member_settings import MemberSettings
from bot.i18n import N_, _
from bot.services.dates import timezone_choices
from bot.services.member_settings import DELAY_MAX_HOURS

if TYPE_CHECKING:
    from bot.client import Onward


def on_off(value: bool) -> str:
    # Translators: a setting's state, as in "DM prompts: on".
    return _("on") if value else _("off")


def quiet_hours(prefs: MemberSettings) -> str:
    return f"{prefs.quiet_start}–{prefs.quiet_end}" if prefs.quiet_start else _("off")


def delay(prefs: MemberSettings) -> str:
    hours = prefs.reflection_delay_hours
    # Translators: when the reflection prompt comes, after logging a rejection.
    return (_("right after you log one") if hours == 0 else
            _("{hours} h after you log one").format(hours=hours))


def accepted(prefs: MemberSettings) -> str:
    # Translators: whether anonymous notes are accepted.
    return _("accepted") if prefs.anonymous_notes else _("refused")


# (label, the stored fields it shows, how it reads) for the "what changed" lines.
CHANGE_LINES: tuple[tuple[str, tuple[str, ...], Callable[[MemberSettings], str]], ...] = (
    (N_("Timezone"), ("timezone",), lambda p: p.timezone or _("not set")),
    (N_("Quiet hours"), ("quiet_start", "quiet_end"), quiet_hours),
    (N_("DM prompts"), ("dm_prompts",), lambda p: on_off(p.dm_prompts)),
    (N_("Personal nudges"), ("personal_nudges",), lambda p: on_off(p.personal_nudges)),
    (N_("Reflection prompt"), ("reflection_delay_hours",), delay),
    (N_("Notes of encouragement by DM"), ("encouragement_dms",),
     lambda p: on_off(p.encouragement_dms)),
    (N_("Anonymous notes"), ("anonymous_notes",), accepted),
)


def changes(changed: tuple[str, ...], before: MemberSettings | None,
            after: MemberSettings) -> list[str]:
    """One line per setting that changed, with what it was: "Quiet hours: 22:00–08:00
    (was off)"."""
    lines = []
    for label, fields, shown in CHANGE_LINES:
        if set(fields) & set(changed):
            if before is not None:
                line = _("**{setting}:** {value} (was {before})").format(
                    setting=_(label), value=shown(after), before=shown(before))
            else:
                line = _("**{setting}:** {value}").format(setting=_(label), value=shown(after))
            lines.append(line)
    return lines


def describe(prefs: MemberSettings) -> str:
    timezone = prefs.timezone or _("not set (UTC is used)")
    return "\n".join([
        _("**Timezone:** {timezone}").format(timezone=timezone),
        _("**Quiet hours:** {hours} (no personal DMs then; they wait until it ends)").format(
            hours=quiet_hours(prefs)),
        _("**DM prompts** (reflection prompts, feedback follow-ups): {state}").format(
            state=on_off(prefs.dm_prompts)),
        _("**Personal nudges** (when you're behind on your weekly goal): {state}").format(
            state=on_off(prefs.personal_nudges)),
        _("**Reflection prompt:** {when}").format(when=delay(prefs)),
        (_("**Notes of encouragement by DM:** {state}") if prefs.encouragement_dms else
         _("**Notes of encouragement by DM:** {state} (they wait for your next command "
           "instead)")).format(state=on_off(prefs.encouragement_dms)),
        (_("**Anonymous notes** from other members: accepted") if prefs.anonymous_notes else
         _("**Anonymous notes** from other members: refused (signed notes only)")),
        _("You get at most one personal DM a day."),
    ])


DELAY_HELP = T_("Hours after logging before the reflection prompt (0–168).")
assert f"(0–{DELAY_MAX_HOURS})" in DELAY_HELP.message, "the delay help names DELAY_MAX_HOURS"


class Settings(commands.Cog):
    """Your own preferences."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.service = bot.services.member_settings

    # Translators: command and option names must stay lowercase, one word or hyphenated,
    # at most 32 characters, with no spaces.
    @app_commands.command(
        name=T_("settings"), description=T_("Your preferences; give no options to see them.")
    )
    @app_commands.describe(
        timezone=T_("Your IANA timezone, like Europe/Berlin (start typing a city)."),
        quiet_hours=T_("No DMs between these times, like 22:00-08:00; or off."),
        dm_prompts=T_("Reflection prompts and feedback follow-ups by DM."),
        personal_nudges=T_("A DM when you're behind on your weekly application goal."),
        reflection_delay_hours=DELAY_HELP,
        encouragement_dms=T_(
            "Notes of encouragement by DM; when off, they wait for your next command."
        ),
        anonymous_notes=T_("Accept notes from members who don't sign them (off: signed notes "
                           "only)."),
    )
    @app_commands.rename(
        timezone=T_("timezone"), quiet_hours=T_("quiet_hours"), dm_prompts=T_("dm_prompts"),
        personal_nudges=T_("personal_nudges"),
        reflection_delay_hours=T_("reflection_delay_hours"),
        encouragement_dms=T_("encouragement_dms"), anonymous_notes=T_("anonymous_notes"),
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
                _("Your settings:\n{settings}").format(settings=describe(prefs)),
                ephemeral=True
            )
            return
        result = await self.service.update(
            interaction.user.id, timezone=timezone, quiet_hours=quiet_hours,
            dm_prompts=dm_prompts, personal_nudges=personal_nudges,
            reflection_delay_hours=reflection_delay_hours, encouragement_dms=encouragement_dms,
            anonymous_notes=anonymous_notes,
        )
        if result.changed:
            head = "\n".join([_("Saved."), *changes(result.changed, result.before,
                                                      result.settings), ""])
        else:
            head = _("Nothing changed: those were already your settings.") + "\n"
        if result.settings.personal_nudges and not result.settings.weekly_goal:
            head += _("Nudges need a weekly goal to measure against: set one with /apply "
                      "goal.") + "\n"
        if "personal_nudges" in result.changed or "timezone" in result.changed:
            await self.bot.engine.wake()
        await interaction.response.send_message(
            head + "\n" + _("Your settings:\n{settings}").format(
                settings=describe(result.settings)), ephemeral=True
        )

    @settings.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_choices(current)]


async def setup(bot: Onward) -> None:
    await bot.add_cog(Settings(bot))
