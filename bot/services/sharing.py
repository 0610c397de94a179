"""Sharing a rejection with the group and sending encouragement: habit 4, a supportive network.

Nothing reaches a channel unless the member shares it, and never before they have seen a
preview of exactly what the group will see and pressed Post it. A post shows the stage, the
company only when they ticked show_company, their name only when shared named: never the role
or the note. An anonymous post goes up at a random moment 5-60 minutes later (a `share_post`
timer row), so its timing doesn't point at whoever just ran a command.

Anonymous notes can't be used to harass: one a day from a sender to a member, five a day from a
sender in all, never to a member who takes signed notes only, never from a member an admin
blocked; each can be reported to the server's admins with its sender.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.applications import ApplicationRepository
from bot.db.repositories.encouragements import Encouragement, EncouragementRepository
from bot.db.repositories.guild_config import GuildConfig, GuildConfigRepository
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.db.repositories.note_safety import NoteSafetyRepository
from bot.db.repositories.notices import ENCOURAGEMENT_NOTICE, NoticeRepository
from bot.db.repositories.rejections import Rejection, RejectionRepository
from bot.db.repositories.shares import POSTING, SCHEDULED, Share, ShareRepository
from bot.db.repositories.timers import TimerRepository
from bot.db.repositories.wins import WinShare, WinShareRepository
from bot.errors import InvalidInput, NotAllowed, NotFound, UserFacingError
from bot.i18n import N_, _, ngettext
from bot.services import text
from bot.services.privacy import DELETED, DataDeleted

NO_CHANNEL = N_(
    "This group has no support channel yet, so there's nowhere to share it. An admin can set "
    "one up with /support setup; your entry stays private until then."
)
FROM_A_DM = N_(
    "Sharing happens in a server, where the group is: run /rejection share there and pick this "
    "entry. You'll see exactly what the group will see before anything is posted."
)
# Enough for a warm afternoon of replies; stops a flood.
SEND_LIMIT = 20
SEND_WINDOW = timedelta(hours=1)
# Anonymous notes: per sender and day, to one member and in all.
ANON_WINDOW = timedelta(days=1)
ANON_PER_RECIPIENT = 1
ANON_PER_SENDER = 5
# An anonymous share goes up at a random moment in this window after Post it.
ANON_DELAY_MIN = timedelta(minutes=5)
ANON_DELAY_MAX = timedelta(minutes=60)
RETRY_POST_AFTER = timedelta(minutes=10)
SHARE_TIMER = "share_post"

# Each ends the sentence "… got a no {stage}." of a shared post (translated in share_post).
STAGE_PHRASES = {
    "application": N_("on an application"),
    "recruiter-screen": N_("after a recruiter screen"),
    "phone-screen": N_("after a phone screen"),
    "technical": N_("after a technical interview"),
    "take-home": N_("after a take-home assignment"),
    "onsite": N_("after an onsite interview"),
    "final": N_("after a final-round interview"),
    "offer": N_("at the offer stage"),
}


WIN_TIMER = "win_post"
WIN_STATUSES = ("interviewing", "offer")


class AlreadyShared(UserFacingError):
    """This entry is already in (or on its way to) this server's support channel."""


@dataclass(frozen=True, slots=True)
class SharePost:
    title: str
    description: str
    footer: str


@dataclass(frozen=True, slots=True)
class SharePreview:
    entry: Rejection
    named: bool
    show_company: bool
    channel_id: int
    post: SharePost


@dataclass(frozen=True, slots=True)
class ShareClaim:
    share_id: int
    entry: Rejection
    named: bool
    show_company: bool
    channel_id: int
    post_at: datetime | None        # anonymous: when it goes up; named: None (now)


@dataclass(frozen=True, slots=True)
class ScheduledPost:
    share: Share
    entry: Rejection
    channel_id: int


@dataclass(frozen=True, slots=True)
class NoteReport:
    note: Encouragement
    guild_id: int
    reports_channel_id: int | None  # None: to the server owner by DM


@dataclass(frozen=True, slots=True)
class FallbackMention:
    channel_id: int
    about_company: str | None     # the named share the note answers, already public


