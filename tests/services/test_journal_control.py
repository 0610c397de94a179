"""The journal service on real SQLite: per-member numbers (also for rows from before them),
duplicates, edit, undo and delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db.connection import Database
from bot.db.migrate import available_migrations
from bot.errors import NotFound, UserFacingError
from bot.services.applications import AlreadyDone
from bot.services.journal import JournalService, LoggedRejection, PossibleDuplicate
from bot.services.privacy import DataDeleted

ALICE, BOB = 1001, 1002


async def log(journal, user=ALICE, **kwargs) -> LoggedRejection:
    kwargs.setdefault("company", "Acme")
    return await journal.log_rejection(user_id=user, guild_id=None, **kwargs)


async def test_numbers_are_per_member_and_taken_in_the_insert(db, clock):
    journal = JournalService(db, clock)
    for n in range(5):
        await log(journal, BOB, company=f"Bob {n}")
    first = (await log(journal)).entry
    assert first.number == 1 and first.id == 6
    assert (await log(journal, company="Globex")).entry.number == 2
    assert (await journal.get_entry(ALICE, "#2")).company == "Globex"
    assert (await journal.get_entry(ALICE, " 1 ")).id == first.id
    with pytest.raises(NotFound, match=r"^You have no entry #3\. /rejection list shows yours\.$"):
        await journal.get_entry(ALICE, "3")
    with pytest.raises(NotFound, match="Pick one of your entries"):
        await journal.get_entry(ALICE, "Acme")


async def test_the_migration_numbers_earlier_rows_by_date_then_as_logged(tmp_path):
    db = await Database.open(str(tmp_path / "old.db"))
    for version, _, sql in available_migrations():
        if version >= 8:
            break
        await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    rows = [(ALICE, "2026-03-01"), (BOB, "2026-01-01"), (ALICE, "2026-01-15"),
            (ALICE, "2026-03-01"), (BOB, "2025-12-01")]
    async with db.transaction() as tx:
        for user, day in rows:
            await tx.execute("INSERT INTO rejections (user_id, company, occurred_on, created_at)"
                             " VALUES (?, 'X', ?, '2026-11-01T00:00:00+00:00')", (user, day))
        await tx.execute("INSERT INTO pending_imports (user_id, kind, rows, created_at,"
                         " expires_at) VALUES (?, 'log', '[]', 'a', 'b')", (ALICE,))
    from bot.db.migrate import migrate
    await migrate(db)
    numbered = [tuple(r) for r in await db.fetchall(
        "SELECT id, user_id, number FROM rejections ORDER BY id")]
    assert numbered == [(1, ALICE, 2), (2, BOB, 2), (3, ALICE, 1), (4, ALICE, 3), (5, BOB, 1)]
    assert await db.scalar("SELECT kind FROM pending_imports") == "log"
    await db.close()


async def test_a_duplicate_stores_nothing_until_log_it_anyway(db, clock):
    journal = JournalService(db, clock)
    await log(journal, role="Backend", date="2026-11-20")
    again = await journal.log_or_warn(user_id=ALICE, guild_id=None, company="ACME ",
                                      role=" backend", date="2026-11-20")
    assert isinstance(again, PossibleDuplicate) and again.earlier.number == 1
    assert await db.scalar("SELECT COUNT(*) FROM rejections") == 1
    assert await db.scalar("SELECT COUNT(*) FROM timers") == 1
    logged = await journal.log_anyway(ALICE, again.pending_id)
    assert (logged.entry.number, logged.entry.company) == (2, "ACME")
    with pytest.raises(AlreadyDone):
        await journal.log_anyway(ALICE, again.pending_id)
    with pytest.raises(UserFacingError, match="belongs to someone else"):
        await journal.log_anyway(BOB, again.pending_id)
    assert await db.scalar("SELECT COUNT(*) FROM rejections") == 2
    # Bob's entry for the same company and day is no duplicate of Alice's.
    bobs = await journal.log_or_warn(user_id=BOB, guild_id=None, company="Acme",
                                     role="Backend", date="2026-11-20")
    assert isinstance(bobs, LoggedRejection) and bobs.entry.number == 1


async def test_edit_changes_only_what_is_given(db, clock):
    journal = JournalService(db, clock)
    await log(journal, role="Backend", date="2026-11-20")
    edited = await journal.edit(user_id=ALICE, entry="1", company="Acme Corp", date="20/11/2026",
                                locale="en-GB")
    assert edited.changes == ["company"]
    assert (edited.entry.company, edited.entry.role, edited.entry.occurred_on) == (
        "Acme Corp", "Backend", "2026-11-20")
    assert edited.post_changed
    note = await journal.edit(user_id=ALICE, entry="1", note="quiet panel")
    assert note.changes == ["note"] and not note.post_changed
    with pytest.raises(NotFound):
        await journal.edit(user_id=BOB, entry="1", company="Mine now")
    assert await db.scalar("SELECT company FROM rejections") == "Acme Corp"


async def test_undo_for_15_minutes_then_delete_removes_everything(db, clock):
    journal = JournalService(db, clock)
    entry = (await log(journal)).entry
    other = (await log(journal, company="Globex")).entry
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO reflections (rejection_id, user_id, struggled, created_at,"
                         " updated_at) VALUES (?, ?, 'x', 'a', 'a')", (entry.id, ALICE))
        await tx.execute("INSERT INTO reflection_history (reflection_id, user_id, struggled,"
                         " unprepared, differently, went_well, practise, written_at,"
                         " replaced_at) SELECT id, user_id, 'y', '', '', '', '', 'a', 'a'"
                         " FROM reflections")
        await tx.execute("INSERT INTO feedback_requests (rejection_id, user_id, created_at)"
                         " VALUES (?, ?, 'a')", (entry.id, ALICE))
    clock.advance(timedelta(minutes=15))
    assert (await journal.check_undo(ALICE, entry.id)).number == 1
    clock.advance(timedelta(seconds=1))
    with pytest.raises(UserFacingError, match=r"time for undo has passed \(15 minutes\)"):
        await journal.check_undo(ALICE, entry.id)
    with pytest.raises(DataDeleted):
        await journal.delete(BOB, entry.id)
    gone = await journal.delete(ALICE, entry.id)
    assert gone.id == entry.id
    for table in ("reflections", "reflection_history", "feedback_requests"):
        assert await db.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
    assert [r[0] for r in await db.fetchall("SELECT subject_id FROM timers")] == [other.id]
    with pytest.raises(DataDeleted, match=r"^That was deleted\.$"):
        await journal.entry_for_button(ALICE, entry.id)
    with pytest.raises(DataDeleted):
        await journal.get_entry(ALICE, entry.id)       # an int: a button's internal id
    assert (await journal.entry_for_button(ALICE, other.id)).company == "Globex"
