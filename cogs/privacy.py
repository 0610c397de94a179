"""/privacy export and /privacy delete."""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.privacy import DigestPost
from bot.i18n import _, ngettext
from bot.scheduling.group_nudges import nudge_embed
from bot.services.nudges import NudgePost
from bot.services.privacy import (
    CONFIRM_SECONDS,
    ConfirmationExpired,
    describe_counts,
)
from bot.ui import PersistentButton
from cogs.encourage import delete_posts

if TYPE_CHECKING:
    from bot.client import Onward

log = logging.getLogger(__name__)

# Discord refuses attachments over 10 MiB on servers without boosts; stay well under it.
ATTACHMENT_LIMIT = 8 * 1024 * 1024
EDIT_TIMEOUT_SECONDS = 10


class ConfirmDelete(PersistentButton, template=custom_ids.PRIVACY_DELETE):
    def __init__(self, user_id: int, deadline: int) -> None:
        super().__init__(discord.ui.Button(
            label=_("Delete everything"), style=discord.ButtonStyle.danger,
            custom_id=custom_ids.privacy_delete(user_id, deadline)))
        self.user_id = user_id
        self.deadline = deadline

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> ConfirmDelete:
        return cls(int(match["user_id"]), int(match["deadline"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Privacy, interaction.client.get_cog("Privacy"))
        await cog.confirmed(interaction, self.user_id, self.deadline)


class KeepData(PersistentButton, template=custom_ids.PRIVACY_KEEP):
    def __init__(self, user_id: int) -> None:
        super().__init__(discord.ui.Button(
            label=_("Keep my data"), style=discord.ButtonStyle.secondary,
            custom_id=custom_ids.privacy_keep(user_id)))
        self.user_id = user_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> KeepData:
        return cls(int(match["user_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Privacy, interaction.client.get_cog("Privacy"))
        await cog.kept(interaction, self.user_id)


# Translators: command and option names must stay lowercase, one word or hyphenated,
# at most 32 characters, with no spaces.
class Privacy(commands.GroupCog, group_name=T_("privacy"),
              group_description=T_("Take your data with you, or remove it.")):
    """Take your data with you, or remove it."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.privacy = bot.services.privacy
        # How long the confirmation message keeps its buttons (the deadline in the button's
        # id is what decides; this only tidies the message when the time is up).
        self.confirm_seconds: float = CONFIRM_SECONDS
        self._expiries: dict[int, set[asyncio.Task]] = {}
        super().__init__()

    async def cog_unload(self) -> None:
        for tasks in self._expiries.values():
            for task in tasks:
                task.cancel()
        self._expiries.clear()

    @app_commands.command(name=T_("export"),
                          description=T_("Get a file with all of your Onward data."))
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        export = await self.privacy.export(interaction.user.id)
        content, filename = export.content, export.filename
        if len(content) > ATTACHMENT_LIMIT:
            content, filename = gzip.compress(content), filename + ".gz"
        if export.total:
            counts = describe_counts(export.counts)
            message = _("Here is everything Onward stores about you: {counts}. It's a JSON "
                        "file; only you can see this message.").format(counts=counts)
        else:
            message = _("Onward stores nothing about you right now; the file only has its "
                        "header.")
        await interaction.followup.send(
            message, file=discord.File(io.BytesIO(content), filename=filename), ephemeral=True
        )

    @app_commands.command(name=T_("delete"),
                          description=T_("Delete everything Onward stores about you."))
    async def delete(self, interaction: discord.Interaction) -> None:
        user_id = interaction.user.id
        counts = await self.privacy.what_would_go(user_id)
        if not any(counts.values()):
            await interaction.response.send_message(
                _("Onward stores nothing about you, so there is nothing to delete."),
                ephemeral=True
            )
            return
        deadline = int(self.privacy.deadline(self.confirm_seconds).timestamp())
        view = discord.ui.View(timeout=None)
        view.add_item(ConfirmDelete(user_id, deadline))
        view.add_item(KeepData(user_id))
        await interaction.response.send_message(
            _("This deletes everything Onward stores about you, in every server: {counts}. "
              "Your shared posts (anonymous and named) are deleted from the support channels "
              "and your name is taken out of past digests. Notes you sent to others are "
              "removed too (ones already delivered stay in their DMs). This can't be undone; "
              "/privacy export gives you a copy first. The button works for {seconds} "
              "seconds.").format(counts=describe_counts(counts),
                                 seconds=f"{self.confirm_seconds:g}"),
            view=view, ephemeral=True,
        )
        task = asyncio.create_task(self._expire(interaction, user_id))
        self._expiries.setdefault(user_id, set()).add(task)
        task.add_done_callback(lambda t: self._expiries.get(user_id, set()).discard(t))

    async def _expire(self, interaction: discord.Interaction, user_id: int) -> None:
        await asyncio.sleep(self.confirm_seconds)
        try:
            await interaction.edit_original_response(
                content=_("This confirmation expired, so nothing was deleted. "
                          "Run /privacy delete again if you still want to."),
                view=None,
            )
        except discord.HTTPException:
            log.info("could not mark the delete confirmation of %s as expired", user_id)

    def _stop_expiries(self, user_id: int) -> None:
        for task in self._expiries.pop(user_id, set()):
            task.cancel()

    async def kept(self, interaction: discord.Interaction, owner_id: int) -> None:
        if interaction.user.id != owner_id:
            await interaction.response.send_message(
                _("This button belongs to someone else's request."), ephemeral=True)
            return
        self._stop_expiries(owner_id)
        await interaction.response.edit_message(content=_("Nothing was deleted."), view=None)

    async def confirmed(
        self, interaction: discord.Interaction, owner_id: int, deadline: int
    ) -> None:
        try:
            self.privacy.check_confirmation(
                owner_id=owner_id, clicker_id=interaction.user.id, deadline_epoch=deadline)
        except ConfirmationExpired as expired:
            self._stop_expiries(owner_id)
            await interaction.response.edit_message(content=expired.message, view=None)
            return
        self._stop_expiries(owner_id)
        await interaction.response.defer()
        deletion = await self.privacy.delete_everything(owner_id)
        # The rows are committed as gone; now tidy what Discord still shows.
        await self.bot.engine.wake()
        removed, edited = await asyncio.gather(
            delete_posts(self.bot, deletion.posts), self._edit_digests(deletion.digests))
        lines = [_("Done. Deleted {counts}.").format(counts=describe_counts(deletion.counts))
                 if deletion.total else _("Done. There was nothing left to delete.")]
        if deletion.posts:
            lines.append(ngettext(
                "{removed} of your {count} shared posts were deleted from the support channels.",
                "{removed} of your {count} shared posts were deleted from the support channels.",
                len(deletion.posts)).format(removed=removed, count=len(deletion.posts)))
        if deletion.digests:
            lines.append(ngettext(
                "Your name was taken out of {edited} of {count} past digests.",
                "Your name was taken out of {edited} of {count} past digests.",
                len(deletion.digests)).format(edited=edited, count=len(deletion.digests)))
        if removed < len(deletion.posts) or edited < len(deletion.digests):
            lines.append(_("Discord didn't let me change the others; a server admin can remove "
                           "them."))
        lines.append(_("If you use Onward again, it starts from a blank page."))
        await interaction.edit_original_response(content="\n".join(lines), view=None)

    async def _edit_digests(self, digests: list[DigestPost]) -> int:
        results = await asyncio.gather(*(self._edit_digest(d) for d in digests))
        return sum(results)

    async def _edit_digest(self, digest: DigestPost) -> bool:
        """The digest as it was, with the member's name taken out of its thanks."""
        embed = nudge_embed(NudgePost(kind="digest", title=digest.title,
                                      description=digest.description, footer=digest.footer))
        channel = self.bot.get_partial_messageable(digest.channel_id, guild_id=digest.guild_id)
        try:
            await asyncio.wait_for(
                channel.get_partial_message(digest.message_id).edit(
                    embed=embed, allowed_mentions=discord.AllowedMentions.none()),
                EDIT_TIMEOUT_SECONDS,
            )
        except (TimeoutError, discord.HTTPException) as exc:
            log.warning("could not take a name out of digest %s in channel %s: %s",
                        digest.message_id, digest.channel_id, exc)
            return False
        return True


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(ConfirmDelete, KeepData)
    await bot.add_cog(Privacy(bot))
