import re
from datetime import timedelta

import pytest

from bot.clock import to_db
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput, NotFound
from bot.services.feedback import TONES, FeedbackService
from bot.services.journal import JournalService
from bot.services.outbox import OutboxService

ALICE, BOB = 1001, 1002


async def log(db, clock, user=ALICE, **kwargs):
    kwargs.setdefault("company", "Acme")
    return (await JournalService(db, clock).log_rejection(user_id=user, guild_id=None,
                                                          **kwargs)).entry


def words(text: str) -> int:
    return len(re.findall(r"\S+", text))


@pytest.mark.parametrize("tone", TONES)
async def test_draft_names_everyone_thanks_and_asks_for_specific_honest_feedback(db, clock, tone):
    entry = await log(db, clock, company="Globex", role="Data Engineer", stage="onsite")
    draft = await FeedbackService(db, clock).draft(ALICE, entry.id, "Priya Raman", tone)
    body = draft.body
    # Brief and warm drafts greet by first name, formal ones by full name.
    greeting = {"brief": "Hi Priya,", "warm": "Hi Priya,", "formal": "Dear Priya Raman,"}
    assert body.splitlines()[0] == greeting[tone]
    assert "Globex" in body and "Data Engineer" in body
    assert "Globex" in draft.subject
    assert re.search(r"\bthank", body, re.IGNORECASE)
    assert "specific" in body and "honest" in body
    assert words(draft.subject) + words(body) < 150
    assert draft.tone == tone


@pytest.mark.parametrize("tone", TONES)
async def test_draft_without_interviewer_or_role_still_reads_well(db, clock, tone):
    entry = await log(db, clock, company="Initech")
    draft = await FeedbackService(db, clock).draft(ALICE, entry.id, None, tone)
    first_line = draft.body.splitlines()[0]
    assert first_line in {"Hi there,", "Dear Hiring Team,"}
    assert "None" not in draft.body and "None" not in draft.subject
    assert "Initech" in draft.body and words(draft.body) < 150


async def test_draft_with_long_names_stays_under_150_words(db, clock):
    entry = await log(
        db, clock, company="Very Large Multinational Holding Company Incorporated",
        role="Senior Staff Principal Distributed Systems Platform Reliability Engineer",
    )
    for tone in TONES:
        draft = await FeedbackService(db, clock).draft(
            ALICE, entry.id, "Dr. Alexandra Catherine Montgomery-Smythe", tone)
        assert words(draft.subject) + words(draft.body) < 150, tone


async def test_draft_is_remembered_and_bad_tone_refused(db, clock):
    entry = await log(db, clock)
    service = FeedbackService(db, clock)
    await service.draft(ALICE, entry.id, "Sam", "brief")
    again = await service.draft(ALICE, entry.id, None, "formal")
    assert again.body.startswith("Dear Sam,")
    row = await db.fetchone("SELECT interviewer, tone, sent_at FROM feedback_requests")
    assert tuple(row) == ("Sam", "formal", None)
    with pytest.raises(InvalidInput, match="Tone"):
        await service.draft(ALICE, entry.id, None, "sarcastic")


async def test_i_sent_it_records_and_schedules_one_followup(db, clock):
    entry = await log(db, clock)
    service = FeedbackService(db, clock, followup_days=7)
    sent = await service.mark_sent(ALICE, entry.id)
    assert sent.followup_due_at == "2026-12-02T15:00:00+00:00" and not sent.already_sent
    clock.advance(timedelta(hours=1))
    again = await service.mark_sent(ALICE, entry.id)
    assert again.already_sent
    assert await db.scalar("SELECT sent_at FROM feedback_requests") == "2026-11-25T15:00:00+00:00"
    followups = await db.fetchall("SELECT due_at FROM timers WHERE kind = 'feedback_followup'")
    assert [r[0] for r in followups] == ["2026-12-02T15:00:00+00:00"]