def stage_phrase(stage: str | None) -> str | None:
    """How a post names the stage, in the current language. An application-stage or stage-less
    no never mentions an interview."""
    phrase = STAGE_PHRASES.get(stage) if stage else None
    return _(phrase) if phrase else None


def _shared_sentence(author_name: str | None, company: str | None, phrase: str | None) -> str:
    """The first sentence of a shared post: one whole sentence for each thing it says."""
    values = {"name": author_name, "company": company, "stage": phrase}
    if author_name and company and phrase:
        # Translators: {stage} is a phrase such as "after a phone screen".
        text = _("**{name}** got a no from **{company}** {stage}.")
    elif author_name and company:
        text = _("**{name}** got a no from **{company}**.")
    elif author_name and phrase:
        # Translators: {stage} is a phrase such as "after a phone screen".
        text = _("**{name}** got a no {stage}.")
    elif author_name:
        text = _("**{name}** got a no.")
    elif company and phrase:
        # Translators: {stage} is a phrase such as "after a phone screen".
        text = _("Someone in the group got a no from **{company}** {stage}.")
    elif company:
        text = _("Someone in the group got a no from **{company}**.")
    elif phrase:
        # Translators: {stage} is a phrase such as "after a phone screen".
        text = _("Someone in the group got a no {stage}.")
    else:
        text = _("Someone in the group got a no.")
    return text.format(**values)


def _shared_footer(named: bool) -> str:
    if named:
        return _("Shared with their name, by their choice.")
    return _("Shared anonymously: the group doesn't see who.")


def share_post(*, company: str | None, stage: str | None, author_name: str | None) -> SharePost:
    """What the group sees: who (only when shared named), the company (only when the member
    ticked show_company; else None) and the stage; never the role or the note. `company` and
    `author_name` are member text, rendered inert by the caller."""
    return SharePost(
        title=_("Shared with the group"),
        description=(
            _shared_sentence(author_name, company, stage_phrase(stage)) + "\n\n"
            + _("Sharing that takes courage. If you've been there, a few kind words help: "
                "the buttons below send them a private note.")
        ),
        footer=_shared_footer(bool(author_name)),
    )


def win_post(*, status: str, author_name: str | None) -> SharePost:
    """Good news as the group sees it: who (only when shared named) and what: never the company,
    the role or any note. `author_name` is member text, rendered inert by the caller."""
    if status == "offer":
        what = (_("**{name}** got an offer!") if author_name else
                _("Someone in the group got an offer!"))
    else:
        what = (_("**{name}** reached the interviews!") if author_name else
                _("Someone in the group reached the interviews!"))
    return SharePost(
        title=_("Good news from the group"),
        description=(what.format(name=author_name) + "\n\n"
                     + _("Every application and every no before it led here. "
                         "Wins count too: keep going, all of you.")),
        footer=_shared_footer(bool(author_name)),
    )


@dataclass(frozen=True, slots=True)
class WinPreview:
    application_id: int
    number: int                   # the member's own number of the application
    status: str
    named: bool
    channel_id: int


@dataclass(frozen=True, slots=True)
class WinClaim:
    win_id: int
    status: str
    named: bool
    channel_id: int
    post_at: datetime | None      # anonymous: when it goes up; named: None (now)


def quote(message: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in message.splitlines())


