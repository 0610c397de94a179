"""Command names, descriptions, options and choices in each language Onward speaks, for the
registration payload (`name_localizations`, `description_localizations`).

A translation Discord would refuse is left out (that locale shows the English) with a warning,
so a translator's slip never fails the sync: a name that isn't lowercase, is longer than 32
characters or has a character Discord doesn't allow; a name equal to a sibling's in the same
language; a description or choice name over 100 characters.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import DEFAULT, translations

log = logging.getLogger(__name__)

# Discord's locales Onward has a catalog for (English is the text itself).
CATALOGS = {
    discord.Locale.german: "de",
    discord.Locale.spain_spanish: "es_ES",
    discord.Locale.latin_american_spanish: "es_419",
    discord.Locale.french: "fr",
    discord.Locale.brazil_portuguese: "pt_BR",
}
NAME_MAX = 32
TEXT_MAX = 100
NAMES = (Where.command_name, Where.group_name, Where.parameter_name)
_NAME_EXTRA = frozenset("-_'")


def valid_name(name: str) -> bool:
    """Discord's rule for command and option names: 1-32 of letters, digits, - _ ' and
    Devanagari or Thai, lowercase where the script has case."""
    if not 1 <= len(name) <= NAME_MAX or name != name.lower():
        return False
    for ch in name:
        if ch in _NAME_EXTRA or unicodedata.category(ch)[0] in "LN":
            continue
        if "\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f":   # Devanagari, Thai
            continue
        return False
    return True


def catalog_text(message: str, catalog: str) -> str | None:
    """`message` in `catalog`, None when it has no translation there."""
    if catalog == DEFAULT:
        return None
    translated = translations(catalog).gettext(message)
    return translated if translated and translated != message else None


class CatalogTranslator(app_commands.Translator):
    def __init__(self, tree: app_commands.CommandTree) -> None:
        super().__init__()
        self.tree = tree
        self._warned: set[tuple[str, str, str]] = set()

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        catalog = CATALOGS.get(locale)
        if catalog is None:
            return None
        text = catalog_text(string.message, catalog)
        if text is None:
            return None
        where = context.location
        if where in NAMES:
            if not valid_name(text):
                why = "not a valid command name"
            elif self._clashes(text, catalog, context, self.tree):
                why = "the same as a sibling's"
            else:
                return text
        elif len(text) > TEXT_MAX:
            why = f"over {TEXT_MAX} characters"
        else:
            return text
        self._warn(string.message, catalog, text, why)
        return None

    def _warn(self, message: str, catalog: str, text: str, why: str) -> None:
        key = (message, catalog, why)
        if key not in self._warned:
            self._warned.add(key)
            log.warning("left out the %s translation %r of %r: %s; Discord shows the English",
                        catalog, text, message, why)

    @staticmethod
    def _clashes(text: str, catalog: str, context: app_commands.TranslationContextTypes,
                 tree: app_commands.CommandTree) -> bool:
        """Whether a sibling (a command beside it, or an option of the same command) reads
        `text` in this language too (its translation if valid, else its English name)."""
        data = context.data
        if context.location is Where.parameter_name:
            command = getattr(data, "command", None)
            names = [p.name for p in getattr(command, "parameters", [])
                     if p.name != getattr(data, "name", None)]
        else:
            parent = getattr(data, "parent", None)
            siblings = parent.commands if parent is not None else tree.get_commands()
            names = [c.name for c in siblings if c.name != getattr(data, "name", None)]
        for name in names:
            theirs = catalog_text(name, catalog)
            shown = theirs if theirs is not None and valid_name(theirs) else name
            if shown == text:
                return True
        return False



class CommandNames:
    """Rewrites the commands and options a translated text names ("/apply log",
    "show_company:True", kept in English by the catalogs) into the names Discord shows in that
    language, the same ones the registration payload carries. `bot.i18n` calls it for every
    text made in a language other than English."""

    def __init__(self, tree: app_commands.CommandTree) -> None:
        self.commands: dict[str, set[str]] = {}     # top-level name -> its subcommand names
        self.options: set[str] = set()
        for command in tree.walk_commands():
            parent = command.root_parent
            if parent is None:
                self.commands.setdefault(command.name, set())
            else:
                self.commands.setdefault(parent.name, set()).add(command.name)
                if command.parent is not None and command.parent is not parent:
                    self.commands[parent.name].add(command.parent.name)
            if isinstance(command, app_commands.Command):
                self.options.update(p.name for p in command.parameters)
        words = "|".join(sorted(self.commands, key=len, reverse=True))
        self._command = re.compile(rf"(?<![\w/<.:-])/({words})((?: [a-z_-]+){{0,2}})")
        self._option = re.compile(r"(?<![\w/.:-])([a-z][a-z_]*):(?=[^\s/:]|\s)")
        self._names: dict[tuple[str, str], str] = {}

    def name(self, word: str, catalog: str) -> str:
        """What Discord shows for this command or option name in `catalog`'s language: its
        translation when it is one Discord takes (as CatalogTranslator decides), else English."""
        key = (word, catalog)
        if key not in self._names:
            text = catalog_text(word, catalog)
            self._names[key] = text if text is not None and valid_name(text) else word
        return self._names[key]

    def __call__(self, text: str, catalog: str) -> str:
        if "/" not in text and ":" not in text:
            return text
        text = self._command.sub(lambda m: self._path(m, catalog), text)
        return self._option.sub(lambda m: self._opt(m, catalog), text)

    def _path(self, match: re.Match[str], catalog: str) -> str:
        top = match[1]
        words = [self.name(top, catalog)]
        rest = match[2].split()
        used = 0
        for word in rest:
            if word not in self.commands[top]:
                break
            words.append(self.name(word, catalog))
            used += 1
        tail = " ".join(rest[used:])
        return "/" + " ".join(words) + (" " + tail if tail else "")

    def _opt(self, match: re.Match[str], catalog: str) -> str:
        word = match[1]
        return (self.name(word, catalog) if word in self.options else word) + ":"
