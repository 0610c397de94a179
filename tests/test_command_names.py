"""Texts that name a command or an option read as Discord shows them in the member's
language: "/apply log" becomes "/candidaturas registrar" for a member whose Discord speaks
Brazilian Portuguese, exactly where the registration payload localizes those names."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot import translator
from bot.translator import CommandNames

FAKE = {("apply", "pt_BR"): "candidaturas", ("log", "pt_BR"): "registrar",
        ("show_company", "pt_BR"): "mostrar_empresa", ("help", "pt_BR"): "ajuda",
        ("status", "pt_BR"): "Situação"}     # not a name Discord takes: stays English


@pytest.fixture
def names(monkeypatch) -> CommandNames:
    monkeypatch.setattr(translator, "catalog_text", lambda word, catalog: FAKE.get((word, catalog)))
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    apply = app_commands.Group(name="apply", description="Applications")

    @apply.command(name="log", description="Log one")
    async def log(interaction: discord.Interaction, company: str, show_company: bool = False,
                  status: str = "applied") -> None: ...

    @tree.command(name="help", description="Help")
    async def help_(interaction: discord.Interaction) -> None: ...

    tree.add_command(apply)
    return CommandNames(tree)


def test_a_command_and_its_subcommand_are_named_as_discord_shows_them(names) -> None:
    assert names("Use /apply log to add one.", "pt_BR") == "Use /candidaturas registrar to add one."
    assert names("See `/help`.", "pt_BR") == "See `/ajuda`."


def test_an_option_is_named_as_discord_shows_it_and_an_invalid_translation_stays_english(
        names) -> None:
    assert (names("/apply log show_company:True status:applied", "pt_BR")
            == "/candidaturas registrar mostrar_empresa:True status:applied")


def test_what_only_looks_like_a_command_is_left_alone(names) -> None:
    text = "https://discord.com/apply at 9:30, </apply log:123>, a/apply, company: Acme"
    # "company:" is an option with no translation here; the rest only looks like commands.
    assert names(text, "pt_BR") == text
    assert names("Nothing to see.", "pt_BR") == "Nothing to see."
