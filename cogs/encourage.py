"""Sharing a rejection with the group, and notes of encouragement: /encourage, the Share with
the group button and its preview (Post it / Cancel), the Send encouragement buttons under each
shared post, Report under each anonymous note, and the scheduled posting of anonymous shares."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import custom_ids, i18n
from bot.clock import from_db
from bot.errors import NotAllowed, UserFacingError
from bot.formatting import inert, timestamp
from bot.i18n import N_, _
from bot.scheduling.group_nudges import EMBED_COLOUR
from bot.scheduling.posting import post_to_channel
from bot.services import text
from bot.services.nudges import ChannelUnavailable, PostFailed
from bot.services.outbox import NOTE_KIND
from bot.services.personal import Button
from bot.services.sharing import (
    SHARE_TIMER,
    WIN_TIMER,
    ShareClaim,
    SharePost,
    SharePreview,
    SharingService,
    WinPreview,
    note_text,
    quote,
    win_post,
)
from bot.ui import OnwardModal, PersistentButton
from cogs.apply import disabled

if TYPE_CHECKING:
    from bot.client import Onward

log = logging.getLogger(__name__)

PAUSE_NOTES_LABEL = N_("Pause notes by DM")
REPORT_LABEL = N_("Report")
DELETE_TIMEOUT_SECONDS = 10
# The sender learns nothing about the recipient's settings: the same words whether the note
# goes by DM now, waits for their quiet hours or pacing, or waits for their next command.
SENT_REPLY = N_("Sent. Thank you for taking a moment for them.")


def encourage_buttons(share_id: int) -> discord.ui.View:
    """The buttons under a shared post. Clicks are handled by EncourageButton (registered as a
    dynamic item), so the view is stopped: discord.py then doesn't keep one per post in memory."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label=_("Send encouragement"), style=discord.ButtonStyle.primary,
        custom_id=custom_ids.encourage(share_id, anonymous=False)))
    view.add_item(discord.ui.Button(
        label=_("Send anonymously"), style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.encourage(share_id, anonymous=True)))
    view.stop()
    return view


def share_nonce(share_id: int) -> str:
    """One share is one post: a retry after an unknown outcome can't post it twice."""
    return f"share-{share_id}"


