"""Applications as a pipeline, on real SQLite: numbers, statuses, Undo, duplicates, CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.db.connection import Database
from bot.db.migrate import available_migrations, migrate
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.services import application_csv
from bot.services.applications import (
    AlreadyDone,
    ApplicationService,
    LoggedApplication,
    PossibleDuplicate,
)
from bot.services.dates import in_words, parse_day
from bot.services.journal import JournalService

ALICE, BOB = 1001, 1002
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


async def test_migration_numbers_existing_rows_per_member_in_date_order(tmp_path):
    db = await Database.open(str(tmp_path / "old.db"))
    before = [(v, n, s) for v, n, s in available_migrations() if v < 7]
    for version, _, sql in before:
        await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    rows = [(BOB, "B1", "2026-01-05"), (ALICE, "A-late", "2026-03-01"),
            (ALICE, "A-early", "2026-02-01"), (BOB, "B2", "2026-01-06"),
            (ALICE, "A-same-day", "2026-03-01")]
    async with db.transaction() as tx:
        for user, company, day in rows:
            await tx.insert("INSERT INTO applications (user_id, company, applied_on, created_at)"
                            " VALUES (?, ?, ?, 'x')", (user, company, day))
    await migrate(db)
    got = await db.fetchall("SELECT user_id, number, company, status, status_changed_on"
                            " FROM applications ORDER BY user_id, number")
    assert [tuple(r) for r in got] == [
        (ALICE, 1, "A-early", "applied", "2026-02-01"),
        (ALICE, 2, "A-late", "applied", "2026-03-01"),
        (ALICE, 3, "A-same-day", "applied", "2026-03-01"),
        (BOB, 1, "B1", "applied", "2026-01-05"),
        (BOB, 2, "B2", "applied", "2026-01-06"),
    ]
    assert await db.scalar("SELECT COUNT(*) FROM application_status_history") == 5
    # New ones continue each member's own count.
    logged = await ApplicationService(db, FixedClock(NOW)).log(
        user_id=ALICE, guild_id=None, company="New")
    assert logged.application.number == 4
    await db.close()


async def test_numbers_are_per_member_and_unique_under_concurrent_logs(db, clock):
    apps = ApplicationService(db, clock)
    for n in range(5):
        await apps.log(user_id=BOB, guild_id=None, company=f"B{n}")
    results = await asyncio.gather(*(apps.log(user_id=ALICE, guild_id=None, company=f"A{n}")
                                     for n in range(6)))
    assert sorted(r.application.number for r in results) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(NotFound, match="no application #7"):
        await apps.get(ALICE, "7")
    with pytest.raises(NotFound, match="Pick one of your applications"):
        await apps.get(ALICE, "Acme")
    assert (await apps.get(BOB, "#5")).company == "B4"


async def test_duplicate_then_log_anyway_once(db, clock):
    apps = ApplicationService(db, clock)
    await apps.log(user_id=ALICE, guild_id=None, company="Acme", role="Dev")
    dup = await apps.log(user_id=ALICE, guild_id=None, company="ACME ", role=" dev")
    assert isinstance(dup, PossibleDuplicate) and dup.earlier.number == 1
    assert await db.scalar("SELECT COUNT(*) FROM applications") == 1
    with pytest.raises(UserFacingError, match="someone else"):
        await apps.log_anyway(BOB, dup.pending_id)
    logged = await apps.log_anyway(ALICE, dup.pending_id)
    assert isinstance(logged, LoggedApplication) and logged.application.number == 2
    with pytest.raises(AlreadyDone, match="Already done"):
        await apps.log_anyway(ALICE, dup.pending_id)
    assert await db.scalar("SELECT COUNT(*) FROM applications") == 2


async def test_undo_only_for_15_minutes_and_only_by_the_owner(db, clock):
    apps = ApplicationService(db, clock)
    first = (await apps.log(user_id=ALICE, guild_id=None, company="A")).application
    clock.advance(timedelta(minutes=15))
    with pytest.raises(AlreadyDone):
        await apps.undo(BOB, first.id)
    assert (await apps.undo(ALICE, first.id)).number == 1
    with pytest.raises(AlreadyDone):
        await apps.undo(ALICE, first.id)
    second = (await apps.log(user_id=ALICE, guild_id=None, company="B")).application
    clock.advance(timedelta(minutes=15, seconds=1))
    with pytest.raises(UserFacingError, match="time for undo has passed"):
        await apps.undo(ALICE, second.id)
    assert await db.scalar("SELECT COUNT(*) FROM applications") == 1


async def test_update_records_status_history_and_rejection_link(db, clock):
    apps = ApplicationService(db, clock)
    app = (await apps.log(user_id=ALICE, guild_id=None, company="Acme", role="Dev",
                          date="2026-11-20")).application
    up = await apps.update(user_id=ALICE, application="1", status="screening")
    assert up.changes == ["status"] and up.application.status_changed_on == "2026-11-25"
    assert not up.is_win
    clock.advance(timedelta(days=1))
    up = await apps.update(user_id=ALICE, application="1", status="rejected")
    assert up.offers_rejection and up.before.status == "screening"
    assert await apps.rejection_stage(app.id) == "recruiter-screen"
    journal = JournalService(db, clock)
    logged = await journal.log_rejection(user_id=ALICE, guild_id=None, company="Acme",
                                         stage="recruiter-screen",
                                         also=apps.link_rejection(up.application))
    assert await apps.linked_rejection(app.id) == logged.entry.id
    with pytest.raises(AlreadyDone):
        await journal.log_rejection(user_id=ALICE, guild_id=None, company="Acme",
                                    also=apps.link_rejection(up.application))
    assert await db.scalar("SELECT COUNT(*) FROM rejections") == 1
    nothing = await apps.update(user_id=ALICE, application="1", status="rejected",
                                company=" Acme ")
    assert nothing.changes == []
    with pytest.raises(InvalidInput, match="Status must be one of"):
        await apps.update(user_id=ALICE, application="1", status="hired")
    # Deleting the application removes its history and link; the rejection stays.
    await apps.delete(ALICE, app.id)
    assert await db.scalar("SELECT COUNT(*) FROM application_status_history") == 0
    assert await db.scalar("SELECT COUNT(*) FROM application_rejections") == 0
    assert await db.scalar("SELECT COUNT(*) FROM rejections") == 1
    with pytest.raises(AlreadyDone):
        await apps.delete(ALICE, app.id)


async def test_an_import_expires_after_a_day_and_runs_once(db, clock):
    apps = ApplicationService(db, clock)
    preview = await apps.preview_import(ALICE, b"company,date\nAcme,2026-11-02\n")
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(UserFacingError, match="expired"):
        await apps.run_import(ALICE, None, preview.pending_id)
    preview = await apps.preview_import(ALICE, b"company,date\nAcme,2026-11-02\n")
    with pytest.raises(UserFacingError, match="someone else"):
        await apps.run_import(BOB, None, preview.pending_id)
    assert await apps.run_import(ALICE, None, preview.pending_id) == (1, 0)
    with pytest.raises(AlreadyDone, match="imported"):
        await apps.run_import(ALICE, None, preview.pending_id)
    with pytest.raises(AlreadyDone):
        await apps.cancel_import(ALICE, preview.pending_id)
    assert await db.scalar("SELECT COUNT(*) FROM applications") == 1
    # The expired one was cleared when the next one was stored.
    assert await db.scalar("SELECT COUNT(*) FROM pending_imports") == 1


async def test_an_import_is_all_or_nothing(db, clock, monkeypatch):
    apps = ApplicationService(db, clock)
    preview = await apps.preview_import(
        ALICE, b"company,date\nA,2026-11-01\nB,2026-11-02\nC,2026-11-03\n")
    calls = 0
    real = apps.applications.add_sync

    def failing(tx, app):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk trouble")
        return real(tx, app)

    monkeypatch.setattr(apps.applications, "add_sync", failing)
    with pytest.raises(RuntimeError):
        await apps.run_import(ALICE, None, preview.pending_id)
    assert await db.scalar("SELECT COUNT(*) FROM applications") == 0
    monkeypatch.undo()
    assert await apps.run_import(ALICE, None, preview.pending_id) == (3, 0)


def test_csv_cells_that_look_like_formulas_are_made_text():
    data = application_csv.to_csv([(1, "2026-11-02", "=1+1", "+x", "-y", "@z", "\tt", "ok")])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[1] == ["1", "2026-11-02", "'=1+1", "'+x", "'-y", "'@z", "'\tt", "ok"]


@pytest.mark.parametrize("typed, locale, expected", [
    ("2/12/2025", "en-US", date(2025, 2, 12)),
    ("2/12/2025", "en-GB", date(2025, 12, 2)),
    ("2/12/2025", "de", date(2025, 12, 2)),
    ("02.12.25", "fr", date(2025, 12, 2)),
    ("2025-12-02", "en-US", date(2025, 12, 2)),
    ("3 days ago", None, date(2026, 11, 22)),
    ("yesterday", None, date(2026, 11, 24)),
])
def test_dates_are_read_by_locale(typed, locale, expected):
    assert parse_day(typed, NOW, "UTC", locale) == expected


@pytest.mark.parametrize("typed, words", [
    ("-3 days ago", "not a day in the past"),
    ("in 2 days", "not a day in the past"),
    ("+2 days", "not a day in the past"),
    ("next week", "not a day in the past"),
    ("tomorrow", "Thu 26 Nov 2026 is in the future"),
    ("2006-11-24", "more than 20 years ago; dates can go back 20 years at most "
                   "(to Sat 25 Nov 2006)"),
    ("13/13/2025", "not a real date"),
])
def test_dates_refused_with_a_reason(typed, words):
    with pytest.raises(InvalidInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_day(typed, NOW, "UTC", "en-GB")


def test_dates_in_words():
    assert in_words(date(2025, 12, 2)) == "Tue 2 Dec 2025"
