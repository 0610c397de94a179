"""Dates as members type them ("today", "3 days ago", "2026-11-20"), read in their timezone."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import dateparser
from babel.dates import format_interval, format_skeleton, format_time, get_day_names

from bot import i18n
from bot.errors import InvalidInput
from bot.i18n import N_, _
from bot.services.text import literal

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# 2/12/2025, 02.12.25, 2-12-2025: which number is the month follows the member's locale.
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
# "-3 days ago", "in 2 days", "3 days from now": a relative date that isn't in the past.
_NOT_BACK = re.compile(r"(^-|^\+|\bin\s+\d|\bin\s+(a|an|one)\b|from now|\blater\b|\bnext\b|"
                       r"\bago\s*-|\s-\d)", re.IGNORECASE)
DATE_HELP = N_("Use YYYY-MM-DD, today, yesterday or “3 days ago”.")
YEARS_BACK = 20
MONTH_FIRST_LOCALES = frozenset({"en-US"})


def in_words(day: date) -> str:
    """A stored date as a member reads it back, so a misread is visible: "Tue 2 Dec 2025"
    (in the current language: "Di., 2. Dez. 2025")."""
    if i18n.current() == i18n.DEFAULT:
        return f"{day:%a} {day.day} {day:%b %Y}"
    return format_skeleton("yMMMEd", day, locale=i18n.babel_locale())


def range_in_words(first: date, last: date) -> str:
    """A span of days: "Mon 8 – Sun 14 Jun", "Mon 29 Jun – Sun 5 Jul" across months (in the
    current language: "Mo., 8. – So., 14. Juni")."""
    if i18n.current() != i18n.DEFAULT:
        return format_interval(first, last, "MMMEd", locale=i18n.babel_locale())
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%a} {first.day} – {last:%a} {last.day} {last:%b}"
    return f"{first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b}"


def weekday_name(
    index: int, width: Literal["abbreviated", "narrow", "short", "wide"] = "wide"
) -> str:
    """Monday is 0: "Monday" ("abbreviated": "Mon"), in the current language."""
    return get_day_names(width, locale=i18n.babel_locale())[index]


def time_in_words(moment: time | datetime) -> str:
    """A time of day as the current language writes it ("14:05"; "2:05 p.m." in es-419)."""
    return format_time(moment, "short", locale=i18n.babel_locale())


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
        order = _("month/day/year") if month_first(locale) else _("day/month/year")
        raise InvalidInput(
            _("{value} is not a real date (read as {order}, from your Discord language). "
              "{help}").format(value=literal(value, 40), order=order, help=_(DATE_HELP))
        ) from None


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
        raise InvalidInput(_("I couldn't read that date. {help}").format(help=_(DATE_HELP)))
    if _ISO.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(_("{value} is not a real date. {help}").format(
                value=literal(value, 40), help=_(DATE_HELP))) from None
    elif (numeric := _NUMERIC.match(value)) is not None:
        day = _numeric_day(numeric, locale, value)
    elif _NOT_BACK.search(value):
        raise InvalidInput(
            _("“{value}” is not a day in the past. Relative dates count back from today, like "
              "“3 days ago”. {help}").format(value=literal(value, 40), help=_(DATE_HELP)))
    else:
        base = datetime.combine(today, datetime.min.time()).replace(hour=12)
        parsed = dateparser.parse(
            value,
            # What they type may be in their Discord language ("gestern") or in English.
            languages=_dateparser_languages(),
            settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "YMD"},
        )
        if parsed is None:
            raise InvalidInput(_("I couldn't read the date “{value}”. {help}").format(
                value=literal(value, 40), help=_(DATE_HELP)))
        day = parsed.date()
    if day > today:
        raise InvalidInput(
            _("{day} is in the future; log it once it has happened.").format(day=in_words(day)))
    if day < _years_back(today, YEARS_BACK):
        raise InvalidInput(
            _("{day} is more than {years} years ago; dates can go back {years} years at most "
              "(to {earliest}).").format(day=in_words(day), years=YEARS_BACK,
                                          earliest=in_words(_years_back(today, YEARS_BACK))))
    return day


def _dateparser_languages() -> list[str]:
    language = i18n.current().split("_", 1)[0]
    return ["en"] if language == "en" else [language, "en"]


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
    message = _("“{name}” is not an IANA timezone name like Europe/Berlin.").format(
        name=literal(cleaned, 60))
    if matches:
        message += " " + _("Did you mean {names}?").format(names=", ".join(matches))
    raise InvalidInput(message)


def timezone_choices(typed: str, limit: int = 25) -> list[str]:
    """Timezone names for autocomplete: prefix matches first, then anywhere in the name."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        return ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"][:limit]
    starts = [z for z in _ALL_ZONES if z.lower().startswith(needle)]
    parts = [z for z in _ALL_ZONES if needle in z.lower() and z not in starts]
    return (starts + parts)[:limit]
