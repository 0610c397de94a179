"""Texts fit the stage: a rejection before any interview never talks about one."""

from __future__ import annotations

import random

import pytest

from bot.clock import to_db
from bot.services.feedback import TONES, FeedbackService, compose
from bot.services.journal import JournalService
from bot.services.personal import DueItem, item_line
from bot.services.reflection import APPLICATION_PROMPTS, PROMPTS, prompts_for
from bot.services.reframes import REFRAMES, pick_reframe, reframe_text

ALICE = 1001


async def log(db, clock, **kwargs):
    kwargs.setdefault("company", "Acme")
    return (await JournalService(db, clock).log_rejection(
        user_id=ALICE, guild_id=None, **kwargs)).entry


@pytest.mark.parametrize("stage", [None, "application"])
async def test_nothing_for_an_application_stage_entry_mentions_an_interview(db, clock, stage):
    entry = await log(db, clock, company="Globex", role="Analyst", stage=stage)
    texts: list[str] = []
    for tone in TONES:
        for interviewer in (None, "Dana Smith"):
            texts += compose(entry, interviewer, tone, "Alice")
        draft = await FeedbackService(db, clock).draft(ALICE, entry.id, None, tone, "Alice")
        texts += [draft.subject, draft.body]
    # Every reframe the picker can choose for this stage, whatever was shown last.
    for last in [None, *range(len(REFRAMES))]:
        for seed in range(40):
            texts.append(reframe_text(pick_reframe(stage, last, random.Random(seed))))
    texts += prompts_for(stage).values()
    for reflected in (False, True):
        texts.append(item_line(DueItem(1, "feedback_followup", entry.id, entry=entry,
                                       requested_at=to_db(clock.now()), reflected=reflected)))
    texts.append(item_line(DueItem(2, "reflection_prompt", entry.id, entry=entry)))
    assert texts and not [t for t in texts if "interview" in t.lower()]
    assert prompts_for(stage) is APPLICATION_PROMPTS
    assert "strengthen your next application" in " ".join(APPLICATION_PROMPTS.values())
    assert all(len(label) <= 45 for label in APPLICATION_PROMPTS.values())


async def test_interview_stage_keeps_the_interview_questions_and_draft(db, clock):
    entry = await log(db, clock, stage="onsite")
    assert prompts_for("onsite") is PROMPTS and prompts_for("recruiter-screen") is PROMPTS
    subject, body = compose(entry, None, "warm", "Alice")
    assert "interview" in body and body.endswith("Best wishes,\nAlice")


async def test_application_draft_asks_what_would_strengthen_the_next_application(db, clock):
    entry = await log(db, clock, stage="application", role="Analyst")
    subject, body = compose(entry, "Dana Smith", "brief", "Alice Jones")
    assert body.startswith("Hi Dana,\n") and body.endswith("Thanks again,\nAlice Jones")
    assert "application" in subject and "stronger" in body
    _, formal = compose(entry, "Dana Smith", "formal", "Alice Jones")
    assert formal.startswith("Dear Dana Smith,\n")


async def test_feedback_logged_says_whether_a_reflection_exists(db, clock):
    from bot.services.reflection import ReflectionService
    entry = await log(db, clock)
    service = FeedbackService(db, clock)
    logged = await service.log_feedback(ALICE, entry.id, "More SQL please.")
    assert not logged.has_reflection
    await ReflectionService(db, clock).save(ALICE, entry.id, {"practise": "SQL"})
    again = await service.log_feedback(ALICE, entry.id, "More SQL, really.")
    assert again.has_reflection and again.replaced

