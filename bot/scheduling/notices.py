"""What could not reach a member by DM (closed DMs, notes by DM paused), shown privately as a
follow-up to their next command, button or form, once it has been answered."""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.i18n import _
from bot.scheduling.outbox import view_for
from bot.services.personal import Notice, PersonalDMService

log = logging.getLogger(__name__)

# A button press is answered by its own handler; the notice follows once it has been.
ANSWER_WAIT_SECONDS = 3.0
COMMAND_GRACE_SECONDS = 1.0
ANSWERED_TYPES = (discord.InteractionType.application_command,
                  discord.InteractionType.component,
                  discord.InteractionType.modal_submit)


def render_notice(notice: Notice) -> tuple[str, discord.ui.View]:
    if notice.paused:
        content = _("You've paused notes by DM, so here it is privately:\n\n{message}\n"
                    "-# /settings encouragement_dms:True sends notes by DM again.").format(
            message=notice.content)
    else:
        content = _("I couldn't reach you by DM, so here it is privately:\n\n{message}").format(
            message=notice.content)
    return content, view_for(notice.buttons)


class Notices:
    def __init__(self, personal: PersonalDMService) -> None:
        self.personal = personal
        self._showing: set[int] = set()     # members whose notices are being shown right now

    async def after_answer(self, interaction: discord.Interaction) -> None:
        """Once this interaction has been answered (or a few seconds passed), show what waits.
        For any interaction; a handler that answered and wants them shown now calls `show`."""
        if interaction.type not in ANSWERED_TYPES:
            return
        if not await self.personal.has_notices(interaction.user.id):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WAIT_SECONDS
        while not interaction.response.is_done() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        # Let the answer's own follow-up go first (a command's, longer: it may be deferred).
        command = interaction.type is discord.InteractionType.application_command
        await asyncio.sleep(COMMAND_GRACE_SECONDS if command else 0.05)
        await self.show(interaction)

    async def show(self, interaction: discord.Interaction) -> None:
        """Show what could not be sent by DM as a private follow-up to this interaction."""
        if interaction.response.type in (None, discord.InteractionResponseType.modal):
            return          # a follow-up needs an answered interaction that isn't a modal
        user_id = interaction.user.id
        if user_id in self._showing:
            return          # another of their interactions is showing them: once is enough
        self._showing.add(user_id)
        try:
            if not await self.personal.has_notices(user_id):
                return
            for notice in await self.personal.unshown_notices(user_id):
                content, view = render_notice(notice)
                try:
                    await interaction.followup.send(content, view=view, ephemeral=True)
                except discord.HTTPException:
                    log.warning("could not show notice %s to %s; will try at their next command",
                                notice.id, user_id)
                    return
                await self.personal.mark_notice_shown(notice)
        finally:
            self._showing.discard(user_id)
