"""The message catalogs hold every text of the code, each translated with the same
placeholders; and every text a member reads in the code is marked for translation."""

from __future__ import annotations

import gettext
import re
import string

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot import catalogs, i18n
from bot.i18n import _, using
from tests.unmarked import scan_code, scan_source

FIELDS = string.Formatter()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """A fresh extraction of today's code (not the committed .pot)."""
    return catalogs.extract(tmp_path_factory.mktemp("pot") / "onward.pot")


def ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in FIELDS.parse(text) if name is not None}


def key(message: Message) -> tuple:
    return (message.context, ids(message))


@pytest.fixture(scope="module", params=catalogs.TRANSLATED)
def po(request) -> tuple[str, Catalog]:
    return request.param, catalogs.read(request.param)


# The catalogs, as files ------------------------------------------------------------------------

def test_each_language_has_its_po_and_plural_rule(po):
    locale, catalog = po
    assert catalogs.po_path(locale).exists()
    assert catalog.plural_forms == catalogs.PLURAL_FORMS[locale]
    assert catalog.num_plurals == 2


def test_each_po_has_every_text_of_the_code_and_no_other(po, extracted):
    locale, catalog = po
    wanted = {key(m) for m in extracted if m.id}
    present = {key(m) for m in catalog if m.id}
    assert not wanted - present, f"{locale}: run `python -m bot catalogs update`"
    assert not present - wanted, f"{locale}: texts the code no longer has"
    assert not catalog.obsolete, f"{locale}: obsolete entries"


def test_every_translation_keeps_the_placeholders(po):
    locale, catalog = po
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        expected = set().union(*(placeholders(i) for i in ids(message)))
        for form in strings(message):
            if form and placeholders(form) != expected:
                wrong.append((message.id, form))
    assert not wrong, f"{locale}: placeholders differ from the English: {wrong}"


