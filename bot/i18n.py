"""Every text a person reads comes through here, in the language of the moment.

The language is a context variable: an interaction sets it from `interaction.locale` before
any handler runs; a group post sets the server's language, a DM the member's. Code that makes
text only calls `_()` (or `ngettext()`) at the moment it makes it:

    _("Logged #{number} at {company}.").format(number=n, company=name)
    ngettext("{count} application", "{count} applications", n).format(count=n)

Texts defined at import time (module constants, tuples of choices) are marked with `N_()`,
which only marks them for extraction, and translated where they are used: `_(CONSTANT)`.
Placeholders are always named (`{company}`), so a translation can move them.

Catalogs: `bot/locales/<locale>/LC_MESSAGES/onward.po` (sources) compiled to `.mo` by an
install; in a checkout a missing or older `.mo` is compiled here the first time a language is
used (bot/catalogs.py has the maintainers' commands).
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

DOMAIN = "onward"
LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT = "en"
# The languages Onward speaks (gettext names); anything else gets English.
LOCALES = ("en", "de", "es_ES", "es_419", "fr", "pt_BR")

_current: ContextVar[str] = ContextVar("onward_locale", default=DEFAULT)
# Who the interaction being handled is from (None outside interactions).
_member: ContextVar[int | None] = ContextVar("onward_member", default=None)


def locale_of(discord_locale: object | None) -> str:
    """The catalog for a Discord locale ("de", "es-ES", "es-419", "pt-BR", "en-US", a
    `discord.Locale`, or a stored language): one of LOCALES, English for anything else."""
    if discord_locale is None:
        return DEFAULT
    text = str(getattr(discord_locale, "value", discord_locale)).replace("-", "_")
    if text in LOCALES:
        return text
    language = text.split("_", 1)[0].lower()
    if language == "es":
        return "es_419" if text.endswith("419") else "es_ES"
    if language == "pt":
        return "pt_BR"
    if language in LOCALES:
        return language
    return DEFAULT


def current() -> str:
    """The locale texts are made in right now (one of LOCALES)."""
    return _current.get()


@contextmanager
def using(locale: object | None) -> Iterator[str]:
    """Make texts in `locale` (a Discord locale or one of LOCALES) inside the block."""
    chosen = locale_of(locale)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def member() -> int | None:
    """The member whose interaction is being handled right now (None outside one)."""
    return _member.get()


@contextmanager
def interaction(locale: object | None, user_id: int | None) -> Iterator[str]:
    """Where an interaction begins: its texts in `locale`, and who it is from. Tasks started
    inside (the library's handler tasks) keep both."""
    chosen = locale_of(locale)
    token = _current.set(chosen)
    member_token = _member.set(user_id)
    try:
        yield chosen
    finally:
        _member.reset(member_token)
        _current.reset(token)


def set_for_task(locale: object | None) -> str:
    """Make texts in `locale` from here to the end of the current task (and in the tasks it
    starts). For the one place an interaction begins; elsewhere prefer `using`."""
    chosen = locale_of(locale)
    _current.set(chosen)
    return chosen


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalog of one of LOCALES (English: the texts themselves)."""
    if locale == DEFAULT or locale not in LOCALES:
        return gettext.NullTranslations()
    po = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        return _compiled_now(po, mo)
    if not mo.exists():
        log.warning("no catalog for %s at %s; texts stay in English", locale, mo)
        return gettext.NullTranslations()
    with mo.open("rb") as fileobj:
        return gettext.GNUTranslations(fileobj)


def _compiled_now(po: Path, mo: Path) -> gettext.NullTranslations:
    # A checkout (or an editable install): compile the .po once, and keep the .mo if we may.
    from bot.catalogs import compile_bytes

    data = compile_bytes(po)
    try:
        mo.write_bytes(data)
        log.info("compiled %s", mo)
    except OSError as exc:
        log.warning("compiled %s in memory only (%s)", po, exc)
    return gettext.GNUTranslations(io.BytesIO(data))


# Babel's locale for each catalog: dates, times and numbers. English writes "2 Dec 2025", 14:05.
BABEL_LOCALES = {"en": "en_GB", "de": "de_DE", "es_ES": "es_ES", "es_419": "es_419",
                 "fr": "fr_FR", "pt_BR": "pt_BR"}


def babel_locale() -> str:
    """The Babel locale for formatting dates and numbers in the current language."""
    return BABEL_LOCALES.get(_current.get(), "en_GB")


def language_name(locale: str) -> str:
    """A language's name in itself ("Deutsch", "Español (España)"), for choosing one."""
    return LANGUAGE_NAMES.get(locale, locale)


# Each language named in itself, as people look for it in a list.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "es_ES": "Español (España)",
    "es_419": "Español (Latinoamérica)",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
}


# Texts name commands as "/apply log" and options as "show_company:True", in English; a member
# whose Discord shows the commands in their language reads them that way here too.
CommandNamer = Callable[[str, str], str]
_name_commands: CommandNamer | None = None


def name_commands_with(namer: CommandNamer | None) -> None:
    """Set `namer(text, locale)`, which rewrites the commands and options a translated text
    names into what Discord shows in that locale (bot/translator.py provides it)."""
    global _name_commands
    _name_commands = namer


def _in_place(text: str, locale: str) -> str:
    if locale == DEFAULT or _name_commands is None:
        return text
    return _name_commands(text, locale)


def _(message: str) -> str:
    """`message` in the current language (the English text when there is no translation)."""
    locale = _current.get()
    return _in_place(translations(locale).gettext(message), locale)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, as the current language counts."""
    locale = _current.get()
    return _in_place(translations(locale).ngettext(singular, plural, n), locale)


def pgettext(context: str, message: str) -> str:
    """`message` translated within `context`, for a word that reads differently elsewhere."""
    locale = _current.get()
    return _in_place(translations(locale).pgettext(context, message), locale)


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it (translate it where it's used)."""
    return message
