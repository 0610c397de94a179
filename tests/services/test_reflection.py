from datetime import timedelta

import pytest

from bot.errors import InvalidInput, NotFound
from bot.services.feedback import FeedbackService
from bot.services.insights import InsightsService
from bot.services.journal import JournalService
from bot.services.reflection import PROMPTS, ReflectionService, entry_label

ALICE, BOB = 1001, 1002


async def log(db, clock, user=ALICE, **kwargs):
    kwargs.setdefault("company", "Acme")
    return (await JournalService(db, clock).log_rejection(user_id=user, guild_id=None,
                                                          **kwargs)).entry


async def test_save_stores_answers_and_cancels_the_prompt(db, clock):
    entry = await log(db, clock, stage="onsite")
    saved = await ReflectionService(db, clock).save(
        ALICE, entry.id, {"struggled": "  system design ", "practise": "mock interviews"}
    )
    assert saved.edited is False
    row = await db.fetchone("SELECT * FROM reflections WHERE rejection_id = ?", (entry.id,))
    assert (row["user_id"], row["struggled"], row["practise"], row["went_well"]) == (
        ALICE, "system design", "mock interviews", "")
    assert await db.scalar("SELECT status FROM timers WHERE subject_id = ?", (entry.id,)) == \
        "cancelled"


async def test_reflecting_again_edits_and_keeps_history(db, clock):
    entry = await log(db, clock)
    service = ReflectionService(db, clock)
    await service.save(ALICE, entry.id, {"struggled": "first try"})
    clock.advance(timedelta(hours=2))
    saved = await service.save(ALICE, entry.id, {"struggled": "second try", "went_well": "rapport"})
    assert saved.edited is True
    assert await db.scalar("SELECT COUNT(*) FROM reflections") == 1
    assert saved.reflection.struggled == "second try"
    assert saved.reflection.updated_at == "2026-11-25T17:00:00+00:00"
    history = await service.reflections.history(saved.reflection.id)
    assert [(h.struggled, h.went_well, h.written_at, h.replaced_at) for h in history] == [
        ("first try", "", "2026-11-25T15:00:00+00:00", "2026-11-25T17:00:00+00:00")
    ]
    _, current = await service.start(ALICE, entry.id)
    assert current is not None and current.went_well == "rapport"


async def test_default_is_the_latest_entry(db, clock):
    await log(db, clock, company="Old")
    newest = await log(db, clock, company="New")
    saved = await ReflectionService(db, clock).save(ALICE, None, {"went_well": "calm"})
    assert saved.entry.id == newest.id


@pytest.mark.parametrize(
    "answers", [{}, {"struggled": "   "}, {"practise": "\u200b", "went_well": ""}]
)
async def test_at_least_one_answer_is_needed(db, clock, answers):
    entry = await log(db, clock)
    with pytest.raises(InvalidInput, match="at least one"):
        await ReflectionService(db, clock).save(ALICE, entry.id, answers)
    assert await db.scalar("SELECT COUNT(*) FROM reflections") == 0
    assert await db.scalar("SELECT status FROM timers") == "pending"


async def test_answers_over_the_limit_are_refused_not_cut(db, clock):
    entry = await log(db, clock)
    with pytest.raises(InvalidInput, match="What went well"):
        await ReflectionService(db, clock).save(ALICE, entry.id, {"went_well": "x" * 1001})
    assert await db.scalar("SELECT COUNT(*) FROM reflections") == 0


async def test_someone_elses_entry_is_refused_without_revealing_it(db, clock):
    entry = await log(db, clock, company="SecretCorp")
    with pytest.raises(NotFound) as refused:
        await ReflectionService(db, clock).save(BOB, entry.id, {"struggled": "x"})
    assert "SecretCorp" not in refused.value.message
    assert await db.scalar("SELECT COUNT(*) FROM reflections") == 0


async def test_themes_come_from_reflections_and_feedback(db, clock):
    service = ReflectionService(db, clock)
    first, second, third = [await log(db, clock, company=c) for c in ("A", "B", "C")]
    saved = await service.save(ALICE, first.id, {"struggled": "system design questions"})
    assert saved.shared.themes == [] and saved.shared.notes == 1
    await FeedbackService(db, clock).log_feedback(
        ALICE, second.id, "Your system design answer lacked depth on caching."
    )
    saved = await service.save(ALICE, third.id, {"practise": "caching strategies"})
    assert [(t.phrase, t.notes) for t in saved.shared.themes] == [
        ("system design", 2), ("caching", 2)]
    assert (saved.shared.reflections, saved.shared.feedback_notes) == (2, 1)
    assert [t.phrase for t in await service.themes(ALICE)] == ["system design", "caching"]
    # Another member's notes never mix in.
    bob_entry = await log(db, clock, user=BOB)
    bob = await service.save(BOB, bob_entry.id, {"struggled": "system design"})
    assert bob.shared.themes == [] and bob.shared.notes == 1


async def test_themes_after_reflecting_are_the_ones_insights_lists(db, clock):
    service = ReflectionService(db, clock)
    answers = [
        {"struggled": "Salary negotiation questions threw me.",
         "unprepared": "I was unprepared for system design.",
         "went_well": "The past project walkthrough went well."},
        {"struggled": "System design: sharding a database.", "unprepared": "Scaling discussions.",
         "went_well": "The STAR method kept my stories short."},
        {"struggled": "The system design question on a URL shortener.",
         "unprepared": "Caching strategies and scaling.",
         "went_well": "I explained my past project clearly; the STAR method helped.",
         "practise": "Practise system design with a timer."},
    ]
    entries = [await log(db, clock, company=c) for c in ("Acme", "Hooli", "Initech")]
    await FeedbackService(db, clock).log_feedback(
        ALICE, entries[0].id, "The system design round lacked depth on caching.")
    for entry, answer in zip(entries, answers, strict=True):
        saved = await service.save(ALICE, entry.id, answer)
    listed = await InsightsService(db, clock).insights(ALICE)
    assert saved.shared == listed
    assert [(t.phrase, t.notes) for t in saved.shared.themes] == [
        ("system design", 4), ("caching", 2), ("scaling", 2)]
    # What went well is kept apart from the prep list, as /insights shows it.
    assert {(t.phrase, t.notes) for t in saved.shared.strengths} == {
        ("star method", 2), ("past project", 2)}


async def test_suggestions_are_own_entries_newest_first_with_labels(db, clock):
    old = await log(db, clock, company="Acme", stage="onsite")
    await log(db, clock, user=BOB, company="Acme Bob")
    new = await log(db, clock, company="Acme Labs")
    choices = await ReflectionService(db, clock).suggest_entries(ALICE, "acme")
    # Alice's own numbers (Bob's entry took no number of hers), the date in words.
    assert (old.number, new.number) == (1, 2)
    assert choices == [
        ("#2 Acme Labs · Wed 25 Nov 2026", "2"),
        ("#1 Acme · onsite · Wed 25 Nov 2026", "1"),
    ]
    for i in range(30):
        await log(db, clock, company=f"Co{i}")
    assert len(await ReflectionService(db, clock).suggest_entries(ALICE, "")) == 25


async def test_label_fits_discords_limit(db, clock):
    entry = await log(db, clock, company="C" * 100, stage="recruiter-screen")
    label = entry_label(entry)
    assert len(label) <= 100
    assert label.startswith(f"#{entry.number} CCC") and "recruiter-screen" in label


def test_prompt_labels_fit_a_modal():
    assert all(len(label) <= 45 for label in PROMPTS.values())
    assert list(PROMPTS) == ["struggled", "unprepared", "differently", "went_well", "practise"]
