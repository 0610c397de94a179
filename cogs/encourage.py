"""Sharing a rejection with the group, and notes of encouragement: /encourage, the Share with
the group button, and the Send encouragement buttons under each shared post."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import custom_ids
from bot.errors import NotAllowed, UserFacingError
from bot.formatting import inert
from bot.scheduling.group_nudges import EMBED_COLOUR
from bot.scheduling.posting import post_to_channel
from bot.services import text
from bot.services.member_settings import MemberSettingsService
from bot.services.nudges import ChannelUnavailable, PostFailed
from bot.services.outbox import NOTE_KIND
from bot.services.sharing import SharingService, note_text, share_post
from bot.tree import handle_interaction_error
from bot.ui import OnwardModal, PersistentButton

log = logging.getLogger(__name__)

PAUSE_NOTES_LABEL = "Pause notes by DM"
# The sender learns nothing about the recipient's settings: the same words whether the note
# goes by DM now, waits for their quiet hours or pacing, or waits for their next command.
SENT_REPLY = "Sent. Thank you for taking a moment for them."


def encourage_buttons(share_id: int) -> discord.ui.View:
    """The buttons under a shared post. Clicks are handled by EncourageButton (registered as a
    dynamic item), so the view is stopped: discord.py then doesn't keep one per post in memory."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label="Send encouragement", style=discord.ButtonStyle.primary,
        custom_id=custom_ids.encourage(share_id, anonymous=False)))
    view.add_item(discord.ui.Button(
        label="Send anonymously", style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.encourage(share_id, anonymous=True)))
    view.stop()
    return view


def note_buttons() -> discord.ui.View:
    """The pause every note by DM carries (clicks go to PauseNotesButton, so no view is kept)."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label=PAUSE_NOTES_LABEL, style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.pause_notes()))
    view.stop()
    return view


def cog_of(interaction: discord.Interaction) -> Encourage:
    cog = interaction.client.get_cog("Encourage")  # type: ignore[union-attr]
    assert isinstance(cog, Encourage), "the encourage cog registers these buttons"
    return cog


class ShareButton(PersistentButton, template=custom_ids.SHARE):
    """Share with the group, under a /rejection log reply."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(label="Share with the group",
                                           custom_id=custom_ids.share(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await cog_of(interaction).share_entry(interaction, self.rejection_id)
        await interaction.followup.send(reply, ephemeral=True)


class EncourageButton(PersistentButton, template=custom_ids.ENCOURAGE):
    """Send encouragement / Send anonymously, under a shared post."""

    def __init__(self, share_id: int, anonymous: bool) -> None:
        super().__init__(discord.ui.Button(
            label="Send anonymously" if anonymous else "Send encouragement",
            custom_id=custom_ids.encourage(share_id, anonymous)))
        self.share_id = share_id
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["share_id"]), match["mode"] == "anon")

    async def on_click(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction)
        await cog.sharing.check_can_encourage(interaction.user.id, self.share_id)
        await interaction.response.send_modal(NoteModal(cog, self.share_id, self.anonymous))


