"""Every service the cogs use, built once (in `bot/client.py`) and handed to them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.db.connection import Database
from bot.services.applications import ApplicationService
from bot.services.feedback import FeedbackService
from bot.services.insights import InsightsService
from bot.services.journal import JournalService
from bot.services.member_settings import MemberSettingsService
from bot.services.nudges import NudgeService
from bot.services.privacy import PrivacyService
from bot.services.progress import ProgressService
from bot.services.reflection import ReflectionService
from bot.services.sharing import SharingService
from bot.services.support import SupportService


@dataclass(frozen=True)
class Services:
    journal: JournalService
    applications: ApplicationService
    sharing: SharingService
    member_settings: MemberSettingsService
    feedback: FeedbackService
    reflection: ReflectionService
    insights: InsightsService
    progress: ProgressService
    privacy: PrivacyService
    support: SupportService
    nudges: NudgeService

    @classmethod
    def build(cls, db: Database, clock: Clock, *, feedback_followup_days: int,
              nudge_grace_minutes: int) -> Services:
        return cls(
            journal=JournalService(db, clock),
            applications=ApplicationService(db, clock),
            sharing=SharingService(db, clock),
            member_settings=MemberSettingsService(db, clock),
            feedback=FeedbackService(db, clock, feedback_followup_days),
            reflection=ReflectionService(db, clock),
            insights=InsightsService(db, clock),
            progress=ProgressService(db, clock),
            privacy=PrivacyService(db, clock),
            support=SupportService(db, clock),
            nudges=NudgeService(db, clock, grace_minutes=nudge_grace_minutes),
        )
