"""Base classes for views and modals so their failures go through the one error path."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import discord
from discord.app_commands import locale_str as T_

from bot.formatting import inert
from bot.tree import handle_interaction_error

if TYPE_CHECKING:
    from bot.client import Onward


class OnwardView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_interaction_error(interaction, error)


class OnwardModal(discord.ui.Modal):
    # discord.py's own Modal.on_error drops BaseView.on_error's `item` the same way.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await handle_interaction_error(interaction, error)


class EntryForm(discord.ui.Modal):
    """A form about one entry, whose custom_id (`prefix` + entry id + a random tag) says what it
    is about. It is finished before it is sent, so discord.py keeps no copy while the member
    types: every submission, from a form opened a minute ago or before a restart, is read from
    its custom_id by the cog's `on_interaction` (see `submitted_form`). An open form costs no
    memory however long it stays open, and a restart changes nothing."""

    def __init__(self, *, title: str, prefix: str, entry_id: int) -> None:
        super().__init__(title=title, timeout=None,
                         custom_id=f"{prefix}{entry_id}:{secrets.token_hex(4)}")
        self.stop()


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button], template=r"onward:base"):
    """A button whose custom_id carries what it acts on, so it works after a restart.
    Subclasses give their own `template` and implement `on_click`."""

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            # The only client that registers these buttons is Onward.
            await self.on_click(cast("discord.Interaction[Onward]", interaction))
        except Exception as error:  # noqa: BLE001 - routed to the one error path
            await handle_interaction_error(interaction, error)

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        # Every subclass answers its click; reaching this means one forgot to.
        raise NotImplementedError(f"{type(self).__name__} has no on_click")


# The `rejection` option of /reflect and /feedback: one of the member's own entries.
EntryOption = discord.app_commands.Range[str, 1, 100]
ENTRY_OPTION_HELP = T_("Which entry (start typing the company); default your latest.")


async def entry_choices(
    suggest: Callable[[int, str], Awaitable[list[tuple[str, str]]]],
    interaction: discord.Interaction,
    current: str,
) -> list[discord.app_commands.Choice[str]]:
    """Autocomplete over the member's own entries (label, value) as the service suggests them."""
    return [
        discord.app_commands.Choice(name=inert(label, 100, markdown=False), value=value)
        for label, value in await suggest(interaction.user.id, current)
    ]


def submitted_values(data: Mapping[str, Any] | None) -> dict[str, str]:
    """custom_id → value of a submitted modal's text inputs (in action rows or labels)."""
    values: dict[str, str] = {}
    for row in (data or {}).get("components", []):
        children = list(row.get("components", []))
        if "component" in row:
            children.append(row["component"])
        for child in children:
            if "custom_id" in child and "value" in child:
                values[child["custom_id"]] = child["value"]
    return values


def submitted_form(
    interaction: discord.Interaction, prefix: str
) -> tuple[int, dict[str, str]] | None:
    """A submitted `EntryForm` whose custom_id starts with `prefix`: the entry id the custom_id
    names, and the answers. None for every other interaction. A malformed id reads as entry 0,
    which no one owns."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(prefix):
        return None
    named = custom_id[len(prefix):].split(":")[0]
    rejection_id = int(named) if named.isdigit() and len(named) <= 19 else 0
    return rejection_id, submitted_values(data)


async def save_submitted_form(
    interaction: discord.Interaction, prefix: str,
    save: Callable[[discord.Interaction, int, dict[str, str]], Awaitable[None]],
) -> None:
    """For a cog's `on_interaction`: a submitted `EntryForm` with `prefix` is passed to `save`
    (entry id and answers), its failures to the one error path; other interactions are left
    alone."""
    form = submitted_form(interaction, prefix)
    if form is None:
        return
    entry_id, values = form
    try:
        await save(interaction, entry_id, values)
    except Exception as error:  # noqa: BLE001 - routed to the one error path
        await handle_interaction_error(interaction, error)