class PauseNotesButton(PersistentButton, template=custom_ids.PAUSE_NOTES):
    """Pause notes by DM, under each note of encouragement sent by DM."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label=PAUSE_NOTES_LABEL,
                                           custom_id=custom_ids.pause_notes()))

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls()

    async def on_click(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).member_settings.pause(interaction.user.id, "encouragement_dms")
        await interaction.response.send_message(
            "Paused: notes of encouragement won't come by DM any more. Nothing is lost: I'll "
            "show them to you privately the next time you use one of my commands. Turn them "
            "back on any time with /settings encouragement_dms:True.", ephemeral=True)
        interaction.client.dispatch("interaction_answered", interaction)


class NoteModal(OnwardModal):
    def __init__(self, cog: Encourage, share_id: int, anonymous: bool) -> None:
        super().__init__(
            title="Send a note anonymously" if anonymous else "Send a note of encouragement",
            timeout=15 * 60,
        )
        self.cog = cog
        self.share_id = share_id
        self.anonymous = anonymous
        self.note = discord.ui.TextInput(
            label="Your note (they get it privately)", style=discord.TextStyle.paragraph,
            max_length=text.MESSAGE_MAX,
            placeholder="Been there too. It says nothing about you; the right team is out there.",
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        encouragement = await self.cog.sharing.encourage_share(
            sender_id=interaction.user.id, share_id=self.share_id, message=self.note.value,
            anonymous=self.anonymous,
        )
        await self.cog.deliver(interaction, encouragement)
        await interaction.followup.send(SENT_REPLY, ephemeral=True)


class Encourage(commands.Cog):
    """Sharing with the group and sending encouragement."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.sharing = SharingService(bot.database, bot.clock)
        self.member_settings = MemberSettingsService(bot.database, bot.clock)

    # Sharing -----------------------------------------------------------------------------------

    async def share_entry(self, interaction: discord.Interaction, rejection_id: int) -> str:
        """Post the entry to the support channel; returns what to tell the member."""
        claim = await self.sharing.start_share(
            interaction.user.id, interaction.guild_id, rejection_id
        )
        author = inert(interaction.user.display_name) if claim.named else None
        post = share_post(company=inert(claim.entry.company), stage=claim.entry.stage,
                          author_name=author)
        embed = discord.Embed(title=post.title, description=post.description,
                              colour=EMBED_COLOUR)
        embed.set_footer(text=post.footer)
        try:
            message = await post_to_channel(
                self.bot, claim.channel_id, guild_id=interaction.guild_id, embed=embed,
                view=encourage_buttons(claim.share_id),
            )
        except ChannelUnavailable as gone:
            await self.sharing.abandon_share(claim.share_id, pause_guild=interaction.guild_id,
                                             reason=gone.reason)
            raise NotAllowed(
                f"I couldn't post it: {gone.reason}. The server's admins will see why at their "
                "next /support command. Your entry stays private."
            ) from gone
        except PostFailed as failed:
            await self.sharing.abandon_share(claim.share_id)
            raise UserFacingError(
                "Discord didn't accept the post, so nothing was shared. Please try again in a "
                "minute."
            ) from failed
        await self.sharing.finish_share(claim.share_id, message.id)
        preview = post.description.split("\n", 1)[0]
        if claim.named:
            how = "with your name (you logged it as named)"
        else:
            how = "anonymously: your name isn't shown"
        return (f"Posted to <#{claim.channel_id}> {how}. Only the company and stage are shown, "
                f"never your note.\nPreview: {preview}")

    @commands.Cog.listener()
    async def on_rejection_shared(self, interaction: discord.Interaction, entry) -> None:
        """/rejection log with share:anonymous or share:named; its reply is already sent."""
        try:
            reply = await self.share_entry(interaction, entry.id)
            await interaction.followup.send(reply, ephemeral=True)
        except Exception as error:  # noqa: BLE001 - listeners have no tree error path
            await handle_interaction_error(interaction, error)

    # Encouragement -----------------------------------------------------------------------------

    async def deliver(self, interaction: discord.Interaction, encouragement) -> None:
        """Hand the note to the outbox: the one DM policy decides when it reaches them (after
        their quiet hours, at most one DM of notes every 3 hours, shown privately at their next
        command when their DMs are closed or paused). Nothing is ever posted in a channel, and
        the sender's reply is the same whatever happens."""
        guild = interaction.guild
        outbox = self.bot.outbox  # type: ignore[attr-defined]
        content = note_text(
            encouragement, sender_name=inert(interaction.user.display_name),
            group_name=inert(guild.name) if guild is not None else None,
            message=inert(encouragement.message),
            about=await outbox.service.note_about(encouragement),
        )
        await outbox.enqueue(encouragement.recipient_id, NOTE_KIND,
                             subject_id=encouragement.id, content=content)

    @app_commands.command(name="encourage",
                          description="Send a member a note of encouragement, privately.")
    @app_commands.describe(
        member="Who the note is for.",
        message="Your note; they receive it by DM.",
        anonymous="Hide your name from them (default: they see who sent it).",
    )
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
        await interaction.followup.send(SENT_REPLY, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ShareButton, EncourageButton, PauseNotesButton)
    await bot.add_cog(Encourage(bot))


async def teardown(bot: commands.Bot) -> None:
    bot.remove_dynamic_items(ShareButton, EncourageButton, PauseNotesButton)
