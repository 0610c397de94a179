"""Echoing member text back safely: shown as typed, never formatted or pinging."""

from __future__ import annotations

import discord


def inert(value: str | None, limit: int | None = None) -> str:
    """Member text made literal for Discord markdown (mentions are inert through
    AllowedMentions.none() on every message the bot sends)."""
    if not value:
        return ""
    escaped = discord.utils.escape_markdown(value, as_needed=False)
    if limit is None or len(escaped) <= limit:
        return escaped
    # Cut the text, not the escaped form, so no escape is split; the limit holds after escaping.
    keep = limit - 1
    while keep > 0:
        escaped = discord.utils.escape_markdown(value[:keep], as_needed=False)
        if len(escaped) <= limit - 1:
            return escaped + "…"
        keep -= len(escaped) - (limit - 1)
    return "…"


def timestamp(moment, style: str = "F") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"