def preview_buttons(rejection_id: int, *, named: bool, show_company: bool,
                    disabled: bool = False) -> discord.ui.View:
    """Post it / Cancel under a share preview; disabled once one of them was used."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label=_("Post it"), style=discord.ButtonStyle.success, disabled=disabled,
        custom_id=custom_ids.share_post(rejection_id, named=named, show_company=show_company)))
    view.add_item(discord.ui.Button(
        label=_("Cancel"), style=discord.ButtonStyle.secondary, disabled=disabled,
        custom_id=custom_ids.share_cancel(rejection_id)))
    view.stop()
    return view


def post_embed(post: SharePost) -> discord.Embed:
    embed = discord.Embed(title=post.title, description=post.description, colour=EMBED_COLOUR)
    embed.set_footer(text=post.footer)
    return embed


def render_post(sharing: SharingService, entry, *, named: bool, show_company: bool,
                author_name: str | None) -> SharePost:
    return sharing.post_for(entry, named=named, show_company=show_company,
                            author_name=author_name, render=inert)


ANONYMOUS_WHEN = N_("After **Post it** it goes up at a random moment 5–60 minutes later, so "
                    "its timing doesn't point at you.")
NOTHING_UNTIL_THEN = N_("Nothing is posted until then.")


def preview_message(preview: SharePreview, author_name: str
                    ) -> tuple[str, discord.Embed, discord.ui.View]:
    """The private preview: exactly the post the group would see, with Post it and Cancel."""
    entry = preview.entry
    post = SharingService.post_for(entry, named=preview.named, show_company=preview.show_company,
                                   author_name=author_name, render=inert)
    if preview.named:
        head = _("**Preview** of **#{number}** shared with your name in {channel}: this is "
                 "exactly what the group will see.")
        when = _("It goes up as soon as you press **Post it**.")
    else:
        head = _("**Preview** of **#{number}** shared anonymously in {channel}: this is "
                 "exactly what the group will see.")
        when = _(ANONYMOUS_WHEN)
    company = (_("The company is shown.") if preview.show_company
               else _("The company isn't shown (show_company:True would show it)."))
    content = (
        head.format(number=entry.number, channel=f"<#{preview.channel_id}>")
        + f" {company} " + _("Your role and note are never shown.")
        + f"\n{when} " + _(NOTHING_UNTIL_THEN)
    )
    view = preview_buttons(entry.id, named=preview.named, show_company=preview.show_company)
    return content, post_embed(post), view


def win_preview_message(preview: WinPreview, author_name: str, *, disabled: bool = False
                        ) -> tuple[str, discord.Embed, discord.ui.View]:
    """The private preview of good news: the post the group would see, Post it, a switch
    between named and anonymous, and Cancel."""
    post = win_post(status=preview.status, author_name=inert(author_name) if preview.named
                    else None)
    if preview.named:
        head = _("**Preview** of your good news (application #{number}) shared with your name "
                 "in {channel}: this is exactly what the group will see. The company and role "
                 "are never shown.")
        when = _("It goes up as soon as you press **Post it**.")
    else:
        head = _("**Preview** of your good news (application #{number}) shared anonymously "
                 "in {channel}: this is exactly what the group will see. The company and role "
                 "are never shown.")
        when = _(ANONYMOUS_WHEN)
    content = (head.format(number=preview.number, channel=f"<#{preview.channel_id}>")
               + f"\n{when} " + _(NOTHING_UNTIL_THEN))
    view = discord.ui.View(timeout=None)
    app_id, named = preview.application_id, preview.named
    view.add_item(discord.ui.Button(
        label=_("Post it"), style=discord.ButtonStyle.success, disabled=disabled,
        custom_id=custom_ids.good_news_post(app_id, named=named, action="go")))
    view.add_item(discord.ui.Button(
        label=_("Stay anonymous") if named else _("Use my name"),
        style=discord.ButtonStyle.secondary,
        disabled=disabled,
        custom_id=custom_ids.good_news_post(app_id, named=named, action="switch")))
    view.add_item(discord.ui.Button(
        label=_("Cancel"), style=discord.ButtonStyle.secondary, disabled=disabled,
        custom_id=custom_ids.good_news_post(app_id, named=named, action="cancel")))
    view.stop()
    return content, post_embed(post), view


def cog_of(interaction: discord.Interaction[Onward]) -> Encourage:
    cog = interaction.client.get_cog("Encourage")
    assert isinstance(cog, Encourage), "the encourage cog registers these buttons"
    return cog


async def delete_posts(bot: discord.Client, posts) -> int:
    """Delete shared posts (anything with channel_id, guild_id and message_id) from their
    channels; returns how many are gone (already deleted ones count as gone)."""
    async def delete(post) -> bool:
        if post.message_id is None or post.channel_id is None:
            return False
        channel = bot.get_partial_messageable(post.channel_id, guild_id=post.guild_id)
        try:
            await asyncio.wait_for(channel.get_partial_message(post.message_id).delete(),
                                   DELETE_TIMEOUT_SECONDS)
        except discord.NotFound:
            return True
        except (TimeoutError, discord.HTTPException) as error:
            log.warning("could not delete message %s in channel %s: %s",
                        post.message_id, post.channel_id, error)
            return False
        return True

    return sum(await asyncio.gather(*(delete(p) for p in posts)))


async def report_to_owner(bot, owner_id: int, content: str) -> None:
    """A report of an anonymous note for a server without a reports channel: to its owner, by
    DM, through the outbox like every DM (their quiet hours and pacing hold)."""
    await bot.outbox.enqueue(owner_id, "report", content=content,
                             about=_("A report of an anonymous note"))


class ShareButton(PersistentButton, template=custom_ids.SHARE):
    """Share with the group, under a /rejection log reply: the same preview as /rejection share
    (anonymous, company hidden)."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Share with the group"),
                                           custom_id=custom_ids.share(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        await cog_of(interaction).send_preview(interaction, self.rejection_id, named=False,
                                               show_company=False, from_button=True)


class PostItButton(PersistentButton, template=custom_ids.SHARE_POST):
    def __init__(self, rejection_id: int, named: bool, show_company: bool) -> None:
        super().__init__(discord.ui.Button(label=_("Post it"), custom_id=custom_ids.share_post(
            rejection_id, named=named, show_company=show_company)))
        self.rejection_id = rejection_id
        self.named = named
        self.show_company = show_company

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["rejection_id"]), match["mode"] == "named", match["company"] == "1")

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        await cog_of(interaction).post_it(interaction, self.rejection_id, named=self.named,
                                          show_company=self.show_company)