class SharingService:
    def __init__(self, db: Database, clock: Clock, rng: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock
        self.rng = rng or random.Random()
        self.rejections = RejectionRepository(db)
        self.shares = ShareRepository(db)
        self.configs = GuildConfigRepository(db)
        self.encouragements = EncouragementRepository(db)
        self.notices = NoticeRepository(db)
        self.member_settings = MemberSettingsRepository(db)
        self.safety = NoteSafetyRepository(db)
        self.timers = TimerRepository(db)
        self.wins = WinShareRepository(db)
        self.applications = ApplicationRepository(db)

    # Sharing -------------------------------------------------------------------------------

    async def _own_entry(self, user_id: int, rejection_id: int, *, from_button: bool) -> Rejection:
        entry = await self.rejections.get_owned(user_id, rejection_id)
        if entry is None:
            if from_button:
                raise DataDeleted(DELETED)
            raise NotFound(_(
                "You have no entry #{number}. /rejection list shows your entries."
            ).format(number=rejection_id))
        return entry

    async def _channel(self, guild_id: int) -> GuildConfig:
        config = await self.configs.get(guild_id)
        if config is None or config.support_channel_id is None:
            raise NotFound(_(NO_CHANNEL))
        if config.paused_reason:
            raise NotAllowed(_(
                "I can't post in the support channel right now ({reason}). An admin can fix it "
                "with /support setup; your entry stays private until then."
            ).format(reason=config.paused_reason))
        return config

    async def _not_yet_shared(self, entry: Rejection, guild_id: int) -> None:
        existing = await self.shares.find(entry.id, guild_id)
        if existing is None:
            return
        if existing.status == SCHEDULED and existing.post_at:
            raise AlreadyShared(_(
                "Already done: #{number} is on its way to this group (anonymously). "
                "/rejection unshare takes it back before it's posted."
            ).format(number=entry.number))
        raise AlreadyShared(_(
            "Already done: you've shared #{number} with this group, so it's there once. "
            "/rejection unshare takes it down."
        ).format(number=entry.number))

    async def preview(
        self, user_id: int, guild_id: int | None, rejection_id: int | str, *, named: bool,
        show_company: bool, from_button: bool = False,
    ) -> SharePreview:
        """What the group would see, checked as Post it would check it; nothing is stored."""
        if guild_id is None:
            raise InvalidInput(_(FROM_A_DM))
        entry = await self._own_entry(user_id, _entry_id(rejection_id), from_button=from_button)
        config = await self._channel(guild_id)
        await self._not_yet_shared(entry, guild_id)
        assert config.support_channel_id is not None
        return SharePreview(entry=entry, named=named, show_company=show_company,
                            channel_id=config.support_channel_id,
                            post=self.post_for(entry, named=named, show_company=show_company,
                                               author_name=None))

    @staticmethod
    def post_for(entry: Rejection, *, named: bool, show_company: bool,
                 author_name: str | None, render=lambda value: value) -> SharePost:
        """The post for this entry; `render` makes member text inert (the cog passes it)."""
        return share_post(
            company=render(entry.company) if show_company else None, stage=entry.stage,
            author_name=render(author_name) if named and author_name else None,
        )

    async def post_it(
        self, user_id: int, guild_id: int | None, rejection_id: int, *, named: bool,
        show_company: bool,
    ) -> ShareClaim:
        """Post it on a preview. Named: the share is reserved for posting now (the caller posts
        and calls finish_share). Anonymous: it is scheduled at a random moment 5-60 minutes
        from now, as a share_post timer row; post_scheduled posts it then."""
        if guild_id is None:
            raise InvalidInput(_(FROM_A_DM))
        entry = await self._own_entry(user_id, rejection_id, from_button=True)
        config = await self._channel(guild_id)
        assert config.support_channel_id is not None
        now = self.clock.now()
        post_at = None
        if not named:
            span = (ANON_DELAY_MAX - ANON_DELAY_MIN).total_seconds()
            post_at = now + ANON_DELAY_MIN + timedelta(seconds=self.rng.uniform(0, span))
            post_at = post_at.replace(microsecond=0)
        async with self.db.transaction() as tx:
            share_id = await self.shares.claim(
                tx, rejection_id=entry.id, user_id=user_id, guild_id=guild_id,
                channel_id=config.support_channel_id, named=named, show_company=show_company,
                status=POSTING if named else SCHEDULED,
                post_at=to_db(post_at) if post_at else None, now=to_db(now),
            )
            if share_id is not None and post_at is not None:
                await self.timers.add(tx, user_id=user_id, kind=SHARE_TIMER, subject_id=share_id,
                                      due_at=to_db(post_at), created_at=to_db(now))
        if share_id is None:
            await self._not_yet_shared(entry, guild_id)
            raise AlreadyShared(_(
                "Already done: #{number} is already shared with this group."
            ).format(number=entry.number))
        return ShareClaim(share_id=share_id, entry=entry, named=named, show_company=show_company,
                          channel_id=config.support_channel_id, post_at=post_at)

    async def cancel_preview(self, user_id: int, guild_id: int | None, rejection_id: int) -> None:
        """Cancel on a preview: nothing to undo, but say so when it was posted meanwhile."""
        entry = await self._own_entry(user_id, rejection_id, from_button=True)
        if guild_id is not None and await self.shares.find(entry.id, guild_id) is not None:
            raise AlreadyShared(_(
                "Already done: #{number} was posted (or is on its way) from another "
                "preview. /rejection unshare takes it back."
            ).format(number=entry.number))

    async def finish_share(self, share_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await self.shares.set_message(tx, share_id, message_id)

    async def abandon_share(self, share_id: int, *, pause_guild: int | None = None,
                            reason: str | None = None) -> None:
        """The post didn't go out: forget the reservation so the member can try again, and
        pause the server's nudges when the channel itself is the problem."""
        now = to_db(self.clock.now())
        async with self.db.transaction() as tx:
            await self.shares.remove(tx, share_id)
            if pause_guild is not None and reason:
                await self.configs.pause(tx, pause_guild, reason, now)

    # The share_post timer ------------------------------------------------------------------

    async def start_scheduled_post(self, share_id: int) -> ScheduledPost | None:
        """Claim a scheduled anonymous share for posting. None when there is nothing to post:
        unshared or deleted meanwhile, already posted, or no channel any more (then the share
        is dropped; the entry stays in the journal)."""
        share = await self.shares.get(share_id)
        if share is None or share.status != SCHEDULED:
            return None
        entry = await self.rejections.get_owned(share.user_id, share.rejection_id)
        config = await self.configs.get(share.guild_id)
        usable = (entry is not None and config is not None
                  and config.support_channel_id is not None and not config.paused_reason)
        async with self.db.transaction() as tx:
            if not usable:
                await self.shares.remove(tx, share_id)
                return None
            if not await self.shares.start_posting(tx, share_id):
                return None
        assert entry is not None and config is not None and config.support_channel_id
        return ScheduledPost(share=share, entry=entry, channel_id=config.support_channel_id)

    async def retry_scheduled(self, share_id: int) -> datetime | None:
        """Discord hiccup: try the scheduled post again a little later (a new timer row).
        Returns when, or None when the share is gone."""
        share = await self.shares.get(share_id)
        if share is None:
            return None
        now = self.clock.now()
        again = to_db(now + RETRY_POST_AFTER)
        async with self.db.transaction() as tx:
            await self.shares.back_to_scheduled(tx, share_id, again)
            await self.timers.add(tx, user_id=share.user_id, kind=SHARE_TIMER,
                                  subject_id=share_id, due_at=again, created_at=to_db(now))
        return now + RETRY_POST_AFTER

    # Taking posts down ---------------------------------------------------------------------

    async def take_down_entry(self, user_id: int, rejection_id: int) -> list[Share]:
        """Every share of this entry, in every server, removed: pending timers cancelled, rows
        gone. Returns the removed shares so the caller deletes their messages."""
        shares = await self.shares.for_entry(user_id, rejection_id)
        async with self.db.transaction() as tx:
            for share in shares:
                await self.timers.cancel_pending(tx, user_id=user_id, kind=SHARE_TIMER,
                                                 subject_id=share.id)
            await self.shares.remove_for_entry(tx, user_id, rejection_id)
        return shares

    async def unshare(self, user_id: int, rejection_id: int | str) -> tuple[Rejection, list[Share]]:
        entry = await self._own_entry(user_id, _entry_id(rejection_id), from_button=False)
        shares = await self.take_down_entry(user_id, entry.id)
        if not shares:
            raise NotFound(_(
                "#{number} isn't shared with any group, so there's nothing to take down."
            ).format(number=entry.number))
        return entry, shares

    async def get_share(self, share_id: int) -> Share:
        share = await self.shares.get(share_id)
        if share is None:
            raise DataDeleted(DELETED)
        if share.message_id is None:
            raise UserFacingError(_("This post is still going up; try again in a moment."))
        return share

    # Good news -----------------------------------------------------------------------------

    async def win_preview(self, user_id: int, guild_id: int | None, application_id: int, *,
                          named: bool) -> WinPreview:
        """What "Share the good news" would post, checked as Post it would check it."""
        if guild_id is None:
            raise InvalidInput(_(
                "Good news is shared in a server, where the group is: run /apply update there "
                "and press Share the good news. You'll see the post before it goes up."))
        app = await self.applications.get(application_id)
        if app is None or app.user_id != user_id:
            raise DataDeleted(DELETED)
        if app.status not in WIN_STATUSES:
            raise NotFound(_("#{number} is no longer at interviewing or offer, so there's "
                             "no good news to share from it.").format(number=app.number))
        config = await self._channel(guild_id)
        assert config.support_channel_id is not None
        if await self.wins.find(app.id, guild_id, app.status) is not None:
            raise AlreadyShared(_("Already done: this good news is shared with this group."))
        return WinPreview(application_id=app.id, number=app.number, status=app.status,
                          named=named, channel_id=config.support_channel_id)

    async def post_win(self, user_id: int, guild_id: int | None, application_id: int, *,
                       named: bool) -> WinClaim:
        """Post it on a good-news preview: named, reserved for posting now (the caller posts and
        calls finish_win); anonymous, scheduled 5-60 minutes from now (a win_post timer)."""
        preview = await self.win_preview(user_id, guild_id, application_id, named=named)
        assert guild_id is not None
        now = self.clock.now()
        post_at = None
        if not named:
            span = (ANON_DELAY_MAX - ANON_DELAY_MIN).total_seconds()
            post_at = (now + ANON_DELAY_MIN
                       + timedelta(seconds=self.rng.uniform(0, span))).replace(microsecond=0)
        async with self.db.transaction() as tx:
            win_id = await self.wins.claim(
                tx, application_id=application_id, user_id=user_id, guild_id=guild_id,
                status=preview.status, named=named, channel_id=preview.channel_id,
                post_at=to_db(post_at) if post_at else None, now=to_db(now))
            if win_id is not None and post_at is not None:
                await self.timers.add(tx, user_id=user_id, kind=WIN_TIMER, subject_id=win_id,
                                      due_at=to_db(post_at), created_at=to_db(now))
        if win_id is None:
            raise AlreadyShared(_("Already done: this good news is shared with this group."))
        return WinClaim(win_id=win_id, status=preview.status, named=named,
                        channel_id=preview.channel_id, post_at=post_at)

    async def finish_win(self, win_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await self.wins.set_message(tx, win_id, message_id)

    async def abandon_win(self, win_id: int) -> None:
        async with self.db.transaction() as tx:
            await self.wins.remove(tx, win_id)

    async def take_down_wins(self, user_id: int, application_id: int) -> list[WinShare]:
        """The good news shared from an application, in every server: waiting ones stopped,
        rows gone. Returns them so the caller deletes the posted messages."""
        wins = await self.wins.for_application(user_id, application_id)
        async with self.db.transaction() as tx:
            for win in wins:
                await self.timers.cancel_pending(tx, user_id=user_id, kind=WIN_TIMER,
                                                 subject_id=win.id)
                await self.wins.remove(tx, win.id)
        return wins

    async def scheduled_win(self, win_id: int) -> WinShare | None:
        """Anonymous good news whose win_post timer came due; None once posted or taken back."""
        win = await self.wins.get(win_id)
        return win if win is not None and win.message_id is None else None

    # Encouragement -------------------------------------------------------------------------

    async def check_anonymous(
        self, *, sender_id: int, recipient_id: int, guild_id: int | None
    ) -> None:
        """The rules an anonymous note must pass, checked before it is typed and again when it
        is sent. The limits never reveal the recipient's settings."""
        if guild_id is None:
            raise InvalidInput(_(
                "Anonymous notes are sent from a server, so its admins can look after them. "
                "Run /encourage there, or send this one with your name."
            ))
        if await self.safety.is_blocked(guild_id, sender_id):
            raise NotAllowed(_(
                "This server's admins have turned off anonymous notes from you. You can still "
                "send a note with your name."
            ))
        since = to_db(self.clock.now() - ANON_WINDOW)
        if await self.safety.anonymous_sent_since(sender_id, since) >= ANON_PER_SENDER:
            raise NotAllowed(ngettext(
                "You've sent {count} anonymous note in the last day, the most there "
                "can be. Notes with your name have no such limit; anonymous ones open up again "
                "tomorrow.",
                "You've sent {count} anonymous notes in the last day, the most there "
                "can be. Notes with your name have no such limit; anonymous ones open up again "
                "tomorrow.", ANON_PER_SENDER).format(count=ANON_PER_SENDER))
        if await self.safety.anonymous_sent_since(sender_id, since, recipient_id) >= (
                ANON_PER_RECIPIENT):
            raise NotAllowed(_(
                "You've already sent this member an anonymous note in the last day; one a day "
                "is the most. You can send one with your name any time."
            ))
        if not (await self.member_settings.get(recipient_id)).anonymous_notes:
            raise NotAllowed(_(
                "This member takes signed notes only. Send it with your name if you'd like."
            ))

    async def encourage(
        self, *, sender_id: int, recipient_id: int, guild_id: int | None, message: str,
        anonymous: bool, recipient_is_bot: bool = False, share_id: int | None = None,
    ) -> Encouragement:
        if recipient_id == sender_id:
            raise InvalidInput(_(
                "That's you! Notes go to someone else in the group; be kind to yourself, too."
            ))
        if recipient_is_bot:
            raise InvalidInput(_("Bots can't read encouragement. Pick a member of the group."))
        body = text.clean_required(message, "message", text.MESSAGE_MAX)
        now = self.clock.now()
        recent = await self.encouragements.count_sent_since(sender_id, to_db(now - SEND_WINDOW))
        if recent >= SEND_LIMIT:
            raise NotAllowed(ngettext(
                "You've sent {count} note in the last hour, which is lovely; please wait a "
                "little before sending more.",
                "You've sent {count} notes in the last hour, which is lovely; please wait a "
                "little before sending more.", recent).format(count=recent))
        if anonymous:
            await self.check_anonymous(sender_id=sender_id, recipient_id=recipient_id,
                                       guild_id=guild_id)
        async with self.db.transaction() as tx:
            new_id = await self.encouragements.add(
                tx, sender_id=sender_id, recipient_id=recipient_id, guild_id=guild_id,
                share_id=share_id, message=body, anonymous=anonymous, now=to_db(now),
            )
        stored = await self.encouragements.get(new_id)
        assert stored is not None
        return stored

    async def check_can_encourage(
        self, sender_id: int, share_id: int, anonymous: bool = False
    ) -> Share:
        """Refuse before the member types a note that can't be sent."""
        share = await self.get_share(share_id)
        if share.user_id == sender_id:
            raise InvalidInput(_(
                "This is your own post. The notes people send will reach you by DM."
            ))
        if anonymous:
            await self.check_anonymous(sender_id=sender_id, recipient_id=share.user_id,
                                       guild_id=share.guild_id)
        return share

    async def encourage_share(
        self, *, sender_id: int, share_id: int, message: str, anonymous: bool
    ) -> Encouragement:
        share = await self.check_can_encourage(sender_id, share_id)
        return await self.encourage(
            sender_id=sender_id, recipient_id=share.user_id, guild_id=share.guild_id,
            message=message, anonymous=anonymous, share_id=share.id,
        )

    # Reports --------------------------------------------------------------------

    async def report(self, reporter_id: int, encouragement_id: int) -> NoteReport:
        """Report on an anonymous note: where it goes. The note must still exist and be the
        reporter's own."""
        note = await self.encouragements.get(encouragement_id)
        if note is None or note.recipient_id != reporter_id:
            raise DataDeleted(DELETED)
        if note.guild_id is None:
            raise NotAllowed(_("This note wasn't sent from a server, so there are no admins to "
                               "tell. You can pause notes by DM with the button under it."))
        config = await self.configs.get(note.guild_id)
        return NoteReport(note=note, guild_id=note.guild_id,
                          reports_channel_id=config.reports_channel_id if config else None)

    async def mark_delivered(self, encouragement_id: int) -> None:
        async with self.db.transaction() as tx:
            await self.encouragements.mark_delivered(tx, encouragement_id, to_db(self.clock.now()))

    async def wants_dm(self, recipient_id: int) -> bool:
        """False while the member has paused notes by DM (the button on each one, or
        /settings encouragement_dms)."""
        return (await self.member_settings.get(recipient_id)).encouragement_dms

    async def hold(self, encouragement: Encouragement, content: str, *,
                   paused: bool = False) -> None:
        """DMs closed, or notes by DM paused: the note waits (delivered_at stays NULL) and is
        shown privately at the member's next command, which marks it delivered."""
        body: dict[str, object] = {"content": content}
        if paused:
            body["paused"] = True
        async with self.db.transaction() as tx:
            await self.notices.add(
                tx, user_id=encouragement.recipient_id, kind=ENCOURAGEMENT_NOTICE,
                subject_id=encouragement.id, body=json.dumps(body), at=to_db(self.clock.now()),
            )


def note_text(encouragement: Encouragement, *, sender_name: str | None,
              group_name: str | None, message: str, about: str | None = None) -> str:
    """The DM (or waiting notice) a member receives. Names are passed in already escaped, and
    `message` is the escaped note; `about` names the shared entry it answers ("#3 Acme",
    escaped), for the recipient alone."""
    named = bool(sender_name) and not encouragement.anonymous
    kind = "entry" if about else "share" if encouragement.share_id else None
    opening = _(_NOTE_OPENINGS[(named, bool(group_name), kind)]).format(
        name=sender_name, group=group_name, about=about)
    return (
        opening + "\n" + quote(message) + "\n\n-# "
        + _("You can send one to someone else any time with /encourage.")
    )


# The line above a note: (signed, sent in a server, what it answers) -> one whole sentence.
# {name} is the sender, {group} the server, {about} the shared entry ("#3 Acme").
_NOTE_OPENINGS: dict[tuple[bool, bool, str | None], str] = {
    (True, True, "entry"): N_(
        "**{name}** in {group} sent you a note of encouragement about **{about}**, "
        "which you shared:"),
    (True, True, "share"): N_(
        "**{name}** in {group} sent you a note of encouragement about the rejection you "
        "shared:"),
    (True, True, None): N_("**{name}** in {group} sent you a note of encouragement:"),
    (True, False, "entry"): N_(
        "**{name}** sent you a note of encouragement about **{about}**, which you shared:"),
    (True, False, "share"): N_(
        "**{name}** sent you a note of encouragement about the rejection you shared:"),
    (True, False, None): N_("**{name}** sent you a note of encouragement:"),
    (False, True, "entry"): N_(
        "Someone in {group} sent you a note of encouragement about **{about}**, "
        "which you shared:"),
    (False, True, "share"): N_(
        "Someone in {group} sent you a note of encouragement about the rejection you shared:"),
    (False, True, None): N_("Someone in {group} sent you a note of encouragement:"),
    (False, False, "entry"): N_(
        "Someone sent you a note of encouragement about **{about}**, which you shared:"),
    (False, False, "share"): N_(
        "Someone sent you a note of encouragement about the rejection you shared:"),
    (False, False, None): N_("Someone sent you a note of encouragement:"),
}


def _entry_id(value: int | str) -> int:
    try:
        wanted = int(str(value).strip().lstrip("#"))
    except ValueError:
        raise NotFound(_(
            "Pick one of your entries from the list, or give its id (see /rejection list)."
        )) from None
    if not 0 < wanted < 2**63:
        raise NotFound(_(
            "You have no entry #{number}. /rejection list shows your entries."
        ).format(number=wanted))
    return wanted
