import itertools
import random

import pytest

from bot.errors import InvalidInput, NotFound
from bot.services.journal import JournalService
from bot.services.reframes import REFRAMES

ALICE, BOB = 1001, 1002


async def test_log_stores_entry_and_schedules_prompt(db, clock):
    journal = JournalService(db, clock)
    logged = await journal.log_rejection(
        user_id=ALICE, guild_id=5, company="  Acme  ", role="Backend", stage="onsite",
        date="yesterday", note="panel was rushed",
    )
    assert logged.entry.company == "Acme"
    assert logged.entry.occurred_on == "2026-11-24"
    assert logged.entry.share == "private"
    assert logged.prompt_due_at == "2026-11-26T15:00:00+00:00"
    timers = await db.fetchall("SELECT kind, subject_id, due_at FROM timers")
    assert [tuple(t) for t in timers] == [
        ("reflection_prompt", logged.entry.id, "2026-11-26T15:00:00+00:00")
    ]
    assert logged.reframe in {line for _, line in REFRAMES}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"company": "   "}, "company"),
        ({"company": "\u200b"}, "company"),
        ({"company": "x" * 101}, "under 100"),
        ({"company": "Acme", "date": "tomorrow"}, "future"),
        ({"company": "Acme", "date": "2026-13-45"}, "not a real date"),
        ({"company": "Acme", "date": "when pigs fly"}, "couldn't read"),
        ({"company": "Acme", "note": "n" * 1001}, "under 1,000"),
        ({"company": "Acme", "stage": "lunch"}, "Stage"),
        ({"company": "Ac\x00me"}, "control characters"),
    ],
)
async def test_bad_input_is_refused_and_nothing_stored(db, clock, kwargs, message):
    journal = JournalService(db, clock)
    with pytest.raises(InvalidInput, match=message):
        await journal.log_rejection(user_id=ALICE, guild_id=None, **kwargs)
    assert await db.scalar("SELECT COUNT(*) FROM rejections") == 0
    assert await db.scalar("SELECT COUNT(*) FROM timers") == 0


async def test_relative_dates(db, clock):
    journal = JournalService(db, clock)
    for typed, expected in [("today", "2026-11-25"), ("3 days ago", "2026-11-22"),
                            ("2026-01-02", "2026-01-02"), (None, "2026-11-25")]:
        logged = await journal.log_rejection(user_id=ALICE, guild_id=None, company="A", date=typed)
        assert logged.entry.occurred_on == expected


async def test_reframe_never_repeats_twice_in_a_row(db, clock):
    journal = JournalService(db, clock, rng=random.Random(7))
    seen = []
    for _ in range(40):
        logged = await journal.log_rejection(user_id=ALICE, guild_id=None, company="A",
                                             stage="onsite")
        seen.append(logged.reframe)
    assert all(a != b for a, b in itertools.pairwise(seen))
    assert len(set(seen)) >= 4
    assert len(REFRAMES) >= 12


async def test_entries_are_private_to_their_owner(db, clock):
    journal = JournalService(db, clock)
    mine = (await journal.log_rejection(user_id=ALICE, guild_id=None, company="Acme")).entry
    await journal.log_rejection(user_id=BOB, guild_id=None, company="Globex")
    assert [e.company for e in await journal.list_entries(ALICE)] == ["Acme"]
    with pytest.raises(NotFound) as refused:
        await journal.get_entry(BOB, mine.id)
    assert "Acme" not in refused.value.message
    assert [e.company for e in await journal.suggest_entries(BOB, "")] == ["Globex"]
    assert await journal.suggest_entries(BOB, "Acm") == []
    assert (await journal.get_entry(ALICE, None)).id == mine.id


async def test_list_newest_first(db, clock):
    journal = JournalService(db, clock)
    for name in ["A", "B", "C"]:
        await journal.log_rejection(user_id=ALICE, guild_id=None, company=name)
    assert [e.company for e in await journal.list_entries(ALICE, 2)] == ["C", "B"]


async def test_no_prompt_when_dm_prompts_off(db, clock):
    from bot.db.repositories.member_settings import MemberSettingsRepository
    repo = MemberSettingsRepository(db)
    async with db.transaction() as tx:
        await repo.save(tx, (await repo.get(ALICE)).with_changes(dm_prompts=False, updated_at="x"))
    logged = await JournalService(db, clock).log_rejection(user_id=ALICE, guild_id=None,
                                                           company="A")
    assert logged.prompt_due_at is None
    assert await db.scalar("SELECT COUNT(*) FROM timers") == 0


async def test_logging_never_undoes_a_settings_change_made_meanwhile(db, clock):
    """The journal writes only the reframe it showed, never the preferences it read: a
    settings change stored after that read must survive the log's write. (The read runs in
    the log's own transaction, so the change is made there, right after it.)"""
    from bot.db.repositories.member_settings import MemberSettingsRepository
    journal = JournalService(db, clock)
    repo = MemberSettingsRepository(db)
    read = journal.settings.get_sync

    def read_then_timezone_changes(tx, user_id):
        prefs = read(tx, user_id)
        tx.execute("INSERT INTO member_settings (user_id, timezone, updated_at)"
                   " VALUES (?, 'Europe/Berlin', 'x')", (user_id,))
        return prefs

    journal.settings.get_sync = read_then_timezone_changes
    await journal.log_rejection(user_id=ALICE, guild_id=None, company="Acme")
    stored = await repo.get(ALICE)
    assert stored.timezone == "Europe/Berlin"
    assert stored.last_reframe is not None