async def test_followup_fires_only_when_no_feedback_was_logged(db, clock):
    quiet = await log(db, clock, company="Quiet")
    answered = await log(db, clock, company="Answered")
    service = FeedbackService(db, clock)
    await service.mark_sent(ALICE, quiet.id)
    await service.mark_sent(ALICE, answered.id)
    clock.advance(timedelta(days=3))
    logged = await service.log_feedback(ALICE, answered.id, "Strong coding, weaker on design.")
    assert logged.replaced is False
    # Only the unanswered request is still waiting.
    rows = await db.fetchall(
        "SELECT subject_id, status FROM timers WHERE kind = 'feedback_followup'"
        " ORDER BY subject_id"
    )
    assert [tuple(r) for r in rows] == [(quiet.id, "pending"), (answered.id, "cancelled")]
    clock.advance(timedelta(days=5))
    [claim] = await due_dms(db, clock)
    # Merged with the reflection prompts: the one button to choose lists the follow-ups.
    [choose] = [b.custom_id for b in claim.payload.buttons if b.label == "Choose an entry"]
    items = choose.removeprefix("onward:dm-pick:").split(".")
    assert [i for i in items if i.startswith("f")] == [f"f{quiet.id}"]


async def test_feedback_logged_before_the_reminder_is_due_stops_it_even_if_it_lingers(db, clock):
    entry = await log(db, clock)
    service = FeedbackService(db, clock)
    await service.mark_sent(ALICE, entry.id)
    # Feedback stored by another path while the timer is still pending.
    async with db.transaction() as tx:
        await service.requests.record_feedback(tx, user_id=ALICE, rejection_id=entry.id,
                                               feedback_text="ok", at="2026-11-26T10:00:00+00:00")
    clock.advance(timedelta(days=8))
    [claim] = await due_dms(db, clock)
    assert [b.label for b in claim.payload.buttons] == [
        "Reflect now", "Remind me tomorrow", "Not this one", "Pause DM prompts"]
    assert await db.scalar("SELECT status FROM timers WHERE kind = 'feedback_followup'") == \
        "cancelled"


async def test_no_followup_when_feedback_already_in(db, clock):
    entry = await log(db, clock)
    service = FeedbackService(db, clock)
    await service.log_feedback(ALICE, entry.id, "Thanks for applying; we went with experience.")
    sent = await service.mark_sent(ALICE, entry.id)
    assert sent.feedback_logged and sent.followup_due_at is None
    assert await db.scalar("SELECT COUNT(*) FROM timers WHERE kind = 'feedback_followup'") == 0


async def test_log_creates_the_row_when_never_drafted_and_edits_replace(db, clock):
    entry = await log(db, clock)
    service = FeedbackService(db, clock)
    await service.log_feedback(ALICE, entry.id, "  first  ")
    clock.advance(timedelta(minutes=5))
    second = await service.log_feedback(ALICE, entry.id, "second")
    assert second.replaced is True
    row = await db.fetchone(
        "SELECT user_id, feedback_text, received_at, sent_at FROM feedback_requests"
    )
    assert tuple(row) == (ALICE, "second", "2026-11-25T15:05:00+00:00", None)


@pytest.mark.parametrize("typed, message", [("   ", "can't be empty"), ("x" * 4001, "under 4,000")])
async def test_bad_feedback_text_is_refused(db, clock, typed, message):
    entry = await log(db, clock)
    with pytest.raises(InvalidInput, match=message):
        await FeedbackService(db, clock).log_feedback(ALICE, entry.id, typed)
    assert await db.scalar("SELECT COUNT(*) FROM feedback_requests") == 0


async def test_other_members_entries_are_refused(db, clock):
    entry = await log(db, clock, company="Hidden Inc")
    service = FeedbackService(db, clock)
    for call in (service.draft(BOB, entry.id), service.mark_sent(BOB, entry.id),
                 service.log_feedback(BOB, entry.id, "x"), service.stop_followup(BOB, entry.id)):
        with pytest.raises(NotFound) as refused:
            await call
        assert "Hidden" not in refused.value.message
    assert await db.scalar("SELECT COUNT(*) FROM feedback_requests") == 0


async def test_stop_followup_cancels_it(db, clock):
    entry = await log(db, clock)
    service = FeedbackService(db, clock)
    await service.mark_sent(ALICE, entry.id)
    await service.stop_followup(ALICE, entry.id)
    assert await db.scalar("SELECT status FROM timers WHERE kind = 'feedback_followup'") == \
        "cancelled"


async def due_dms(db, clock):
    """What the engine does when timers fall due: claim them, and let the outbox decide."""
    due = await TimerRepository(db).claim_due(to_db(clock.now()))
    return await OutboxService(db, clock).plan(due)
