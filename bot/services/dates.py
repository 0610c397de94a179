"""Dates as members type them ("today", "3 days ago", "2026-11-20"), read in their timezone."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import dateparser

from bot.errors import InvalidInput
from bot.services.text import literal

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# 2/12/2025, 02.12.25, 2-12-2025: which number is the month follows the member's locale.
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
# "-3 days ago", "in 2 days", "3 days from now": a relative date that isn't in the past.
_NOT_BACK = re.compile(r"(^-|^\+|\bin\s+\d|\bin\s+(a|an|one)\b|from now|\blater\b|\bnext\b|"
                       r"\bago\s*-|\s-\d)", re.IGNORECASE)
DATE_HELP = "Use YYYY-MM-DD, today, yesterday or “3 days ago”."
YEARS_BACK = 20
MONTH_FIRST_LOCALES = frozenset({"en-US"})


def in_words(day: date) -> str:
    """A stored date as a member reads it back, so a misread is visible: "Tue 2 Dec 2025"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def in_words_iso(text: str | None) -> str:
    """`in_words` for a YYYY-MM-DD text from the database ("" for none)."""
    return in_words(date.fromisoformat(text)) if text else ""


def month_first(locale: str | None) -> bool:
    """Numeric dates: month first for en-US, day first everywhere else."""
    return (locale or "") in MONTH_FIRST_LOCALES


def _numeric_day(match: re.Match, locale: str | None, value: str) -> date:
    a, b, year = int(match[1]), int(match[2]), int(match[3])
    if len(match[3]) == 2:
        year += 2000
    month, day = (a, b) if month_first(locale) else (b, a)
    try:
        return date(year, month, day)
    except ValueError:
        order = "month/day/year" if month_first(locale) else "day/month/year"
        raise InvalidInput(
            f"{literal(value, 40)} is not a real date (read as {order}, from your Discord "
            f"language). {DATE_HELP}") from None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(now: datetime, timezone: str | None) -> date:
    return now.astimezone(zone(timezone)).date()


def parse_day(
    text: str | None, now: datetime, timezone: str | None, locale: str | None = None
) -> date:
    """A past or present day, at most YEARS_BACK years back; never a future one. Numeric dates
    such as 2/12/2025 are read month first for the en-US locale and day first otherwise."""
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
    elif (numeric := _NUMERIC.match(value)) is not None:
        day = _numeric_day(numeric, locale, value)
    elif _NOT_BACK.search(value):
        raise InvalidInput(
            f"“{literal(value, 40)}” is not a day in the past. Relative dates count back from "
            f"today, like “3 days ago”. {DATE_HELP}")
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
        raise InvalidInput(
            f"{in_words(day)} is in the future; log it once it has happened.")
    if day < _years_back(today, YEARS_BACK):
        raise InvalidInput(
            f"{in_words(day)} is more than {YEARS_BACK} years ago; dates can go back "
            f"{YEARS_BACK} years at most (to {in_words(_years_back(today, YEARS_BACK))}).")
    return day


def _years_back(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:      # 29 February
        return today.replace(year=today.year - years, day=28)


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
