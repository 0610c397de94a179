"""Command localizations from the catalogs: within Discord's limits, or left out (English)."""

from __future__ import annotations

import gettext
import logging

import discord
import pytest
from discord import app_commands

from bot import translator as translator_module
from bot.translator import CatalogTranslator, valid_name
from discord_emulator.rest.responses import FormErrors
from discord_emulator.rest.validation import validate_command, validate_unique_names


class FakeCatalog(gettext.NullTranslations):
    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self.texts = texts

    def gettext(self, message: str) -> str:
        return self.texts.get(message, message)


GERMAN = {
    "rejection": "absage",
    "Log and review your rejections.": "Absagen festhalten und ansehen.",
    "log": "erfassen",
    "Log a rejection.": "Eine Absage festhalten.",
    "list": "Liste",                                   # capitalised: refused
    "company": "firma",
    "role": "firma",                                   # clashes with company's
    "The company.": "D" * 101,                         # too long: refused
    "The role.": "Die Stelle.",
    "private": "Privat",
}


@pytest.fixture
def german(monkeypatch):
    catalogs = {"de": FakeCatalog(GERMAN)}
    monkeypatch.setattr(translator_module, "translations",
                        lambda code: catalogs.get(code, gettext.NullTranslations()))


def make_tree() -> app_commands.CommandTree:
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="rejection", description="Log and review your rejections.")

    @group.command(name="log", description="Log a rejection.")
    @app_commands.describe(company="The company.", role="The role.")
    @app_commands.choices(share=[app_commands.Choice(name="private", value="private")])
    async def log_(interaction: discord.Interaction, company: str, role: str | None = None,
                   share: app_commands.Choice[str] | None = None) -> None: ...

    @group.command(name="list", description="Your entries.")
    async def list_(interaction: discord.Interaction) -> None: ...

    tree.add_command(group)
    return tree


@pytest.mark.parametrize(("name", "ok"), [
    ("absage", True), ("erfassen", True), ("añadir", True), ("écrire-2", True),
    ("l'entrée", True), ("Liste", False), ("two words", False), ("x" * 33, False), ("", False),
    ("संदेश", True), ("ข้อความ", True), ("emoji🙂", False),
])
def test_valid_names_follow_discords_rule(name, ok):
    assert valid_name(name) is ok


async def test_translations_within_limits_are_in_the_payload_others_left_out(german, caplog):
    tree = make_tree()
    translator = CatalogTranslator(tree)
    group = tree.get_command("rejection")
    assert group is not None
    with caplog.at_level(logging.WARNING, logger="bot.translator"):
        payload = await group.get_translated_payload(tree, translator)
    assert payload["name_localizations"] == {"de": "absage"}
    assert payload["description_localizations"] == {"de": "Absagen festhalten und ansehen."}
    log_, list_ = payload["options"]
    assert log_.get("name_localizations", {}) == {"de": "erfassen"}
    assert list_.get("name_localizations", {}) == {}                  # "Liste" isn't lowercase
    company, role, share = log_["options"]
    assert company.get("name_localizations", {}) == {}                # the same as role's
    assert role.get("name_localizations", {}) == {}
    assert company.get("description_localizations", {}) == {}        # over 100 characters
    assert role.get("description_localizations", {}) == {"de": "Die Stelle."}
    assert share["choices"][0].get("name_localizations", {}) == {"de": "Privat"}
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "Liste" in warned and "sibling" in warned and "over 100" in warned
    # What is sent is what the emulator (and Discord) accepts.
    errors = FormErrors()
    validate_command(payload, [0], errors)
    assert not errors.errors


async def test_no_catalog_means_no_localizations(monkeypatch):
    # Catalogs without these texts (the committed ones translate them).
    monkeypatch.setattr(translator_module, "translations",
                        lambda catalog: gettext.NullTranslations())
    tree = make_tree()
    group = tree.get_command("rejection")
    assert group is not None
    payload = await group.get_translated_payload(tree, CatalogTranslator(tree))
    assert payload["name_localizations"] == {}


def test_the_emulator_refuses_invalid_localizations_as_discord_does():
    definition = {
        "name": "rejection", "description": "Log a rejection.", "type": 1,
        "name_localizations": {"de": "Absage", "xx": "absage"},
        "description_localizations": {"fr": "x" * 101},
        "options": [
            {"type": 3, "name": "company", "description": "The company.",
             "name_localizations": {"de": "firma"}},
            {"type": 3, "name": "role", "description": "The role.",
             "name_localizations": {"de": "firma"},
             "choices": [{"name": "a", "value": "a", "name_localizations": {"de": ""}}]},
        ],
    }
    errors = FormErrors()
    validate_command(definition, [0], errors)
    validate_unique_names([definition, {**definition, "name_localizations": {}}], [], errors)
    flat = str(errors.errors)
    for expected in ("APPLICATION_COMMAND_INVALID_NAME", "INVALID_LOCALE", "BASE_TYPE_BAD_LENGTH",
                     "APPLICATION_COMMANDS_DUPLICATE_NAME"):
        assert expected in flat
