"""Slot computation: pure functions of days, HH:MM, an IANA timezone and an instant."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import InvalidInput
from bot.services.dates import zone
from bot.services.nudges import (
    describe_days,
    next_slot,
    parse_days,
    parse_time,
    previous_slot,
    slot_on,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Parsing what admins type -------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("daily", "mon,tue,wed,thu,fri,sat,sun"),
    ("Every day", "mon,tue,wed,thu,fri,sat,sun"),
    ("weekdays", "mon,tue,wed,thu,fri"),
    ("weekends", "sat,sun"),
    ("mon,wed,fri", "mon,wed,fri"),
    ("Fri, mon  wed", "mon,wed,fri"),
    ("thursday", "thu"),
    ("sun,sun,SUN", "sun"),
])
def test_days_are_stored_expanded_monday_first(typed, stored):
    assert parse_days(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "someday", "mon,funday", ",,,"])
def test_unknown_days_are_refused(typed):
    with pytest.raises(InvalidInput, match="mon,wed,fri"):
        parse_days(typed)


def test_days_read_back_as_admins_typed_them():
    assert describe_days("mon,tue,wed,thu,fri,sat,sun") == "daily"
    assert describe_days("mon,tue,wed,thu,fri") == "weekdays"
    assert describe_days("mon,thu") == "Mon, Thu"


@pytest.mark.parametrize("typed, stored", [
    ("09:00", "09:00"), ("9:00", "09:00"), ("17:30", "17:30"), (" 0:05 ", "00:05"),
    ("23:59", "23:59"), ("9.30", "09:30"),
])
def test_times_are_24_hour_hh_mm(typed, stored):
    assert parse_time(typed) == stored


@pytest.mark.parametrize("typed, stored", [
    ("9am", "09:00"), ("9 AM", "09:00"), ("9:30 pm", "21:30"), ("9:30PM", "21:30"),
    ("9 p.m.", "21:00"), ("12am", "00:00"), ("12pm", "12:00"), ("21:00", "21:00"),
])
def test_times_with_am_and_pm_are_read(typed, stored):
    assert parse_time(typed) == stored


@pytest.mark.parametrize("typed", ["24:00", "12:60", "13pm", "0am", "noon", "9", "12:5", ""])
def test_bad_times_are_refused(typed):
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_time(typed)


# Next and previous slot ---------------------------------------------------------------------

def test_next_and_previous_slot_in_a_plain_week():
    # Wed 2026-11-25 15:00 UTC is 16:00 in Berlin (CET, +1).
    now = utc(2026, 11, 25, 15, 0)
    nxt = next_slot("mon,thu", "09:00", "Europe/Berlin", now)
    assert nxt.key == "2026-11-26T09:00" and nxt.at == utc(2026, 11, 26, 8, 0)
    prev = previous_slot("mon,thu", "09:00", "Europe/Berlin", now)
    assert prev.key == "2026-11-23T09:00" and prev.at == utc(2026, 11, 23, 8, 0)


def test_a_slot_exactly_now_is_the_previous_one_not_the_next():
    at = utc(2026, 11, 26, 8, 0)
    assert previous_slot("thu", "09:00", "Europe/Berlin", at).at == at
    assert next_slot("thu", "09:00", "Europe/Berlin", at).key == "2026-12-03T09:00"
    just_before = at - timedelta(seconds=1)
    assert next_slot("thu", "09:00", "Europe/Berlin", just_before).at == at
    assert previous_slot("thu", "09:00", "Europe/Berlin", just_before).key == "2026-11-19T09:00"


def test_daily_and_weekdays_slots():
    fri_evening = utc(2026, 11, 27, 20, 0)   # Friday 20:00 UTC
    assert next_slot("mon,tue,wed,thu,fri,sat,sun", "08:00", "UTC", fri_evening).key == \
        "2026-11-28T08:00"
    assert next_slot(parse_days("weekdays"), "08:00", "UTC", fri_evening).key == \
        "2026-11-30T08:00"
    assert previous_slot(parse_days("weekdays"), "08:00", "UTC", utc(2026, 11, 29, 12)).key == \
        "2026-11-27T08:00"


def test_the_local_date_decides_the_day_not_the_utc_date():
    # Monday 00:30 in Tokyo is still Sunday in UTC.
    slot = next_slot("mon", "00:30", "Asia/Tokyo", utc(2026, 11, 29, 12, 0))
    assert slot.key == "2026-11-30T00:30"
    assert slot.at == utc(2026, 11, 29, 15, 30)


# Daylight saving ----------------------------------------------------------------------------

def test_new_york_summer_and_winter_offsets():
    # 09:00 in New York is 13:00 UTC in summer (EDT) and 14:00 UTC in winter (EST).
    assert slot_on(utc(2026, 7, 6).date(), "09:00", zone("America/New_York")).at == \
        utc(2026, 7, 6, 13, 0)
    assert slot_on(utc(2026, 12, 7).date(), "09:00", zone("America/New_York")).at == \
        utc(2026, 12, 7, 14, 0)


def test_weekly_slot_keeps_local_time_across_the_spring_change_in_new_york():
    # Clocks go forward on Sunday 2026-03-08; the Monday 09:00 slot stays 09:00 local.
    before = next_slot("mon", "09:00", "America/New_York", utc(2026, 3, 1, 0, 0))
    after = next_slot("mon", "09:00", "America/New_York", before.at)
    assert (before.key, before.at) == ("2026-03-02T09:00", utc(2026, 3, 2, 14, 0))
    assert (after.key, after.at) == ("2026-03-09T09:00", utc(2026, 3, 9, 13, 0))
    assert after.at - before.at == timedelta(days=7) - timedelta(hours=1)


def test_spring_gap_in_new_york_posts_when_the_clocks_jump():
    # 02:30 does not exist on 2026-03-08 in New York (02:00 EST → 03:00 EDT, at 07:00 UTC).
    slot = next_slot("sun", "02:30", "America/New_York", utc(2026, 3, 7, 12, 0))
    assert slot.key == "2026-03-08T02:30"
    assert slot.at == utc(2026, 3, 8, 7, 0)
    assert slot.at.astimezone(zone("America/New_York")).strftime("%H:%M") == "03:00"
    # The next week is back to normal.
    assert next_slot("sun", "02:30", "America/New_York", slot.at).at == utc(2026, 3, 15, 6, 30)


def test_spring_gap_in_berlin_posts_when_the_clocks_jump():
    # 2026-03-29: 02:00 CET → 03:00 CEST at 01:00 UTC; 02:15 does not exist.
    slot = slot_on(utc(2026, 3, 29).date(), "02:15", zone("Europe/Berlin"))
    assert slot.key == "2026-03-29T02:15"
    assert slot.at == utc(2026, 3, 29, 1, 0)
    daily = [next_slot("mon,tue,wed,thu,fri,sat,sun", "02:15", "Europe/Berlin",
                       utc(2026, 3, 27, 12) + timedelta(days=d)) for d in range(3)]
    assert [s.at for s in daily] == [
        utc(2026, 3, 28, 1, 15), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 15)]


def test_autumn_overlap_in_new_york_posts_at_the_first_one_once():
    # 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    first = utc(2026, 11, 1, 5, 30)
    slot = next_slot("sun", "01:30", "America/New_York", utc(2026, 10, 31, 12))
    assert (slot.key, slot.at) == ("2026-11-01T01:30", first)
    # During the repeated hour it is still the same slot (same key), never a second one.
    during_repeat = utc(2026, 11, 1, 6, 45)
    assert previous_slot("sun", "01:30", "America/New_York", during_repeat).key == slot.key
    assert next_slot("sun", "01:30", "America/New_York", during_repeat).key == "2026-11-08T01:30"


def test_autumn_overlap_in_berlin_posts_at_the_first_one():
    # 2026-10-25: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    slot = slot_on(utc(2026, 10, 25).date(), "02:30", zone("Europe/Berlin"))
    assert slot.at == utc(2026, 10, 25, 0, 30)
    week_later = next_slot("sun", "02:30", "Europe/Berlin", slot.at)
    assert week_later.at == utc(2026, 11, 1, 1, 30)


def test_an_unknown_timezone_name_falls_back_to_utc():
    assert next_slot("mon", "09:00", "Not/AZone", utc(2026, 11, 25)).at == utc(2026, 11, 30, 9)