def test_every_text_is_translated(po):
    """Waits for the translators: every entry filled in, none left fuzzy."""
    locale, catalog = po
    missing = [m.id for m in catalog if m.id and not all(strings(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{locale}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{locale}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_the_mo_is_compiled_at_first_use_when_missing_or_older(tmp_path, caplog):
    po = tmp_path / "onward.po"
    catalog = Catalog(locale="de")
    catalog.add("Saved.", "Gespeichert.")
    from babel.messages.pofile import write_po
    with po.open("wb") as fileobj:
        write_po(fileobj, catalog)
    mo = tmp_path / "onward.mo"
    translations = i18n._compiled_now(po, mo)
    assert translations.gettext("Saved.") == "Gespeichert."
    assert mo.exists()
    with mo.open("rb") as fileobj:
        assert gettext.GNUTranslations(fileobj).gettext("Saved.") == "Gespeichert."


def test_extraction_is_configured_in_pyproject():
    text = (catalogs.ROOT / "pyproject.toml").read_text()
    assert "[tool.babel.extract_messages]" in text
    for keyword in ("_", "N_", "ngettext:1,2", "pgettext:1c,2", "T_"):
        assert re.search(rf'keywords = "[^"]*(?<![\w:,]){re.escape(keyword)}(?![\w:,])', text)


def test_extraction_finds_the_marked_texts_with_translator_comments(extracted):
    # Texts this code base marks itself (the server language line of /support).
    found = {m.id for m in extracted}
    assert "Group posts are in **{language}**." in found
    message = extracted.get("Group posts are in **{language}**.")
    assert "python-brace-format" in message.flags


def test_catalog_files_parse_and_mo_is_not_kept_in_git():
    for locale in catalogs.TRANSLATED:
        with catalogs.po_path(locale).open("rb") as fileobj:
            read_po(fileobj)
    ignored = (catalogs.ROOT / ".gitignore").read_text().split()
    assert "*.mo" in ignored


# Texts in the code are marked ------------------------------------------------------------------

def test_every_text_a_member_reads_is_marked():
    """Waits for every text of cogs/, bot/services/, bot/scheduling/ to be marked."""
    findings = scan_code()
    assert not findings, (f"{len(findings)} texts not marked for translation, e.g.:\n"
                          + "\n".join(str(f) for f in findings[:30]))


def test_the_scan_catches_an_f_string_reply_a_constant_and_a_button_label():
    source = '''
import discord
WELCOME = "Welcome to the group"

async def reply(interaction, n):
    await interaction.response.send_message(f"Logged {n} rejections.")

def button():
    return discord.ui.Button(label="Share with the group", custom_id="onward:share:1")
'''
    found = [f.text for f in scan_source(source)]
    assert found == ["Welcome to the group", "f'Logged {n} rejections.'",
                     "Share with the group"]


def test_the_scan_accepts_marked_texts_and_what_is_not_for_members():
    source = '''
import logging
import discord
from discord.app_commands import locale_str as T_
from bot.errors import InvalidInput
from bot.i18n import N_, _, ngettext
log = logging.getLogger(__name__)
WELCOME = N_("Welcome to the group")

def thing(n, kind):
    """A docstring reads like words and is never shown."""
    log.info("sent %s nudges to the group", n)
    assert n > 0, "There must be some"
    if kind not in ("a", "b"):
        raise ValueError(f"an unknown kind {kind!r}")
    if n > 9:
        raise InvalidInput(_("At most {n} at a time.").format(n=9))
    label = ngettext("{n} rejection", "{n} rejections", n).format(n=n)
    sql = "SELECT id FROM rejections WHERE user_id = ?"
    return discord.ui.Button(label=_("Share with the group"), custom_id="onward:share:1"), \\
        T_("Log a rejection"), _(WELCOME), label, sql
'''
    assert scan_source(source) == []


def test_the_scan_flags_user_facing_errors_left_unmarked():
    source = '''
from bot.errors import NotFound
def thing():
    raise NotFound("You have no entry with that number.")
'''
    assert [f.text for f in scan_source(source)] == ["You have no entry with that number."]


# Languages ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("discord_locale", "catalog"), [
    ("de", "de"), ("es-ES", "es_ES"), ("es-419", "es_419"), ("fr", "fr"), ("pt-BR", "pt_BR"),
    ("en-US", "en"), ("en-GB", "en"), ("ja", "en"), (None, "en"), ("pt_BR", "pt_BR"),
])
def test_discord_locales_map_to_catalogs(discord_locale, catalog):
    assert i18n.locale_of(discord_locale) == catalog


def test_language_names_are_in_their_own_language():
    assert [i18n.language_name(code) for code in i18n.LOCALES] == [
        "English", "Deutsch", "Español (España)", "Español (Latinoamérica)", "Français",
        "Português (Brasil)"]


def test_english_is_the_text_itself():
    with using("en-US"):
        assert _("Group posts are in **{language}**.") == "Group posts are in **{language}**."


def test_dates_keep_their_english_form_and_follow_the_language():
    from datetime import date

    from bot.services.dates import in_words, time_in_words, weekday_name
    day = date(2025, 12, 2)
    assert in_words(day) == "Tue 2 Dec 2025"
    with using("de"):
        assert in_words(day) == "Di., 2. Dez. 2025"
        assert weekday_name(0) == "Montag"
    with using("fr"):
        assert "déc." in in_words(day)
    with using("es-419"):
        from datetime import time
        assert time_in_words(time(14, 5)).startswith("2:05")


def test_numbers_follow_the_language():
    from bot.formatting import number
    assert number(1234.5) == "1,234.5"
    with using("de"):
        assert number(1234.5) == "1.234,5"


def test_dates_typed_in_the_members_language_are_read():
    from datetime import UTC, date, datetime

    from bot.services.dates import parse_day
    now = datetime(2026, 6, 16, 14, 30, tzinfo=UTC)
    with using("de"):
        assert parse_day("gestern", now, "UTC") == date(2026, 6, 15)
    assert parse_day("yesterday", now, "UTC") == date(2026, 6, 15)



def test_a_span_of_days_keeps_its_english_form_and_follows_the_language():
    from datetime import date

    from bot.services.dates import range_in_words
    assert range_in_words(date(2026, 6, 8), date(2026, 6, 14)) == "Mon 8 – Sun 14 Jun"
    assert range_in_words(date(2026, 6, 29), date(2026, 7, 5)) == "Mon 29 Jun – Sun 5 Jul"
    with using("es-ES"):
        spanish = range_in_words(date(2026, 6, 8), date(2026, 6, 14))
        assert spanish.replace("\u2009", " ") == "lun, 8 jun – dom, 14 jun"   # thin spaces
