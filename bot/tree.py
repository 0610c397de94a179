"""The command tree: one place where every failure of every command is answered."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)


def error_code() -> str:
    return secrets.token_hex(2).upper()


async def reply_privately(interaction: discord.Interaction, content: str) -> None:
    """Answer ephemerally whether or not the interaction was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not deliver an error reply for interaction %s", interaction.id)


def unwrap(error: BaseException) -> BaseException:
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.original if hasattr(error, "original") else error.__cause__ or error
        if isinstance(error, app_commands.TransformerError) and error.__cause__ is None:
            break
    return error


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Used by the tree and by every view and modal, so all failures read the same."""
    error = unwrap(error)
    if isinstance(error, UserFacingError):
        await reply_privately(interaction, error.message)
    elif isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        await reply_privately(interaction, "Only the server's admins (Manage Server) can do that.")
    elif isinstance(error, app_commands.CommandOnCooldown):
        await reply_privately(
            interaction, f"Slow down a little: try again in {error.retry_after:.0f} s."
        )
    elif isinstance(error, app_commands.TransformerError):
        await reply_privately(interaction, f"I couldn't read {error.value!r} for that option.")
    else:
        code = error_code()
        log.error(
            "unexpected error %s in interaction %s (%s)",
            code,
            interaction.id,
            getattr(interaction.command, "qualified_name", interaction.type.name),
            exc_info=error,
        )
        await reply_privately(
            interaction,
            f"Something went wrong on my side (code {code}). Nothing you entered was lost; "
            "please try again in a moment.",
        )


class OnwardTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_interaction_error(interaction, error)
