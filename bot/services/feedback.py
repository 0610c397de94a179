"""Asking for feedback (habit 2): a thankful request to copy, a record that it was sent, one
follow-up reminder if nothing came back, and the feedback itself kept beside the reflection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.feedback import FeedbackRepository, FeedbackRequest
from bot.db.repositories.reflections import ReflectionRepository
from bot.db.repositories.rejections import Rejection
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput
from bot.i18n import N_, _
from bot.services import text
from bot.services.journal import JournalService
from bot.services.reframes import reached_interview

TONES = ("brief", "warm", "formal")
# Translators: stands in the draft where the member signs it.
SIGNATURE = N_("[Your name]")


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
    has_reflection: bool = False  # the entry has a reflection the feedback now sits beside


def first_name(name: str) -> str:
    """The first word of a name, for greetings that use first names ("Hi Dana,"); a name
    that starts with a title ("Dr. Alex Kim") is kept whole."""
    words = name.split()
    if len(words) < 2 or words[0].endswith("."):
        return name
    return words[0]


def greeting(interviewer: str | None, tone: str) -> str:
    """Brief and warm drafts greet by first name; formal ones by full name."""
    if tone == "formal":
        if interviewer:
            return _("Dear {name},").format(name=interviewer)
        return _("Dear Hiring Team,")
    if interviewer:
        return _("Hi {first_name},").format(first_name=first_name(interviewer))
    return _("Hi there,")


def compose(
    entry: Rejection, interviewer: str | None, tone: str, signature: str | None = None
) -> tuple[str, str]:
    """Subject and body of the request email. Short on purpose (under 150 words): people
    answer short, specific, thankful requests. An entry rejected before any interview asks
    what would strengthen the next application and never speaks of interviews."""
    if tone not in TONES:
        raise InvalidInput(_("Tone must be one of: {tones}.").format(tones=", ".join(TONES)))
    values = {
        "company": entry.company,
        "role": entry.role or "",
        "greeting": greeting(interviewer, tone),
        "signature": signature or _(SIGNATURE),
    }
    stage = "interview" if reached_interview(entry.stage) else "application"
    subject, body = TEMPLATES[(stage, tone, bool(entry.role))]
    return _(subject).format(**values), _(body).format(**values)


# (stage, tone, has role) -> (subject, body): each a whole text with named placeholders
# ({greeting}, {company}, {role}, {signature}), translated when a draft is made.
TEMPLATES: dict[tuple[str, str, bool], tuple[str, str]] = {
    ("interview", "brief", True): (
        N_("Feedback on my {role} interview at {company}"),
        N_("{greeting}\n\n"
           "Thank you for your time during the interviews for the {role} role at {company}, "
           "and for letting me know the outcome.\n\n"
           "Could you share any specific, honest feedback on where I could improve? Even a "
           "few lines would help me a lot.\n\n"
           "Thanks again,\n"
           "{signature}"),
    ),
    ("interview", "brief", False): (
        N_("Feedback on my interview at {company}"),
        N_("{greeting}\n\n"
           "Thank you for your time during the interviews for the role at {company}, and for "
           "letting me know the outcome.\n\n"
           "Could you share any specific, honest feedback on where I could improve? Even a "
           "few lines would help me a lot.\n\n"
           "Thanks again,\n"
           "{signature}"),
    ),
    ("interview", "formal", True): (
        N_("Request for feedback: {role} interview at {company}"),
        N_("{greeting}\n\n"
           "Thank you for the opportunity to interview for the {role} position at {company}, "
           "and for informing me of your decision. I appreciate the time you and your "
           "colleagues gave to the process.\n\n"
           "I would be grateful for any specific and honest feedback on my interviews, in "
           "particular the areas where I could improve. Your perspective would be valuable "
           "to my professional development.\n\n"
           "Thank you again for your consideration.\n\n"
           "Kind regards,\n"
           "{signature}"),
    ),
    ("interview", "formal", False): (
        N_("Request for feedback: interview at {company}"),
        N_("{greeting}\n\n"
           "Thank you for the opportunity to interview for the position at {company}, and "
           "for informing me of your decision. I appreciate the time you and your colleagues "
           "gave to the process.\n\n"
           "I would be grateful for any specific and honest feedback on my interviews, in "
           "particular the areas where I could improve. Your perspective would be valuable "
           "to my professional development.\n\n"
           "Thank you again for your consideration.\n\n"
           "Kind regards,\n"
           "{signature}"),
    ),
    ("interview", "warm", True): (
        N_("Thank you, and a small request about the {role} role at {company}"),
        N_("{greeting}\n\n"
           "Thank you so much for the time you spent with me during the interviews for the "
           "{role} role at {company}. I enjoyed learning about the team, and I appreciate "
           "you letting me know the decision.\n\n"
           "If you're open to it, I'd be grateful for any specific, honest feedback: what I "
           "could have done better, and anything that stood out. It would really help me as "
           "I keep preparing.\n\n"
           "Thanks again, and I hope our paths cross in the future.\n\n"
           "Best wishes,\n"
           "{signature}"),
    ),
    ("interview", "warm", False): (
        N_("Thank you, and a small request about the role at {company}"),
        N_("{greeting}\n\n"
           "Thank you so much for the time you spent with me during the interviews for the "
           "role at {company}. I enjoyed learning about the team, and I appreciate you "
           "letting me know the decision.\n\n"
           "If you're open to it, I'd be grateful for any specific, honest feedback: what I "
           "could have done better, and anything that stood out. It would really help me as "
           "I keep preparing.\n\n"
           "Thanks again, and I hope our paths cross in the future.\n\n"
           "Best wishes,\n"
           "{signature}"),
    ),
    ("application", "brief", True): (
        N_("Feedback on my application for the {role} role at {company}"),
        N_("{greeting}\n\n"
           "Thank you for considering my application for the {role} role at {company}, and "
           "for letting me know the outcome.\n\n"
           "Could you share what would have made my application stronger? Even a few lines "
           "would help me a lot.\n\n"
           "Thanks again,\n"
           "{signature}"),
    ),
    ("application", "brief", False): (
        N_("Feedback on my application at {company}"),
        N_("{greeting}\n\n"
           "Thank you for considering my application for the role at {company}, and for "
           "letting me know the outcome.\n\n"
           "Could you share what would have made my application stronger? Even a few lines "
           "would help me a lot.\n\n"
           "Thanks again,\n"
           "{signature}"),
    ),
    ("application", "formal", True): (
        N_("Request for feedback: application for the {role} position at {company}"),
        N_("{greeting}\n\n"
           "Thank you for considering my application for the {role} position at {company}, "
           "and for informing me of your decision.\n\n"
           "I would be grateful for any specific and honest feedback on my application, in "
           "particular what would make a future application stronger. Your perspective would "
           "be valuable to my professional development.\n\n"
           "Thank you again for your consideration.\n\n"
           "Kind regards,\n"
           "{signature}"),
    ),
    ("application", "formal", False): (
        N_("Request for feedback: application at {company}"),
        N_("{greeting}\n\n"
           "Thank you for considering my application for the position at {company}, and for "
           "informing me of your decision.\n\n"
           "I would be grateful for any specific and honest feedback on my application, in "
           "particular what would make a future application stronger. Your perspective would "
           "be valuable to my professional development.\n\n"
           "Thank you again for your consideration.\n\n"
           "Kind regards,\n"
           "{signature}"),
    ),
    ("application", "warm", True): (
        N_("Thank you, and a small request about the {role} role at {company}"),
        N_("{greeting}\n\n"
           "Thank you so much for taking the time to consider my application for the {role} "
           "role at {company}, and for letting me know the decision.\n\n"
           "If you're open to it, I'd be grateful for any specific, honest feedback: what "
           "would strengthen my next application, and anything that stood out. It would "
           "really help me as I keep applying.\n\n"
           "Thanks again, and I hope our paths cross in the future.\n\n"
           "Best wishes,\n"
           "{signature}"),
    ),
    ("application", "warm", False): (
        N_("Thank you, and a small request about the role at {company}"),
        N_("{greeting}\n\n"
           "Thank you so much for taking the time to consider my application for the role at "
           "{company}, and for letting me know the decision.\n\n"
           "If you're open to it, I'd be grateful for any specific, honest feedback: what "
           "would strengthen my next application, and anything that stood out. It would "
           "really help me as I keep applying.\n\n"
           "Thanks again, and I hope our paths cross in the future.\n\n"
           "Best wishes,\n"
           "{signature}"),
    ),
}


class FeedbackService:
    def __init__(self, db: Database, clock: Clock, followup_days: int = 7) -> None:
        self.db = db
        self.clock = clock
        self.followup_days = followup_days
        self.journal = JournalService(db, clock)
        self.requests = FeedbackRepository(db)
        self.timers = TimerRepository(db)
        self.reflections = ReflectionRepository(db)

    async def draft(
        self, user_id: int, rejection_id: int | str | None, interviewer: str | None = None,
        tone: str = "warm", signature: str | None = None,
    ) -> Draft:
        """The request in the chosen tone, signed with `signature` (the member's display
        name) when given."""
        entry = await self.journal.get_entry(user_id, rejection_id)
        if tone not in TONES:
            raise InvalidInput(_("Tone must be one of: {tones}.").format(tones=", ".join(TONES)))
        name = text.clean_optional(interviewer, "interviewer's name", text.NAME_MAX)
        if name is None:
            # A name given in an earlier draft of this request is used again.
            earlier = await self.requests.for_entry(user_id, entry.id)
            name = earlier.interviewer if earlier else None
        subject, body = compose(entry, name, tone, signature)
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
        reflection = await self.reflections.for_entry(user_id, entry.id)
        return LoggedFeedback(entry=entry, replaced=bool(earlier and earlier.feedback_text),
                              has_reflection=reflection is not None)

    async def stop_followup(self, user_id: int, rejection_id: int | str | None) -> Rejection:
        entry = await self.journal.get_entry(user_id, rejection_id)
        async with self.db.transaction() as tx:
            await self.timers.cancel_pending(
                tx, user_id=user_id, kind="feedback_followup", subject_id=entry.id
            )
        return entry
