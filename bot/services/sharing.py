"""Sharing a rejection with the group and sending encouragement: habit 4, a supportive network.

Nothing reaches a channel unless the member shares it, and then only the company and stage:
never the private note. Encouragement goes to the member privately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock, to_db
from bot.db.connection import Database
from bot.db.repositories.encouragements import Encouragement, EncouragementRepository
from bot.db.repositories.guild_config import GuildConfigRepository
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.db.repositories.notices import ENCOURAGEMENT_NOTICE, NoticeRepository
from bot.db.repositories.rejections import Rejection, RejectionRepository
from bot.db.repositories.shares import Share, ShareRepository
from bot.errors import InvalidInput, NotAllowed, NotFound, UserFacingError
from bot.services import text

NO_CHANNEL = (
    "This group has no support channel yet, so there's nowhere to share it. An admin can set "
    "one up with /support setup; your entry stays private until then."
)
# Enough for a warm afternoon of replies; stops a flood.
SEND_LIMIT = 20
SEND_WINDOW = timedelta(hours=1)


class AlreadyShared(UserFacingError):
    """This entry is already in this server's support channel."""


@dataclass(frozen=True, slots=True)
class ShareClaim:
    share_id: int
    entry: Rejection
    named: bool
    channel_id: int


@dataclass(frozen=True, slots=True)
class SharePost:
    title: str
    description: str
    footer: str


def _stage_words(stage: str | None) -> str | None:
    return stage.replace("-", " ") if stage else None


def share_post(*, company: str, stage: str | None, author_name: str | None) -> SharePost:
    """What the group sees: who (only when shared named), the company and the stage; never the
    note. `company` and `author_name` are member text, escaped by the caller."""
    who = f"**{author_name}**" if author_name else "Someone in the group"
    stage_words = _stage_words(stage)
    return SharePost(
        title="Shared with the group",
        description=(
            f"{who} got a no from **{company}**"
            + (f" at the {stage_words} stage." if stage_words else ".")
            + "\n\nSharing that takes courage. If you've been there, a few kind words help: "
            "the buttons below send them a private note."
        ),
        footer=("Shared with their name, by their choice." if author_name else
                "Shared anonymously: the group doesn't see who."),
    )


def quote(message: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in message.splitlines())


class SharingService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.rejections = RejectionRepository(db)
        self.shares = ShareRepository(db)
        self.configs = GuildConfigRepository(db)
        self.encouragements = EncouragementRepository(db)
        self.notices = NoticeRepository(db)
        self.member_settings = MemberSettingsRepository(db)

    # Sharing -------------------------------------------------------------------------------

    async def start_share(
        self, user_id: int, guild_id: int | None, rejection_id: int
    ) -> ShareClaim:
        """Reserve the (entry, server) share before posting, so a double click posts once.
        Anonymous unless the entry was logged `named`."""
        if guild_id is None:
            raise InvalidInput(
                "Sharing happens in a server: log the entry there with share:anonymous or "
                "share:named, or press Share with the group on an entry you logged there."
            )
        entry = await self.rejections.get_owned(user_id, rejection_id)
        if entry is None:
            raise NotFound(
                f"You have no entry #{rejection_id}. /rejection list shows your entries."
            )
        config = await self.configs.get(guild_id)
        if config is None or config.support_channel_id is None:
            raise NotFound(NO_CHANNEL)
        if config.paused_reason:
            raise NotAllowed(
                f"I can't post in the support channel right now ({config.paused_reason}). "
                "An admin can fix it with /support setup; your entry stays private until then."
            )
        named = entry.share == "named"
        async with self.db.transaction() as tx:
            share_id = await self.shares.claim(
                tx, rejection_id=entry.id, user_id=user_id, guild_id=guild_id,
                channel_id=config.support_channel_id, named=named,
                now=to_db(self.clock.now()),
            )
        if share_id is None:
            raise AlreadyShared(
                f"You've already shared #{entry.id} with this group, so it's there once. "
                "Thank you for sharing it."
            )
        return ShareClaim(share_id=share_id, entry=entry, named=named,
                          channel_id=config.support_channel_id)

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

    async def get_share(self, share_id: int) -> Share:
        share = await self.shares.get(share_id)
        if share is None or share.message_id is None:
            raise NotFound("That post is no longer shared, so the note can't be delivered.")
        return share

    # Encouragement -------------------------------------------------------------------------

    async def encourage(
        self, *, sender_id: int, recipient_id: int, guild_id: int | None, message: str,
        anonymous: bool, recipient_is_bot: bool = False, share_id: int | None = None,
    ) -> Encouragement:
        if recipient_id == sender_id:
            raise InvalidInput(
                "That's you! Notes go to someone else in the group; be kind to yourself, too."
            )
        if recipient_is_bot:
            raise InvalidInput("Bots can't read encouragement. Pick a member of the group.")
        body = text.clean_required(message, "message", text.MESSAGE_MAX)
        now = self.clock.now()
        recent = await self.encouragements.count_sent_since(sender_id, to_db(now - SEND_WINDOW))
        if recent >= SEND_LIMIT:
            raise NotAllowed(
                f"You've sent {recent} notes in the last hour, which is lovely; please wait a "
                "little before sending more."
            )
        async with self.db.transaction() as tx:
            new_id = await self.encouragements.add(
                tx, sender_id=sender_id, recipient_id=recipient_id, guild_id=guild_id,
                share_id=share_id, message=body, anonymous=anonymous, now=to_db(now),
            )
        stored = await self.encouragements.get(new_id)
        assert stored is not None
        return stored

    async def check_can_encourage(self, sender_id: int, share_id: int) -> Share:
        """Refuse before the member types a note that can't be sent."""
        share = await self.get_share(share_id)
        if share.user_id == sender_id:
            raise InvalidInput(
                "This is your own post. The notes people send will reach you by DM."
            )
        return share

    async def encourage_share(
        self, *, sender_id: int, share_id: int, message: str, anonymous: bool
    ) -> Encouragement:
        share = await self.check_can_encourage(sender_id, share_id)
        return await self.encourage(
            sender_id=sender_id, recipient_id=share.user_id, guild_id=share.guild_id,
            message=message, anonymous=anonymous, share_id=share.id,
        )

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
    group = f" in {group_name}" if group_name else ""
    who = "Someone" if encouragement.anonymous or not sender_name else f"**{sender_name}**"
    about = (f" about **{about}**, which you shared" if about else
             " about the rejection you shared" if encouragement.share_id else "")
    return (
        f"{who}{group} sent you a note of encouragement{about}:\n{quote(message)}\n\n"
        "-# You can send one to someone else any time with /encourage."
    )
