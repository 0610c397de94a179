"""Sharing a rejection with the group and notes of encouragement."""

import json
from datetime import timedelta

import pytest

from bot.clock import to_db
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.services.journal import JournalService
from bot.services.member_settings import MemberSettingsService
from bot.services.personal import PersonalDMService
from bot.services.sharing import (
    AlreadyShared,
    SharingService,
    note_text,
    share_post,
)
from bot.services.support import SupportService

GUILD, OTHER_GUILD, CHANNEL = 500, 501, 900
ALICE, BOB = 1001, 1002


async def logged(db, clock, share="private", user=ALICE, note="the panel was unkind"):
    return (await JournalService(db, clock).log_rejection(
        user_id=user, guild_id=GUILD, company="Acme", stage="onsite", note=note,
        share=share)).entry


async def test_sharing_needs_a_support_channel(db, clock):
    entry = await logged(db, clock)
    with pytest.raises(NotFound, match="no support channel yet"):
        await SharingService(db, clock).start_share(ALICE, GUILD, entry.id)
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 0


async def test_share_is_anonymous_unless_logged_named_and_only_once_per_server(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    await SupportService(db, clock).setup(OTHER_GUILD, 901, "UTC")
    sharing = SharingService(db, clock)
    private = await logged(db, clock)
    named = await logged(db, clock, share="named")
    claim = await sharing.start_share(ALICE, GUILD, private.id)
    assert (claim.named, claim.channel_id) == (False, CHANNEL)
    assert (await sharing.start_share(ALICE, GUILD, named.id)).named is True
    with pytest.raises(AlreadyShared, match="already shared"):
        await sharing.start_share(ALICE, GUILD, private.id)
    # Another server is another group.
    assert (await sharing.start_share(ALICE, OTHER_GUILD, private.id)).channel_id == 901
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 3


async def test_only_the_owner_can_share_an_entry(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    entry = await logged(db, clock)
    with pytest.raises(NotFound, match=f"no entry #{entry.id}"):
        await SharingService(db, clock).start_share(BOB, GUILD, entry.id)
    with pytest.raises(InvalidInput, match="Sharing happens in a server"):
        await SharingService(db, clock).start_share(ALICE, None, entry.id)


async def test_sharing_is_refused_while_the_server_is_paused(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    async with db.transaction() as tx:
        await tx.execute("UPDATE guild_config SET paused_reason = 'the channel is gone'")
    entry = await logged(db, clock)
    with pytest.raises(NotAllowed, match="the channel is gone"):
        await SharingService(db, clock).start_share(ALICE, GUILD, entry.id)


async def test_a_failed_post_frees_the_share_and_can_pause_the_server(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    entry = await logged(db, clock)
    claim = await sharing.start_share(ALICE, GUILD, entry.id)
    await sharing.abandon_share(claim.share_id, pause_guild=GUILD, reason="no permission")
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 0
    assert await db.scalar("SELECT paused_reason FROM guild_config") == "no permission"


def test_the_post_shows_company_and_stage_never_the_note_and_names_only_when_named():
    anonymous = share_post(company="Acme", stage="recruiter-screen", author_name=None)
    assert "Someone in the group got a no from **Acme** at the recruiter screen stage." in \
        anonymous.description
    assert "anonymously" in anonymous.footer
    named = share_post(company="Acme", stage=None, author_name="alice")
    assert named.description.startswith("**alice** got a no from **Acme**.")
    assert "with their name" in named.footer


async def test_encourage_stores_the_note_and_refuses_self_and_bots(db, clock):
    sharing = SharingService(db, clock)
    with pytest.raises(InvalidInput, match="That's you"):
        await sharing.encourage(sender_id=ALICE, recipient_id=ALICE, guild_id=GUILD,
                                message="hi", anonymous=False)
    with pytest.raises(InvalidInput, match="Bots"):
        await sharing.encourage(sender_id=ALICE, recipient_id=99, guild_id=GUILD,
                                message="hi", anonymous=False, recipient_is_bot=True)
    with pytest.raises(InvalidInput, match="can't be empty"):
        await sharing.encourage(sender_id=ALICE, recipient_id=BOB, guild_id=GUILD,
                                message="   ", anonymous=False)
    with pytest.raises(InvalidInput, match="under 1,000"):
        await sharing.encourage(sender_id=ALICE, recipient_id=BOB, guild_id=GUILD,
                                message="x" * 1001, anonymous=False)
    assert await db.scalar("SELECT COUNT(*) FROM encouragements") == 0
    note = await sharing.encourage(sender_id=ALICE, recipient_id=BOB, guild_id=GUILD,
                                   message=" You've got this. ", anonymous=True)
    assert (note.message, note.anonymous, note.delivered_at) == ("You've got this.", True, None)
    await sharing.mark_delivered(note.id)
    assert await db.scalar("SELECT delivered_at FROM encouragements") == \
        "2026-11-25T15:00:00+00:00"


async def test_a_flood_of_notes_is_slowed_down(db, clock):
    sharing = SharingService(db, clock)
    for _ in range(20):
        await sharing.encourage(sender_id=ALICE, recipient_id=BOB, guild_id=GUILD,
                                message="hi", anonymous=False)
    with pytest.raises(NotAllowed, match="wait a little"):
        await sharing.encourage(sender_id=ALICE, recipient_id=BOB, guild_id=GUILD,
                                message="hi", anonymous=False)


async def test_encouraging_a_share_goes_to_its_author_never_to_oneself(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    entry = await logged(db, clock)
    claim = await sharing.start_share(ALICE, GUILD, entry.id)
    with pytest.raises(NotFound, match="no longer shared"):   # not posted yet
        await sharing.encourage_share(sender_id=BOB, share_id=claim.share_id, message="hi",
                                      anonymous=False)
    await sharing.finish_share(claim.share_id, 4242)
    with pytest.raises(InvalidInput, match="your own post"):
        await sharing.check_can_encourage(ALICE, claim.share_id)
    note = await sharing.encourage_share(sender_id=BOB, share_id=claim.share_id,
                                         message="Been there.", anonymous=True)
    assert (note.recipient_id, note.share_id, note.guild_id) == (ALICE, claim.share_id, GUILD)


async def test_closed_dms_leave_a_pending_notice(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    anon_entry = await logged(db, clock)
    named_entry = await logged(db, clock, share="named")
    anon = await sharing.start_share(ALICE, GUILD, anon_entry.id)
    named = await sharing.start_share(ALICE, GUILD, named_entry.id)
    for claim in (anon, named):
        await sharing.finish_share(claim.share_id, 1)
    via_anon = await sharing.encourage_share(sender_id=BOB, share_id=anon.share_id,
                                             message="hang in there", anonymous=False)
    via_named = await sharing.encourage_share(sender_id=BOB, share_id=named.share_id,
                                              message="hang in there", anonymous=False)
    direct = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                     message="hang in there", anonymous=False)
    in_dm = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=None,
                                    message="hang in there", anonymous=False)
    assert {n.recipient_id for n in (via_anon, via_named, in_dm)} == {ALICE}
    await sharing.hold(direct, "**bob** sent you a note")
    row = await db.fetchone("SELECT user_id, kind, subject_id, body, shown_at FROM pending_notices")
    assert (row["user_id"], row["kind"], row["subject_id"], row["shown_at"]) == (
        ALICE, "encouragement", direct.id, None)
    assert json.loads(row["body"]) == {"content": "**bob** sent you a note"}
    assert await db.scalar("SELECT delivered_at FROM encouragements WHERE id = ?",
                           (direct.id,)) is None


async def test_note_text_hides_the_sender_when_anonymous(db, clock):
    sharing = SharingService(db, clock)
    named = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                    message="line one\nline two", anonymous=False)
    anonymous = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                        message="you matter", anonymous=True)
    shown = note_text(named, sender_name="bob", group_name="Circle", message=named.message)
    assert shown.startswith("**bob** in Circle sent you a note of encouragement:")
    assert "> line one\n> line two" in shown
    hidden = note_text(anonymous, sender_name="bob", group_name="Circle",
                       message=anonymous.message)
    assert "bob" not in hidden and hidden.startswith("Someone in Circle")


async def test_paused_notes_wait_as_a_notice_that_marks_them_delivered_once_shown(db, clock):
    sharing = SharingService(db, clock)
    settings = MemberSettingsService(db, clock)
    assert await sharing.wants_dm(ALICE) is True              # on unless the member turns it off
    await settings.pause(ALICE, "encouragement_dms")
    assert await sharing.wants_dm(ALICE) is False
    assert await sharing.wants_dm(BOB) is True                 # one member's choice only
    note = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                   message="you've got this", anonymous=False)
    await sharing.hold(note, "**bob** sent you a note", paused=True)
    personal = PersonalDMService(db, clock)
    [notice] = await personal.unshown_notices(ALICE)
    assert (notice.kind, notice.subject_id, notice.paused, notice.content) == (
        "encouragement", note.id, True, "**bob** sent you a note")
    assert notice.pauses == ()                  # not a DM: nothing to pause beside it
    clock.advance(timedelta(minutes=5))
    await personal.mark_notice_shown(notice)
    row = await db.fetchone("SELECT delivered_at FROM encouragements WHERE id = ?", (note.id,))
    assert row["delivered_at"] == to_db(clock.now())
    assert await personal.unshown_notices(ALICE) == []
    # Shown again by a late duplicate call: the first delivery time is kept.
    clock.advance(timedelta(minutes=5))
    await personal.mark_notice_shown(notice)
    assert await db.scalar("SELECT delivered_at FROM encouragements WHERE id = ?",
                           (note.id,)) == row["delivered_at"]
    await settings.update(ALICE, encouragement_dms=True)
    assert await sharing.wants_dm(ALICE) is True


async def test_a_closed_dms_notice_marks_only_its_own_note_delivered(db, clock):
    sharing = SharingService(db, clock)
    first = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                    message="one", anonymous=False)
    second = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                     message="two", anonymous=True)
    await sharing.hold(first, "one")
    await sharing.hold(second, "two")
    personal = PersonalDMService(db, clock)
    shown, waiting = await personal.unshown_notices(ALICE)
    assert (shown.paused, shown.subject_id, waiting.subject_id) == (False, first.id, second.id)
    await personal.mark_notice_shown(shown)
    delivered = await db.fetchall("SELECT id, delivered_at IS NOT NULL FROM encouragements"
                                  " ORDER BY id")
    assert [tuple(r) for r in delivered] == [(first.id, 1), (second.id, 0)]
    assert [n.id for n in await personal.unshown_notices(ALICE)] == [waiting.id]
