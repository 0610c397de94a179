"""Asking for feedback (habit 2): a thankful request to copy, a record that it was sent, one
follow-up reminder if nothing came back, and the feedback itself kept beside the reflection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.feedback import FeedbackRepository, FeedbackRequest
from bot.db.repositories.rejections import Rejection
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput
from bot.services import text
from bot.services.journal import JournalService

TONES = ("brief", "warm", "formal")
SIGNATURE = "[Your name]"


@dataclass(frozen=True, slots=True)
class Draft:
    entry: Rejection
    subject: str
    body: str
    tone: str


@dataclass(frozen=True, slots=True)
class SentRequest:
    entry: Rejection
    followup_due_at: str | None   # when the one follow-up reminder is due, if one is waiting
    already_sent: bool            # "I sent it" had been clicked before
    feedback_logged: bool         # feedback is already in, so no reminder is needed


@dataclass(frozen=True, slots=True)
class LoggedFeedback:
    entry: Rejection
    replaced: bool                # True when it overwrote feedback logged earlier


def compose(entry: Rejection, interviewer: str | None, tone: str) -> tuple[str, str]:
    """Subject and body of the request email. Short on purpose (under 150 words): people
    answer short, specific, thankful requests."""
    company = entry.company
    role = entry.role
    if tone == "brief":
        about = f"the {role} role" if role else "the role"
        subject = f"Feedback on my {role + ' ' if role else ''}interview at {company}"
        body = (
            f"Hi {interviewer or 'there'},\n\n"
            f"Thank you for your time during the interviews for {about} at {company}, and for "
            "letting me know the outcome.\n\n"
            "Could you share any specific, honest feedback on where I could improve? Even a few "
            "lines would help me a lot.\n\n"
            f"Thanks again,\n{SIGNATURE}"
        )
    elif tone == "formal":
        about = f"the {role} position" if role else "the position"
        subject = f"Request for feedback: {role + ' ' if role else ''}interview at {company}"
        body = (
            f"Dear {interviewer or 'Hiring Team'},\n\n"
            f"Thank you for the opportunity to interview for {about} at {company}, and for "
            "informing me of your decision. I appreciate the time you and your colleagues "
            "gave to the process.\n\n"
            "I would be grateful for any specific and honest feedback on my interviews, in "
            "particular the areas where I could improve. Your perspective would be valuable "
            "to my professional development.\n\n"
            "Thank you again for your consideration.\n\n"
            f"Kind regards,\n{SIGNATURE}"
        )
    elif tone == "warm":
        about = f"the {role} role" if role else "the role"
        subject = f"Thank you, and a small request about {about} at {company}"
        body = (
            f"Hi {interviewer or 'there'},\n\n"
            f"Thank you so much for the time you spent with me during the interviews for {about} "
            f"at {company}. I enjoyed learning about the team, and I appreciate you letting me "
            "know the decision.\n\n"
            "If you're open to it, I'd be grateful for any specific, honest feedback: what I "
            "could have done better, and anything that stood out. It would really help me as I "
            "keep preparing.\n\n"
            "Thanks again, and I hope our paths cross in the future.\n\n"
            f"Best wishes,\n{SIGNATURE}"
        )
    else:
        raise InvalidInput(f"Tone must be one of: {', '.join(TONES)}.")
    return subject, body


class FeedbackService:
    def __init__(self, db: Database, clock: Clock, followup_days: int = 7) -> None:
        self.db = db
        self.clock = clock
        self.followup_days = followup_days
        self.journal = JournalService(db, clock)
        self.requests = FeedbackRepository(db)
        self.timers = TimerRepository(db)

    async def draft(
        self, user_id: int, rejection_id: int | str | None, interviewer: str | None = None,
        tone: str = "warm",
    ) -> Draft:
        entry = await self.journal.get_entry(user_id, rejection_id)
        if tone not in TONES:
            raise InvalidInput(f"Tone must be one of: {', '.join(TONES)}.")
        name = text.clean_optional(interviewer, "interviewer's name", text.NAME_MAX)
        if name is None:
            # A name given in an earlier draft of this request is used again.
            earlier = await self.requests.for_entry(user_id, entry.id)
            name = earlier.interviewer if earlier else None
        subject, body = compose(entry, name, tone)
        async with self.db.transaction() as tx:
            await self.requests.save_draft(
                tx, user_id=user_id, rejection_id=entry.id, interviewer=name, tone=tone,
                at=to_db(self.clock.now()),
            )
        return Draft(entry=entry, subject=subject, body=body, tone=tone)

    async def mark_sent(self, user_id: int, rejection_id: int | str | None) -> SentRequest:
        """Record that the request went out and schedule the single follow-up reminder."""
        entry = await self.journal.get_entry(user_id, rejection_id)
        now = self.clock.now()
        due = to_db(now + timedelta(days=self.followup_days))
        async with self.db.transaction() as tx:
            earlier = await self.requests.for_entry(user_id, entry.id)
            await self.requests.mark_sent(tx, user_id=user_id, rejection_id=entry.id, at=to_db(now))
            feedback_logged = bool(earlier and earlier.feedback_text)
            already_sent = bool(earlier and earlier.sent_at)
            # One reminder per request, ever: clicking again does not add another.
            reminders = await self.timers.for_subject(user_id, "feedback_followup", entry.id)
            if not feedback_logged and not reminders:
                await self.timers.add(
                    tx, user_id=user_id, kind="feedback_followup", subject_id=entry.id,
                    due_at=due, created_at=to_db(now),
                )
        pending = await self.timers.pending_for(user_id, "feedback_followup", entry.id)
        return SentRequest(
            entry=entry, followup_due_at=pending.due_at if pending else None,
            already_sent=already_sent, feedback_logged=feedback_logged,
        )

    async def start_log(
        self, user_id: int, rejection_id: int | str | None
    ) -> tuple[Rejection, FeedbackRequest | None]:
        """The entry whose feedback is being logged, and what was logged before, if anything."""
        entry = await self.journal.get_entry(user_id, rejection_id)
        return entry, await self.requests.for_entry(user_id, entry.id)

    async def log_feedback(
        self, user_id: int, rejection_id: int | str | None, feedback: str | None
    ) -> LoggedFeedback:
        entry = await self.journal.get_entry(user_id, rejection_id)
        cleaned = text.clean_required(feedback, "feedback", text.FEEDBACK_MAX)
        async with self.db.transaction() as tx:
            earlier = await self.requests.for_entry(user_id, entry.id)
            await self.requests.record_feedback(
                tx, user_id=user_id, rejection_id=entry.id, feedback_text=cleaned,
                at=to_db(self.clock.now()),
            )
            # Feedback is in: the "did you hear back?" reminder has nothing left to ask.
            await self.timers.cancel_pending(
                tx, user_id=user_id, kind="feedback_followup", subject_id=entry.id
            )
        return LoggedFeedback(entry=entry, replaced=bool(earlier and earlier.feedback_text))

    async def stop_followup(self, user_id: int, rejection_id: int | str | None) -> Rejection:
        entry = await self.journal.get_entry(user_id, rejection_id)
        async with self.db.transaction() as tx:
            await self.timers.cancel_pending(
                tx, user_id=user_id, kind="feedback_followup", subject_id=entry.id
            )
        return entry
