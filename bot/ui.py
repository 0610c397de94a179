"""Base classes for views and modals so their failures go through the one error path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.tree import handle_interaction_error


class OnwardView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_interaction_error(interaction, error)


class OnwardModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await handle_interaction_error(interaction, error)


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button], template=r"onward:base"):
    """A button whose custom_id carries what it acts on, so it works after a restart.
    Subclasses give their own `template` and implement `on_click`."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.on_click(interaction)  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - routed to the one error path
            await handle_interaction_error(interaction, error)


# The `rejection` option of /reflect and /feedback: one of the member's own entries.
EntryOption = discord.app_commands.Range[str, 1, 100]
ENTRY_OPTION_HELP = "Which entry (start typing the company); default your latest."


async def entry_choices(
    suggest: Callable[[int, str], Awaitable[list[tuple[str, str]]]],
    interaction: discord.Interaction,
    current: str,
) -> list[discord.app_commands.Choice[str]]:
    """Autocomplete over the member's own entries (label, value) as the service suggests them."""
    return [
        discord.app_commands.Choice(name=label, value=value)
        for label, value in await suggest(interaction.user.id, current)
    ]
