"""The message catalogs: extract the texts, update each language's `.po`, compile the `.mo`.

`python -m bot catalogs update` re-extracts `bot/locales/onward.pot` from the code (settings in
pyproject.toml's `[tool.babel.extract_messages]`, the same `pybabel extract` reads) and merges it
into every language's `.po`; `python -m bot catalogs compile` writes the `.mo` files next to
them. The `.mo` files are not kept in git: an install compiles them (setup.py), and a checkout
compiles them the first time a language is used (bot.i18n).
"""

from __future__ import annotations

import io
import logging
import sys
from contextlib import chdir
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DEFAULT, DOMAIN, LOCALE_DIR, LOCALES

log = logging.getLogger(__name__)

ROOT = LOCALE_DIR.parent.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# gettext's usual rules (as in GNU gettext's manual), not CLDR's extra "many" form for millions.
PLURAL_FORMS = {
    "de": "nplurals=2; plural=(n != 1);",
    "es_ES": "nplurals=2; plural=(n != 1);",
    "es_419": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "pt_BR": "nplurals=2; plural=(n > 1);",
}
TRANSLATED = tuple(code for code in LOCALES if code != DEFAULT)


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


def extract(output: Path = TEMPLATE) -> Catalog:
    """Extract every marked text of the code into `output` (a `.pot`) and return it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with chdir(ROOT):
        CommandLineInterface().run(["pybabel", "-q", "extract", "-o", str(output)])
    with output.open("rb") as fileobj:
        return read_po(fileobj)


def read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fileobj:
        return read_po(fileobj, locale=locale, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, ignore_obsolete=True, sort_by_file=True,
             include_lineno=False)
    path.write_bytes(buffer.getvalue())


def new_catalog(locale: str, template: Catalog) -> Catalog:
    catalog = Catalog(locale=locale, domain=DOMAIN, project="Onward",
                      fuzzy=False, charset="utf-8")
    catalog.mime_headers = [*catalog.mime_headers, ("Plural-Forms", PLURAL_FORMS[locale])]
    catalog.update(template, no_fuzzy_matching=True)
    return catalog


def update() -> list[Path]:
    """Re-extract the template and merge it into every language's `.po` (created if missing).
    A text whose English changed keeps its old translation marked fuzzy, for a translator to
    check; texts gone from the code are dropped."""
    template = extract()
    written = []
    for locale in TRANSLATED:
        path = po_path(locale)
        if path.exists():
            catalog = read(locale)
            catalog.update(template)
        else:
            catalog = new_catalog(locale, template)
        _write(path, catalog)
        written.append(path)
    return written


def compile_bytes(po: Path) -> bytes:
    """The `.mo` for a `.po`, in memory (fuzzy entries left out, as gettext does)."""
    with po.open("rb") as fileobj:
        catalog = read_po(fileobj, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all(target: Path = LOCALE_DIR) -> list[Path]:
    """Write a `.mo` next to (or, for a build, under `target` in the same layout as) each
    language's `.po`."""
    written = []
    for locale in TRANSLATED:
        source = po_path(locale)
        if not source.exists():
            continue
        out = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(compile_bytes(source))
        written.append(out)
    return written


def main(argv: list[str]) -> int:
    """`python -m bot catalogs update|compile`."""
    if argv == ["update"]:
        for path in update():
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    if argv == ["compile"]:
        for path in compile_all():
            print(f"compiled {path.relative_to(ROOT)}")
        return 0
    print("usage: python -m bot catalogs update|compile\n"
          "  update   re-extract bot/locales/onward.pot and merge it into every .po\n"
          "  compile  write the .mo files next to the .po files", file=sys.stderr)
    return 2
