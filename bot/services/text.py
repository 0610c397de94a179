"""Checks for the free text members type: trimmed, bounded, never silently cut."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput
from bot.plain import untag

COMPANY_MAX = 100
ROLE_MAX = 100
NOTE_MAX = 1000
NAME_MAX = 100
LINK_MAX = 500
REFLECTION_FIELD_MAX = 1000
FEEDBACK_MAX = 4000
MESSAGE_MAX = 1000


_MARKDOWN = re.compile(r"([\\*_~|`>#\[\]()-])")


def literal(value: str, limit: int | None = None) -> str:
    """Member text quoted back inside one of our sentences: on one line, without control
    characters, cut to `limit`, with Markdown escaped so it shows as typed, and no tag."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value.strip())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return untag(_MARKDOWN.sub(r"\\\1", text))


def _has_control_chars(text: str) -> bool:
    # Newlines and tabs are fine in long text; other control characters are never meant.
    return any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in text)


def clean_required(value: str | None, label: str, limit: int) -> str:
    text = clean_optional(value, label, limit)
    if not text:
        raise InvalidInput(f"Please give a {label}; it can't be empty.")
    return text


def clean_optional(value: str | None, label: str, limit: int) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or not any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text):
        return None
    if len(text) > limit:
        raise InvalidInput(
            f"The {label} is {len(text):,} characters long; please keep it under {limit:,}."
        )
    if _has_control_chars(text):
        raise InvalidInput(
            f"The {label} contains control characters I can't store; please retype it."
        )
    return text
