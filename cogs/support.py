"""/support setup, schedule, status and nudge-now: admins configure the group's support channel.
Also owns the group-nudge scheduler."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import i18n
from bot.clock import from_db
from bot.errors import InvalidInput, NotAllowed
from bot.formatting import inert, timestamp
from bot.i18n import N_, _, ngettext
from bot.scheduling.group_nudges import GroupNudgeScheduler
from bot.services.dates import timezone_choices
from bot.services.nudges import Outcome, describe_days
from bot.services.support import KindStatus

if TYPE_CHECKING:
    from bot.client import Onward

# Choice names are what admins see (translated); the values are stored. A stored kind is
# shown through the same catalog text: `_(kind)`.
KINDS = [
    app_commands.Choice(name=T_("encouragement"), value="encouragement"),
    app_commands.Choice(name=T_("keep-applying"), value="keep-applying"),
    app_commands.Choice(name=T_("digest"), value="digest"),
]
# The languages group posts can be in, each named in itself.
LANGUAGE_CHOICES = [app_commands.Choice(name=i18n.language_name(code), value=code)
                    for code in i18n.LOCALES]

# (permission attribute, the name admins see in Discord's settings)
NEEDED_PERMISSIONS = (
    # Translators: the permission's name as Discord's own settings show it.
    ("view_channel", N_("View Channel")),
    ("send_messages", N_("Send Messages")),
    ("embed_links", N_("Embed Links")),
)


def is_admin(interaction: discord.Interaction) -> bool:
    perms = interaction.permissions
    return perms.administrator or perms.manage_guild


def admin_guild(interaction: discord.Interaction) -> int:
    """The server id, once we know this is a server and the member is one of its admins.
    Checked here, not only through default_permissions, which a server can override."""
    if interaction.guild_id is None:
        raise NotAllowed(_("Use this in a server: /support configures a server's support "
                           "channel."))
    if not is_admin(interaction):
        raise NotAllowed(
            _("Only the server's admins (Manage Server or Administrator) can change /support.")
        )
    return interaction.guild_id


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [_(label) for flag, label in NEEDED_PERMISSIONS if not getattr(perms, flag)]


def schedule_line(status: KindStatus) -> str:
    s = status.schedule
    # Translators: when a nudge posts, like "Mon, Wed at 09:00".
    when = _("{days} at {time}").format(days=describe_days(s.days), time=s.time)
    # Translators: {kind} is a nudge kind like "keep-applying".
    if not s.enabled:
        return _("• **{kind}**: off (was {when})").format(kind=_(s.kind), when=when)
    if status.next_run is None:
        return _("• **{kind}**: {when}, on hold while paused").format(kind=_(s.kind),
                                                                      when=when)
    return _("• **{kind}**: {when}. Next: {at} ({relative})").format(
        kind=_(s.kind), when=when, at=timestamp(status.next_run.at, "F"),
        relative=timestamp(status.next_run.at, "R"))


def problem_line(delivery) -> str:
    """A post being retried, or one that was missed, as the admin reads it in /support status."""
    # Translators: {kind} is a nudge kind like "digest"; {slot} a day and time.
    what = (_("the {kind} post of {slot}").format(kind=_(delivery.kind),
                                                   slot=slot_words(delivery.slot))
            if not delivery.slot.startswith("now:")
            else _("a /support nudge-now {kind}").format(kind=_(delivery.kind)))
    if delivery.status == "sending":
        detail = inert(delivery.detail or _("no answer yet"))
        # Translators: follows the reason a post is being retried.
        tries = (ngettext(" ({count} tries so far)", " ({count} tries so far)",
                          delivery.attempts).format(count=delivery.attempts)
                 if delivery.attempts > 1 else "")
        until = timestamp(from_db(delivery.deadline), "t")
        if delivery.next_attempt_at:
            return _("• ⏳ Retrying {what}: {detail}{tries}; next try {when} (until "
                     "{until}).").format(what=what, detail=detail, tries=tries, until=until,
                                         when=timestamp(from_db(delivery.next_attempt_at), "R"))
        return _("• ⏳ Retrying {what}: {detail}{tries}; trying now (until {until}).").format(
            what=what, detail=detail, tries=tries, until=until)
    at = f" ({timestamp(from_db(delivery.finished_at), 'f')})" if delivery.finished_at else ""
    detail = inert(delivery.detail or _("no reason recorded"))
    if delivery.status == "skipped":
        return _("• ⚠️ Skipped: {what}{at}: {detail}.").format(what=what, at=at, detail=detail)
    return _("• ⚠️ Not posted: {what}{at}: {detail}.").format(what=what, at=at, detail=detail)


def slot_words(slot: str) -> str:
    """'2026-11-27T17:00' → 'Fri 27 Nov 17:00' (the server's local time, as scheduled)."""
    try:
        return datetime.strptime(slot, "%Y-%m-%dT%H:%M").strftime("%a %d %b %H:%M")
    except ValueError:
        return slot


def pause_line(reason: str | None) -> str | None:
    if not reason:
        return None
    return _("⚠️ Group nudges are paused: {reason}. Fix it, then run /support setup to "
             "resume.").format(reason=reason)


# One whole sentence per kind, so each reads right ("an encouragement nudge").
POSTED_NOW: dict[str, str] = {
    "encouragement": N_("Posted an encouragement nudge in {where}. The scheduled ones still "
                        "run."),
    "keep-applying": N_("Posted a keep-applying nudge in {where}. The scheduled ones still "
                        "run."),
    "digest": N_("Posted a digest nudge in {where}. The scheduled ones still run."),
}


# Hidden from non-admins by default; servers can override that, so admin_guild() checks again.
@app_commands.default_permissions(manage_guild=True)
# Translators: command and option names must stay lowercase, one word or hyphenated,
# at most 32 characters, with no spaces.
class Support(commands.GroupCog, group_name=T_("support"),
              group_description=T_("Set up the group's support channel (admins).")):
    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.support = bot.services.support
        self.nudges = bot.services.nudges
        self.scheduler = GroupNudgeScheduler(bot, self.nudges)
        super().__init__()

    async def cog_load(self) -> None:
        await self.scheduler.start()

    async def cog_unload(self) -> None:
        await self.scheduler.stop()

    # For the sandbox and for status: the scheduler's view of things.
    async def catch_up_all(self) -> dict[tuple[int, str], Outcome]:
        return await self.scheduler.catch_up_all()

    def next_runs(self):
        return self.scheduler.next_runs()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # The rows stay (the server may add the bot back); only the jobs go.
        self.scheduler.drop_guild(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        # Added back: a server set up before (and not paused) resumes without a restart.
        await self.scheduler.arm_guild(guild.id)

    async def _pause_notice(self, guild_id: int) -> list[str]:
        config = await self.support.config(guild_id)
        line = pause_line(config.paused_reason if config else None)
        return [line] if line else []

    async def _language_line(self, guild_id: int) -> str:
        chosen = await self.bot.languages.configs.language_of(guild_id)
        name = i18n.language_name(await self.bot.server_language(guild_id))
        if chosen:
            return i18n._("Group posts are in **{language}**.").format(language=name)
        return i18n._("Group posts are in **{language}**, the server's language in Discord "
                      "(language: sets another).").format(language=name)

    # Commands --------------------------------------------------------------------------------

    @app_commands.command(name=T_("setup"),
                          description=T_("Choose the support channel and the group's timezone."))
    @app_commands.describe(
        channel=T_("The channel where shared rejections and group nudges are posted."),
        timezone=T_("The group's timezone as an IANA name, like Europe/Berlin (default UTC)."),
        reports_channel=T_("Where reports of anonymous notes go (default: the server owner, "
                           "by DM)."),
        language=T_("The language of group posts (default: the server's language in Discord)."),
    )
    @app_commands.rename(channel=T_("channel"), timezone=T_("timezone"),
                         reports_channel=T_("reports_channel"), language=T_("language"))
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def setup_command(
        self, interaction: discord.Interaction, channel: discord.TextChannel,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        reports_channel: discord.TextChannel | None = None,
        language: app_commands.Choice[str] | None = None,
    ) -> None:
        guild_id = admin_guild(interaction)
        guild = interaction.guild
        me = guild.me if guild is not None else None
        if me is None:
            raise InvalidInput(_("I can't see my own permissions in this server yet; "
                                 "try again in a moment."))
        for wanted in (channel, reports_channel):
            if wanted is None:
                continue
            missing = missing_permissions(wanted, me)
            if missing:
                raise InvalidInput(
                    _("I can't post in {channel}: I'm missing {permissions} there. Give me "
                      "those permissions in that channel (or pick another) and run /support "
                      "setup again.").format(channel=wanted.mention,
                                             permissions=", ".join(missing))
                )
        result = await self.support.setup(guild_id, channel.id, timezone,
                                          reports_channel.id if reports_channel else None)
        if language is not None:
            await self.bot.languages.set_server(guild_id, language.value)
        await self.scheduler.arm_guild(guild_id)
        status = await self.support.status(guild_id)
        head = (_("Set up: support channel {channel}, timezone **{timezone}**.")
                if result.created else
                _("Updated: support channel {channel}, timezone **{timezone}**."))
        lines = [head.format(channel=channel.mention, timezone=result.config.timezone)]
        reports = result.config.reports_channel_id
        lines.append(_("Reports of anonymous notes go to {channel}.").format(
                         channel=f"<#{reports}>") if reports else
                     _("Reports of anonymous notes go to the server owner by DM "
                       "(reports_channel: sends them to a channel instead)."))
        lines.append(await self._language_line(guild_id))
        if result.lifted_pause:
            lines.append(_("Group nudges were paused ({reason}); they're back on.").format(
                reason=result.lifted_pause))
        lines += ["", _("Group nudges:"), *(schedule_line(k) for k in status.kinds), "",
                  _("Change them with /support schedule; /support status shows the next "
                    "posts.")]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @setup_command.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_choices(current)]

    @app_commands.command(name=T_("schedule"),
                          description=T_("When the bot posts each kind of group nudge."))
    @app_commands.describe(
        kind=T_("Which nudge: encouragement, keep-applying or the weekly digest."),
        days=T_("Days to post, like mon,wed,fri, daily or weekdays (default: keep the "
                "current)."),
        time=T_("Time of day in the group's timezone, e.g. 09:00 or 9am (default: keep the "
                "current)."),
        enabled=T_("Turn this nudge on or off (default: keep the current)."),
    )
    @app_commands.rename(kind=T_("kind"), days=T_("days"), time=T_("time"),
                         enabled=T_("enabled"))
    @app_commands.choices(kind=KINDS)
    async def schedule(
        self, interaction: discord.Interaction, kind: str,
        days: app_commands.Range[str, 1, 60] | None = None,
        time: app_commands.Range[str, 1, 10] | None = None,
        enabled: bool | None = None,
    ) -> None:
        guild_id = admin_guild(interaction)
        status = await self.support.set_schedule(guild_id, kind, days=days, time=time,
                                                 enabled=enabled)
        await self.scheduler.arm(guild_id, kind)
        lines = [*await self._pause_notice(guild_id), _("Saved."), schedule_line(status)]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name=T_("status"),
                          description=T_("The support setup and when each nudge posts next."))
    async def status(self, interaction: discord.Interaction) -> None:
        guild_id = admin_guild(interaction)
        status = await self.support.status(guild_id)
        config = status.config
        lines = [
            _("Support channel: {channel} · timezone **{timezone}**").format(
                channel=f"<#{config.support_channel_id}>", timezone=config.timezone),
            await self._language_line(guild_id),
            *await self._pause_notice(guild_id),
            "",
            _("Group nudges:"),
            *(schedule_line(k) for k in status.kinds),
        ]
        problems = await self.nudges.problems(guild_id)
        if problems:
            lines += ["", _("Posts with trouble (last 7 days):"),
                      *(problem_line(p) for p in problems[:10])]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.command(name=T_("nudge-now"),
                          description=T_("Post one nudge now (scheduled posts are unaffected)."))
    @app_commands.describe(kind=T_("Which nudge to post: encouragement, keep-applying or "
                                   "digest."))
    @app_commands.rename(kind=T_("kind"))
    @app_commands.choices(kind=KINDS)
    async def nudge_now(self, interaction: discord.Interaction, kind: str) -> None:
        guild_id = admin_guild(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The post speaks the server's language; the reply, the admin's.
        with i18n.using(await self.bot.server_language(guild_id)):
            outcome = await self.nudges.post_now(guild_id, kind, self.scheduler.post)
        config = await self.support.config(guild_id)
        # Translators: where a nudge was posted, when the channel can't be named.
        where = f"<#{config.support_channel_id}>" if config else _("the support channel")
        if outcome.status == "posted":
            lines = [_(POSTED_NOW[kind]).format(where=where)]
        elif outcome.status == "paused":
            lines = [_("I couldn't post: {reason}. Group nudges are paused until an admin runs "
                       "/support setup.").format(reason=outcome.detail)]
            self.scheduler.drop_guild(guild_id)
        elif outcome.status == "retrying" and outcome.retry_at is not None:
            lines = [_("Discord isn't taking the post right now ({reason}). I'll keep trying "
                       "for a while (next try {when}); /support status shows how it went. It "
                       "will be posted once, not twice.").format(
                reason=outcome.detail, when=timestamp(outcome.retry_at, "R"))]
        else:
            lines = [_("Nothing was posted: {reason}. /support status lists it with the "
                       "scheduled posts.").format(
                reason=inert(outcome.detail or _("Discord refused it")))]
        await interaction.followup.send("\n".join(lines), ephemeral=True)


    @app_commands.command(name=T_("block"),
                          description=T_("Stop a member sending anonymous notes in this server."))
    @app_commands.describe(member=T_("Who may no longer send anonymous notes here."))
    @app_commands.rename(member=T_("member"))
    async def block(self, interaction: discord.Interaction, member: discord.User) -> None:
        guild_id = admin_guild(interaction)
        name = inert(member.display_name)
        if await self.support.block(guild_id, member.id, interaction.user.id):
            reply = _("Blocked: {name} can no longer send anonymous notes in this server. "
                      "Notes with their name still work. /support unblock lifts it.").format(
                name=name)
        else:
            reply = _("{name} was already blocked from sending anonymous notes here.").format(
                name=name)
        await interaction.response.send_message(reply, ephemeral=True)

    @app_commands.command(name=T_("unblock"),
                          description=T_("Let a blocked member send anonymous notes here again."))
    @app_commands.describe(member=T_("Who may send anonymous notes here again."))
    @app_commands.rename(member=T_("member"))
    async def unblock(self, interaction: discord.Interaction, member: discord.User) -> None:
        guild_id = admin_guild(interaction)
        name = inert(member.display_name)
        if await self.support.unblock(guild_id, member.id):
            reply = _("Unblocked: {name} can send anonymous notes in this server again.").format(
                name=name)
        else:
            reply = _("{name} wasn't blocked from sending anonymous notes here.").format(
                name=name)
        await interaction.response.send_message(reply, ephemeral=True)


async def setup(bot: Onward) -> None:
    await bot.add_cog(Support(bot))
