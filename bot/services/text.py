"""Checks for the free text members type: trimmed, bounded, never silently cut."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput
from bot.i18n import N_, _
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


# What goes wrong with a field, one whole sentence per field the code checks:
# (empty, too long, control characters). The label a caller passes picks the row.
_PROBLEMS: dict[str, tuple[str, str, str]] = {
    "company": (
        N_("Please give a company; it can't be empty."),
        N_("The company is {length} characters long; please keep it under {limit}."),
        N_("The company contains control characters I can't store; please retype it."),
    ),
    "role": (
        N_("Please give a role; it can't be empty."),
        N_("The role is {length} characters long; please keep it under {limit}."),
        N_("The role contains control characters I can't store; please retype it."),
    ),
    "note": (
        N_("Please give a note; it can't be empty."),
        N_("The note is {length} characters long; please keep it under {limit}."),
        N_("The note contains control characters I can't store; please retype it."),
    ),
    "link": (
        N_("Please give a link; it can't be empty."),
        N_("The link is {length} characters long; please keep it under {limit}."),
        N_("The link contains control characters I can't store; please retype it."),
    ),
    "message": (
        N_("Please give a message; it can't be empty."),
        N_("The message is {length} characters long; please keep it under {limit}."),
        N_("The message contains control characters I can't store; please retype it."),
    ),
    "feedback": (
        N_("Please write the feedback; it can't be empty."),
        N_("The feedback is {length} characters long; please keep it under {limit}."),
        N_("The feedback contains control characters I can't store; please retype it."),
    ),
    "interviewer's name": (
        N_("Please give an interviewer's name; it can't be empty."),
        N_("The interviewer's name is {length} characters long; please keep it under {limit}."),
        N_("The interviewer's name contains control characters I can't store; please retype "
           "it."),
    ),
    "answer": (
        # Translators: {question} is one of the reflection questions.
        N_("Please give an answer to “{question}”; it can't be empty."),
        N_("The answer to “{question}” is {length} characters long; please keep it under "
           "{limit}."),
        N_("The answer to “{question}” contains control characters I can't store; please "
           "retype it."),
    ),
}
# For a label without a row of its own: the label is shown as the caller gave it.
_GENERIC = (
    N_("Please give a {label}; it can't be empty."),
    N_("The {label} is {length} characters long; please keep it under {limit}."),
    N_("The {label} contains control characters I can't store; please retype it."),
)
_EMPTY, _TOO_LONG, _CONTROL = range(3)


def _problem(label: str, which: int, **values: object) -> str:
    """The sentence for what is wrong with the field `label`, in the current language."""
    sentence = _PROBLEMS.get(label, _GENERIC)[which]
    return _(sentence).format(label=label, **values)


def clean_required(value: str | None, label: str, limit: int, **names: str) -> str:
    """`names` fills the label's placeholders (`question=` for "answer")."""
    text = clean_optional(value, label, limit, **names)
    if not text:
        raise InvalidInput(_problem(label, _EMPTY, **names))
    return text


def clean_optional(value: str | None, label: str, limit: int, **names: str) -> str | None:
    """`names` fills the label's placeholders (`question=` for "answer")."""
    if value is None:
        return None
    text = value.strip()
    if not text or not any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in text):
        return None
    if len(text) > limit:
        raise InvalidInput(_problem(label, _TOO_LONG, length=f"{len(text):,}",
                                    limit=f"{limit:,}", **names))
    if _has_control_chars(text):
        raise InvalidInput(_problem(label, _CONTROL, **names))
    return text
