"""Rules about DMs that logging an entry needs too (kept apart so both can import them)."""

from __future__ import annotations

from datetime import date, timedelta

OLD_ENTRY = timedelta(days=14)      # an entry dated earlier than this gets no reflection DM


def prompt_wanted(occurred_on: date, logged_on: date) -> bool:
    """Whether an entry gets a reflection prompt by DM: not when it is dated more than 14 days
    before it was logged (/reflect still works for it)."""
    return logged_on - occurred_on <= OLD_ENTRY
