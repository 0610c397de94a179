"""The command tree: one place where every failure of every command is answered."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from bot.db.connection import StorageUnavailable
from bot.errors import FailureLog, UserFacingError
from bot.i18n import N_, _, using

log = logging.getLogger(__name__)

NOT_SAVED = N_(
    "I couldn't save that: my storage isn't taking changes right now. Nothing was stored; "
    "please try again in a few minutes."
)
STALE_COMMAND = N_(
    "That command just changed and your Discord app is still showing the old version. "
    "It refreshes on its own shortly (restarting Discord or pressing Ctrl+R does it now); "
    "then please try again."
)
RESTARTING = N_(
    "Onward is restarting; nothing from this was saved. Please try again in a minute."
)
# Forcing a command sync is rate-limited by Discord; one an hour is plenty for stale clients.
RESYNC_INTERVAL = 3600.0


def error_code() -> str:
    return secrets.token_hex(2).upper()


def unexpected_reply(code: str) -> str:
    # Says nothing about what was stored: it is not known here.
    return _("Something went wrong on my side (code {code}). Please try again in a moment; "
             "if it keeps happening, tell the server's admins this code.").format(code=code)


failures = FailureLog(log)


async def reply_privately(interaction: discord.Interaction, content: str) -> None:
    """Answer ephemerally whether or not the interaction was already answered."""
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
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


def command_name(interaction: discord.Interaction) -> str:
    data: Mapping[str, Any] = interaction.data or {}
    words = [str(data.get("name", "?"))]
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):
        words.append(str(options[0].get("name")))
        options = options[0].get("options") or []
    return "/" + " ".join(words)


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Used by the tree and by every view and modal, so all failures read the same."""
    error = unwrap(error)
    if isinstance(error, UserFacingError):
        await reply_privately(interaction, error.message)
    elif isinstance(error, StorageUnavailable):
        failures.log(logging.ERROR, "the database refused a write in %s: %s", error,
                     command_name(interaction) if interaction.data else interaction.type.name,
                     error.reason)
        await reply_privately(interaction, _(NOT_SAVED))
    elif isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        await answer_stale_command(interaction, error)
    elif isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        await reply_privately(
            interaction, _("Only the server's admins (Manage Server) can do that."))
    elif isinstance(error, app_commands.CommandOnCooldown):
        await reply_privately(
            interaction, _("Slow down a little: try again in {seconds} s.").format(
                seconds=f"{error.retry_after:.0f}")
        )
    elif isinstance(error, app_commands.TransformerError):
        await reply_privately(
            interaction,
            _("I couldn't read {value} for that option.").format(value=repr(error.value)))
    else:
        code = error_code()
        failures.log(
            logging.ERROR,
            "unexpected error %s in interaction %s (%s)",
            error,
            code,
            interaction.id,
            getattr(interaction.command, "qualified_name", interaction.type.name),
            each=True,
        )
        await reply_privately(interaction, unexpected_reply(code))


async def answer_stale_command(interaction: discord.Interaction, error: BaseException) -> None:
    """A command, subcommand or option Discord still shows but this version no longer has:
    trying again can't help until the member's client refreshes, so say that, and make sure
    Discord has the current definitions."""
    changed = isinstance(error, app_commands.CommandSignatureMismatch)
    log.warning("stale command %s from user %s (%s); checking the command sync",
                command_name(interaction), interaction.user.id,
                "changed options" if changed else "unknown command")
    await reply_privately(interaction, _(STALE_COMMAND))
    tree = getattr(interaction.client, "tree", None)
    if isinstance(tree, OnwardTree):
        tree.schedule_resync()


class OnwardTree(app_commands.CommandTree):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.declining = False          # set while shutting down: new commands are declined
        self._last_resync: float | None = None
        self._resync: asyncio.Task | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not self.declining:
            return True
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                with using(interaction.locale):
                    declined = _(RESTARTING)
                await interaction.response.send_message(declined, ephemeral=True)
        except (discord.HTTPException, RuntimeError):
            # The connection may already be closing under a late arrival; nothing to do then.
            log.info("could not decline interaction %s", interaction.id)
        return False

    def schedule_resync(self) -> bool:
        """Push the current command definitions to Discord again, at most once an hour, in the
        background. Returns whether a sync was started."""
        now = time.monotonic()
        if self._last_resync is not None and now - self._last_resync < RESYNC_INTERVAL:
            return False
        self._last_resync = now
        self._resync = asyncio.get_running_loop().create_task(self._sync_again(),
                                                             name="onward-resync")
        return True

    async def _sync_again(self) -> None:
        settings = getattr(self.client, "settings", None)
        guild_id = getattr(settings, "dev_guild_id", None)
        guild = discord.Object(guild_id) if guild_id else None
        try:
            synced = await self.sync(guild=guild)
        except discord.HTTPException as exc:
            log.warning("re-syncing slash commands failed: %s", exc)
            return
        log.info("re-synced %d slash commands after a stale one was used", len(synced))

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_interaction_error(interaction, error)