class CancelShareButton(PersistentButton, template=custom_ids.SHARE_CANCEL):
    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Cancel"),
                                           custom_id=custom_ids.share_cancel(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        await cog_of(interaction).cancel_preview(interaction, self.rejection_id)


class EncourageButton(PersistentButton, template=custom_ids.ENCOURAGE):
    """Send encouragement / Send anonymously, under a shared post."""

    def __init__(self, share_id: int, anonymous: bool) -> None:
        super().__init__(discord.ui.Button(
            label=_("Send anonymously") if anonymous else _("Send encouragement"),
            custom_id=custom_ids.encourage(share_id, anonymous)))
        self.share_id = share_id
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["share_id"]), match["mode"] == "anon")

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cog_of(interaction)
        await cog.sharing.check_can_encourage(interaction.user.id, self.share_id, self.anonymous)
        await interaction.response.send_modal(NoteModal(cog, self.share_id, self.anonymous))


class PauseNotesButton(PersistentButton, template=custom_ids.PAUSE_NOTES):
    """Pause notes by DM, under each note of encouragement sent by DM."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label=_(PAUSE_NOTES_LABEL),
                                           custom_id=custom_ids.pause_notes()))

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls()

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        await cog_of(interaction).member_settings.pause(interaction.user.id, "encouragement_dms")
        await interaction.response.send_message(
            _("Paused: notes of encouragement won't come by DM any more. Nothing is lost: "
              "I'll show them to you privately the next time you use one of my commands. Turn "
              "them back on any time with /settings encouragement_dms:True."), ephemeral=True)
        await interaction.client.notices.show(interaction)


class ReportButton(PersistentButton, template=custom_ids.REPORT_NOTE):
    """Report, under every anonymous note: the note and its sender go to the server's admins."""

    def __init__(self, encouragement_id: int) -> None:
        super().__init__(discord.ui.Button(
            label=_(REPORT_LABEL), custom_id=custom_ids.report_note(encouragement_id)))
        self.encouragement_id = encouragement_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["encouragement_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        await cog_of(interaction).report(interaction, self.encouragement_id)


class NoteModal(OnwardModal):
    def __init__(self, cog: Encourage, share_id: int, anonymous: bool) -> None:
        super().__init__(
            title=_("Send a note anonymously") if anonymous
            else _("Send a note of encouragement"),
            timeout=15 * 60,
        )
        self.cog = cog
        self.share_id = share_id
        self.anonymous = anonymous
        self.note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
            label=_("Your note (they get it privately)"), style=discord.TextStyle.paragraph,
            max_length=text.MESSAGE_MAX,
            placeholder=_("Been there too. It says nothing about you; the right team is out "
                          "there."),
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        encouragement = await self.cog.sharing.encourage_share(
            sender_id=interaction.user.id, share_id=self.share_id, message=self.note.value,
            anonymous=self.anonymous,
        )
        await self.cog.deliver(interaction, encouragement)
        await interaction.followup.send(_(SENT_REPLY), ephemeral=True)


async def send_share_preview(
    interaction: discord.Interaction, sharing: SharingService, rejection_id: int | str, *,
    named: bool, show_company: bool, from_button: bool = False,
) -> None:
    """Answer (or follow up) with the private preview of a share: what would be posted, with
    Post it and Cancel. Never a post by itself."""
    preview = await sharing.preview(
        interaction.user.id, interaction.guild_id, rejection_id, named=named,
        show_company=show_company, from_button=from_button)
    content, embed, view = preview_message(preview, interaction.user.display_name)
    if interaction.response.is_done():
        await interaction.followup.send(content, embed=embed, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(content, embed=embed, view=view, ephemeral=True)


class Encourage(commands.Cog):
    """Sharing with the group and sending encouragement."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.sharing = bot.services.sharing
        self.member_settings = bot.services.member_settings
        # Anonymous shares go up at their random moment: a share_post timer row.
        bot.engine.register(SHARE_TIMER, self._on_share_timer)
        bot.engine.register(WIN_TIMER, self._on_win_timer)

    # Sharing: preview first --------------------------------------------------------------------

    async def send_preview(
        self, interaction: discord.Interaction, rejection_id: int | str, *, named: bool,
        show_company: bool, from_button: bool = False,
    ) -> None:
        await send_share_preview(interaction, self.sharing, rejection_id, named=named,
                                 show_company=show_company, from_button=from_button)

    async def post_it(self, interaction: discord.Interaction, rejection_id: int, *,
                      named: bool, show_company: bool) -> None:
        claim = await self.sharing.post_it(
            interaction.user.id, interaction.guild_id, rejection_id, named=named,
            show_company=show_company)
        done = preview_buttons(rejection_id, named=named, show_company=show_company,
                               disabled=True)
        if not named:
            assert claim.post_at is not None
            at = claim.post_at
            await interaction.response.edit_message(
                # Translators: {time} is a time of day, {when} reads like "in 20 minutes".
                content=_("Scheduled: **#{number}** goes up anonymously in {channel} at {time} "
                          "({when}), a random moment so its timing doesn't point at you. Only "
                          "what the preview below shows is posted. /rejection unshare takes it "
                          "back.").format(number=claim.entry.number,
                                          channel=f"<#{claim.channel_id}>",
                                          time=timestamp(at, "t"), when=timestamp(at, "R")),
                view=done)
            await self.bot.engine.wake(at)
            return
        await interaction.response.edit_message(content=_("Posting…"), view=done)
        await self._post_named(interaction, claim)

    async def _post_named(self, interaction: discord.Interaction, claim: ShareClaim) -> None:
        # A group post speaks the server's language.
        with i18n.using(await self.bot.server_language(interaction.guild_id or 0)):
            post = render_post(self.sharing, claim.entry, named=True,
                               show_company=claim.show_company,
                               author_name=interaction.user.display_name)
            embed, view = post_embed(post), encourage_buttons(claim.share_id)
        try:
            message = await post_to_channel(
                self.bot, claim.channel_id, guild_id=interaction.guild_id,
                embed=embed, view=view, nonce=share_nonce(claim.share_id))
        except ChannelUnavailable as gone:
            await self.sharing.abandon_share(claim.share_id, pause_guild=interaction.guild_id,
                                             reason=gone.reason)
            raise NotAllowed(
                _("I couldn't post it: {reason}. The server's admins will see why at their "
                  "next /support command. Your entry stays private.").format(reason=gone.reason)
            ) from gone
        except PostFailed as failed:
            await self.sharing.abandon_share(claim.share_id)
            raise UserFacingError(
                _("Discord didn't accept the post, so nothing was shared. Please try again in a "
                  "minute with /rejection share.")
            ) from failed
        await self.sharing.finish_share(claim.share_id, message.id)
        await interaction.edit_original_response(
            content=_("Posted **#{number}** to {channel} with your name, exactly as the "
                      "preview below shows. /rejection unshare takes it down.").format(
                number=claim.entry.number, channel=f"<#{claim.channel_id}>"))

    async def cancel_preview(self, interaction: discord.Interaction, rejection_id: int) -> None:
        await self.sharing.cancel_preview(interaction.user.id, interaction.guild_id, rejection_id)
        # Both buttons shown disabled: which Post it it was no longer matters.
        await interaction.response.edit_message(
            content=_("Cancelled: nothing was posted. Your entry stays private in your "
                      "journal."),
            embed=None,
            view=preview_buttons(rejection_id, named=False, show_company=False, disabled=True))

    # Scheduled anonymous shares ----------------------------------------------------------------

    async def _on_share_timer(self, timer) -> None:
        if timer.subject_id is not None:
            await self.post_scheduled_share(timer.subject_id)

    async def post_scheduled_share(self, share_id: int) -> None:
        """The share_post timer handler: post one scheduled anonymous share, if it is still
        wanted. Posting happens at most once (the share row is claimed first)."""
        ready = await self.sharing.start_scheduled_post(share_id)
        if ready is None:
            return
        share = ready.share
        with i18n.using(await self.bot.server_language(share.guild_id)):
            post = render_post(self.sharing, ready.entry, named=False,
                               show_company=share.show_company, author_name=None)
            embed, view = post_embed(post), encourage_buttons(share.id)
        try:
            message = await post_to_channel(
                self.bot, ready.channel_id, guild_id=share.guild_id, embed=embed,
                view=view, nonce=share_nonce(share.id))
        except ChannelUnavailable as gone:
            await self.sharing.abandon_share(share.id, pause_guild=share.guild_id,
                                             reason=gone.reason)
            return
        except PostFailed:
            due = await self.sharing.retry_scheduled(share.id)
            if due is not None:
                await self.bot.engine.wake(due)
            return
        await self.sharing.finish_share(share.id, message.id)

    # Good news ---------------------------------------------------------------------------------

    async def send_win_preview(self, interaction: discord.Interaction, application_id: int, *,
                               named: bool, replace: bool = False) -> None:
        """The private preview of "Share the good news" (a new message, or this one replaced)."""
        preview = await self.sharing.win_preview(interaction.user.id, interaction.guild_id,
                                                 application_id, named=named)
        content, embed, view = win_preview_message(preview, interaction.user.display_name)
        if replace:
            await interaction.response.edit_message(content=content, embed=embed, view=view)
        else:
            await interaction.response.send_message(content, embed=embed, view=view,
                                                    ephemeral=True)

    async def post_win(self, interaction: discord.Interaction, application_id: int, *,
                       named: bool) -> None:
        """Post it on a good-news preview: the same path as a shared rejection's post."""
        claim = await self.sharing.post_win(interaction.user.id, interaction.guild_id,
                                            application_id, named=named)
        done = disabled(interaction.message)
        if claim.post_at is not None:
            at = claim.post_at
            await interaction.response.edit_message(
                content=_("Scheduled: your good news goes up anonymously in {channel} at "
                          "{time} ({when}), a random moment so its timing doesn't point at you. "
                          "Only what the preview below shows is posted.").format(
                    channel=f"<#{claim.channel_id}>", time=timestamp(at, "t"),
                    when=timestamp(at, "R")), view=done)
            await self.bot.engine.wake(at)
            return
        await interaction.response.edit_message(content=_("Posting…"), view=done)
        with i18n.using(await self.bot.server_language(interaction.guild_id or 0)):
            embed = post_embed(win_post(status=claim.status,
                                        author_name=inert(interaction.user.display_name)))
        try:
            message = await post_to_channel(self.bot, claim.channel_id,
                                            guild_id=interaction.guild_id, embed=embed)
        except (ChannelUnavailable, PostFailed) as failed:
            await self.sharing.abandon_win(claim.win_id)
            raise UserFacingError(_("Discord didn't accept the post, so nothing was shared. "
                                    "Please try again in a minute.")) from failed
        await self.sharing.finish_win(claim.win_id, message.id)
        await interaction.edit_original_response(
            content=_("Posted your good news to {channel} with your name, exactly as the "
                      "preview below shows. Congratulations!").format(
                channel=f"<#{claim.channel_id}>"))

    async def remove_application_posts(self, user_id: int, application_id: int) -> int:
        """The good news shared from one application taken down (waiting ones stopped)."""
        return await delete_posts(self.bot, await self.sharing.take_down_wins(user_id,
                                                                               application_id))

    async def _on_win_timer(self, timer) -> None:
        """Anonymous good news whose moment has come (the timer runs once)."""
        win = await self.sharing.scheduled_win(timer.subject_id or 0)
        if win is None:
            return
        with i18n.using(await self.bot.server_language(win.guild_id)):
            embed = post_embed(win_post(status=win.status, author_name=None))
        try:
            message = await post_to_channel(self.bot, win.channel_id, guild_id=win.guild_id,
                                            embed=embed, nonce=f"win-{win.id}")
        except (ChannelUnavailable, PostFailed) as error:
            log.warning("good news %s not posted: %s", win.id, error)
            await self.sharing.abandon_win(win.id)
            return
        await self.sharing.finish_win(win.id, message.id)

    # Taking posts down -------------------------------------------------------------------------

    async def remove_entry_posts(self, user_id: int, rejection_id: int) -> int:
        """Every post of one entry, in every server, taken down (pending anonymous shares
        cancelled); the entry itself stays. Returns how many channel messages were deleted."""
        shares = await self.sharing.take_down_entry(user_id, rejection_id)
        return await delete_posts(self.bot, shares)

    # Reports -----------------------------------------------------------------------------------

    async def report(self, interaction: discord.Interaction, encouragement_id: int) -> None:
        report = await self.sharing.report(interaction.user.id, encouragement_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        note = report.note
        sender = await self._name_of(note.sender_id)
        guild = self.bot.get_guild(report.guild_id)
        head = (_("**Report of an anonymous note** sent in {server} via Onward.").format(
                    server=inert(guild.name)) if guild is not None else
                _("**Report of an anonymous note** sent in this server via Onward."))
        content = "\n".join([
            head,
            # Translators: {mention} tags the sender; {name} is their user name, {id} a number.
            _("**Sent by:** {mention} ({name}, id {id})").format(
                mention=f"<@{note.sender_id}>", name=sender, id=note.sender_id),
            _("**To:** {mention} (id {id}), who reported it").format(
                mention=f"<@{note.recipient_id}>", id=note.recipient_id),
            _("**Sent:** {at}").format(at=timestamp(from_db(note.created_at), "f")),
            _("**The note:**"),
            quote(inert(note.message)),
            _("-# /support block member: stops them sending anonymous notes in this server."),
        ])
        delivered = False
        if report.reports_channel_id is not None:
            try:
                await post_to_channel(self.bot, report.reports_channel_id,
                                      guild_id=report.guild_id, content=content,
                                      nonce=f"report-{encouragement_id}")
                delivered = True
            except (ChannelUnavailable, PostFailed) as error:
                log.warning("report channel %s unavailable (%s); telling the owner",
                            report.reports_channel_id, error)
        if not delivered:
            owner_id = guild.owner_id if guild is not None else None
            if owner_id is not None:
                await report_to_owner(self.bot, owner_id, content)
                delivered = True
        if not delivered:
            raise UserFacingError(
                _("I couldn't reach this server's admins just now, so the report didn't go out. "
                  "Please try again in a few minutes.")
            )
        await interaction.followup.send(
            _("Thank you for reporting it. The note and who sent it are on their way to the "
              "server's admins, and nobody else. If you'd rather not get anonymous notes at "
              "all, /settings anonymous_notes:False turns them off."), ephemeral=True)

    async def _name_of(self, user_id: int) -> str:
        user = self.bot.get_user(user_id)
        if user is None:
            try:
                user = await self.bot.fetch_user(user_id)
            except discord.HTTPException:
                return _("name unknown")
        return inert(user.name)

    # Encouragement -----------------------------------------------------------------------------

    async def deliver(self, interaction: discord.Interaction, encouragement) -> None:
        """Hand the note to the outbox: the one DM policy decides when it reaches them (after
        their quiet hours, at most one DM of notes every 3 hours, shown privately at their next
        command when their DMs are closed or paused). Nothing is ever posted in a channel, and
        the sender's reply is the same whatever happens."""
        guild = interaction.guild
        outbox = self.bot.outbox
        # Made in the recipient's language, not the sender's.
        with i18n.using(await self.bot.member_language(encouragement.recipient_id)):
            content = note_text(
                encouragement, sender_name=inert(interaction.user.display_name),
                group_name=inert(guild.name) if guild is not None else None,
                message=inert(encouragement.message),
                about=await outbox.service.note_about(encouragement),
            )
            report = ([Button(_(REPORT_LABEL), custom_ids.report_note(encouragement.id))]
                      if encouragement.anonymous else [])
        await outbox.enqueue(encouragement.recipient_id, NOTE_KIND,
                             subject_id=encouragement.id, content=content, buttons=report)

    # Translators: command and option names must stay lowercase, one word or hyphenated,
    # at most 32 characters, with no spaces.
    @app_commands.command(name=T_("encourage"),
                          description=T_("Send a member a note of encouragement, privately."))
    @app_commands.describe(
        member=T_("Who the note is for."),
        message=T_("Your note; they receive it by DM."),
        anonymous=T_("Hide your name from them (default: they see who sent it)."),
    )
    @app_commands.rename(member=T_("member"), message=T_("message"),
                         anonymous=T_("anonymous"))
    async def encourage(
        self, interaction: discord.Interaction, member: discord.User,
        message: app_commands.Range[str, 1, text.MESSAGE_MAX], anonymous: bool = False,
    ) -> None:
        encouragement = await self.sharing.encourage(
            sender_id=interaction.user.id, recipient_id=member.id,
            guild_id=interaction.guild_id, message=message, anonymous=anonymous,
            recipient_is_bot=member.bot,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.deliver(interaction, encouragement)
        await interaction.followup.send(_(SENT_REPLY), ephemeral=True)


DYNAMIC_ITEMS = (ShareButton, PostItButton, CancelShareButton, EncourageButton,
                 PauseNotesButton, ReportButton)


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Encourage(bot))


async def teardown(bot: Onward) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
