"""Dates as members type them ("today", "3 days ago", "2026-11-20"), read in their timezone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import dateparser

from bot.errors import InvalidInput
from bot.services.text import literal

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_HELP = "Use YYYY-MM-DD, today, yesterday or “3 days ago”."


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(now: datetime, timezone: str | None) -> date:
    return now.astimezone(zone(timezone)).date()


def parse_day(text: str | None, now: datetime, timezone: str | None) -> date:
    """A past or present day; never a future one."""
    today = local_today(now, timezone)
    if text is None or not text.strip():
        return today
    value = text.strip()
    if len(value) > 40:
        raise InvalidInput(f"I couldn't read that date. {DATE_HELP}")
    if _ISO.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{value} is not a real date. {DATE_HELP}") from None
    else:
        base = datetime.combine(today, datetime.min.time()).replace(hour=12)
        parsed = dateparser.parse(
            value,
            languages=["en"],
            settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "YMD"},
        )
        if parsed is None:
            raise InvalidInput(f"I couldn't read the date “{literal(value, 40)}”. {DATE_HELP}")
        day = parsed.date()
    if day > today:
        raise InvalidInput(f"{day.isoformat()} is in the future; log it once it has happened.")
    if day < today - timedelta(days=365 * 20):
        raise InvalidInput(f"{day.isoformat()} is too long ago. {DATE_HELP}")
    return day


_ALL_ZONES = sorted(available_timezones())


def valid_timezone(name: str) -> str:
    cleaned = name.strip()
    if cleaned in _ALL_ZONES:
        return cleaned
    matches = timezone_choices(cleaned, limit=3)
    hint = f" Did you mean {', '.join(matches)}?" if matches else ""
    raise InvalidInput(
        f"“{literal(cleaned, 60)}” is not an IANA timezone name like Europe/Berlin.{hint}")


def timezone_choices(typed: str, limit: int = 25) -> list[str]:
    """Timezone names for autocomplete: prefix matches first, then anywhere in the name."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        return ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"][:limit]
    starts = [z for z in _ALL_ZONES if z.lower().startswith(needle)]
    parts = [z for z in _ALL_ZONES if needle in z.lower() and z not in starts]
    return (starts + parts)[:limit]
