"""Echoing member text back safely: shown as typed, never formatted, never a tag."""

from __future__ import annotations

import discord
from babel.numbers import format_decimal, format_percent

from bot import i18n
from bot.plain import untag


def inert(value: str | None, limit: int | None = None, *, markdown: bool = True) -> str:
    """The one way member-typed text (company, role, notes, names, notes to others) is shown:
    Markdown escaped so it reads as typed, and no tag (`<@…>`, `<@&…>`, `<#…>`, `</…:…>`,
    `@everyone`, `@here`) left live, whatever AllowedMentions says. `markdown=False` is for
    places Discord shows as plain text (autocomplete labels), where escapes would show."""
    if not value:
        return ""

    def render(text: str) -> str:
        shown = discord.utils.escape_markdown(text, as_needed=False) if markdown else text
        return untag(shown)

    shown = render(value)
    if limit is None or len(shown) <= limit:
        return shown
    # Cut the text, not the rendered form, so no escape is split; the limit holds after it.
    keep = limit - 1
    while keep > 0:
        shown = render(value[:keep])
        if len(shown) <= limit - 1:
            return shown + "…"
        keep -= len(shown) - (limit - 1)
    return "…"


def timestamp(moment, style: str = "F") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def number(value: float) -> str:
    """A number as the current language writes it: 1,234.5 in English, 1.234,5 in German."""
    return format_decimal(value, locale=i18n.babel_locale())


def percent(fraction: float) -> str:
    """A share (0.25) as a percentage in the current language: "25%", "25 %" in German."""
    return format_percent(fraction, locale=i18n.babel_locale())
