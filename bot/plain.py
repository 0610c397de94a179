"""Member text that can never become a Discord tag. No discord import: services use it too."""

from __future__ import annotations

# A zero-width space after every "<" and "@" keeps the characters visible as typed while no
# mention, role, channel, command or timestamp tag (`<@…>`, `<@&…>`, `<#…>`, `</…:…>`,
# `@everyone`, `@here`) can be parsed out of them.
ZWSP = "\u200b"
_BREAK = str.maketrans({"<": "<" + ZWSP, "@": "@" + ZWSP})


def untag(text: str) -> str:
    return text.translate(_BREAK)
