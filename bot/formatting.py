"""Echoing member text back safely: shown as typed, never formatted or pinging."""

from __future__ import annotations

import discord


def inert(value: str | None, limit: int | None = None) -> str:
    """Member text made literal for Discord markdown (mentions are inert through
    AllowedMentions.none() on every message the bot sends)."""
    if not value:
        return ""
    text = value if limit is None or len(value) <= limit else value[: limit - 1] + "…"
    return discord.utils.escape_markdown(text, as_needed=False)


def timestamp(moment, style: str = "F") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"
