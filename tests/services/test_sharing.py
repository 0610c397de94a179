"""Sharing a rejection with the group and notes of encouragement."""

import json
from datetime import timedelta

import pytest

from bot.clock import to_db
from bot.db.repositories.timers import TimerRepository
from bot.errors import InvalidInput, NotAllowed, NotFound, UserFacingError
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


async def claim(sharing, entry, *, named=False, show_company=False, guild=GUILD, user=ALICE):
    return await sharing.post_it(user, guild, entry.id, named=named, show_company=show_company)


async def test_sharing_needs_a_support_channel(db, clock):
    entry = await logged(db, clock)
    with pytest.raises(NotFound, match="no support channel yet"):
        await SharingService(db, clock).preview(ALICE, GUILD, entry.id, named=False,
                                                show_company=False)
    with pytest.raises(NotFound, match="no support channel yet"):
        await claim(SharingService(db, clock), entry)
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 0


async def test_a_preview_stores_nothing_and_shows_exactly_the_post(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    entry = await logged(db, clock)
    preview = await SharingService(db, clock).preview(ALICE, GUILD, str(entry.id), named=False,
                                                      show_company=False)
    assert preview.channel_id == CHANNEL
    assert preview.post.description.startswith(
        "Someone in the group got a no after an onsite interview.")
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 0
    assert await db.scalar("SELECT COUNT(*) FROM timers WHERE kind = 'share_post'") == 0


async def test_anonymous_shares_wait_5_to_60_minutes_on_a_timer_row(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    entries = [await logged(db, clock) for _ in range(12)]
    for entry in entries:
        got = await claim(sharing, entry)
        delay = got.post_at - clock.now()
        assert timedelta(minutes=5) <= delay <= timedelta(minutes=60)
        timer = await db.fetchone(
            "SELECT user_id, subject_id, due_at, status FROM timers WHERE kind = 'share_post'"
            " AND subject_id = ?", (got.share_id,))
        assert tuple(timer) == (ALICE, got.share_id, to_db(got.post_at), "pending")
    # Not due before its moment (the timer engine runs what is due); due after it.
    async def due_now():
        return [t.subject_id for t in await TimerRepository(db).due(to_db(clock.now()))
                if t.kind == "share_post"]
    assert await due_now() == []
    clock.advance(timedelta(minutes=61))
    due = await due_now()
    assert len(due) == 12
    ready = await sharing.start_scheduled_post(due[0])
    assert ready is not None and ready.channel_id == CHANNEL
    assert await sharing.start_scheduled_post(due[0]) is None       # claimed once


async def test_named_shares_post_now_and_each_entry_is_shared_once_per_server(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    await SupportService(db, clock).setup(OTHER_GUILD, 901, "UTC")
    sharing = SharingService(db, clock)
    entry = await logged(db, clock)
    named = await claim(sharing, entry, named=True, show_company=True)
    assert (named.named, named.show_company, named.post_at, named.channel_id) == (
        True, True, None, CHANNEL)
    with pytest.raises(AlreadyShared, match="Already done"):
        await claim(sharing, entry)
    with pytest.raises(AlreadyShared, match="Already done"):
        await sharing.preview(ALICE, GUILD, entry.id, named=False, show_company=False)
    # Another server is another group.
    assert (await claim(sharing, entry, guild=OTHER_GUILD)).channel_id == 901
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 2


async def test_only_the_owner_can_share_an_entry(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    entry = await logged(db, clock)
    with pytest.raises(NotFound, match=f"no entry #{entry.id}"):
        await SharingService(db, clock).preview(BOB, GUILD, entry.id, named=False,
                                                show_company=False)
    with pytest.raises(NotFound, match="That was deleted."):      # a button: it's gone
        await claim(SharingService(db, clock), entry, user=BOB)
    with pytest.raises(InvalidInput, match="Sharing happens in a server"):
        await SharingService(db, clock).preview(ALICE, None, entry.id, named=False,
                                                show_company=False)


async def test_sharing_is_refused_while_the_server_is_paused(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    async with db.transaction() as tx:
        await tx.execute("UPDATE guild_config SET paused_reason = 'the channel is gone'")
    entry = await logged(db, clock)
    with pytest.raises(NotAllowed, match="the channel is gone"):
        await claim(SharingService(db, clock), entry)


async def test_a_failed_post_frees_the_share_and_can_pause_the_server(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    entry = await logged(db, clock)
    got = await claim(sharing, entry, named=True)
    await sharing.abandon_share(got.share_id, pause_guild=GUILD, reason="no permission")
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 0
    assert await db.scalar("SELECT paused_reason FROM guild_config") == "no permission"


async def test_taking_an_entry_down_cancels_its_timer_and_keeps_the_entry(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    entry = await logged(db, clock)
    got = await claim(sharing, entry)
    found, removed = await sharing.unshare(ALICE, f"#{entry.id}")
    assert found.id == entry.id and [s.id for s in removed] == [got.share_id]
    assert await db.scalar("SELECT COUNT(*) FROM shares") == 0
    assert await db.scalar("SELECT status FROM timers WHERE kind = 'share_post'") == "cancelled"
    assert await db.scalar("SELECT COUNT(*) FROM rejections") == 1
    with pytest.raises(NotFound, match="isn't shared"):
        await sharing.unshare(ALICE, entry.id)


def test_the_post_shows_the_stage_and_the_company_only_when_asked_never_the_note():
    anonymous = share_post(company=None, stage="recruiter-screen", author_name=None)
    assert anonymous.description.startswith(
        "Someone in the group got a no after a recruiter screen.")
    assert "anonymously" in anonymous.footer
    with_company = share_post(company="Acme", stage="onsite", author_name=None)
    assert with_company.description.startswith(
        "Someone in the group got a no from **Acme** after an onsite interview.")
    named = share_post(company="Acme", stage=None, author_name="alice")
    assert named.description.startswith("**alice** got a no from **Acme**.")
    assert "with their name" in named.footer
    for stage in ("application", None):
        words = share_post(company=None, stage=stage, author_name=None).description
        assert "interview" not in words.split("\n")[0]
    assert share_post(company=None, stage="application", author_name=None).description \
        .startswith("Someone in the group got a no on an application.")


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
    got = await claim(sharing, entry)
    with pytest.raises(UserFacingError, match="still going up"):   # not posted yet
        await sharing.encourage_share(sender_id=BOB, share_id=got.share_id, message="hi",
                                      anonymous=False)
    await sharing.finish_share(got.share_id, 4242)
    with pytest.raises(InvalidInput, match="your own post"):
        await sharing.check_can_encourage(ALICE, got.share_id)
    note = await sharing.encourage_share(sender_id=BOB, share_id=got.share_id,
                                         message="Been there.", anonymous=True)
    assert (note.recipient_id, note.share_id, note.guild_id) == (ALICE, got.share_id, GUILD)


async def test_closed_dms_leave_a_pending_notice(db, clock):
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    sharing = SharingService(db, clock)
    anon_entry = await logged(db, clock)
    named_entry = await logged(db, clock, share="named")
    anon = await claim(sharing, anon_entry)
    named = await claim(sharing, named_entry, named=True, show_company=True)
    for got in (anon, named):
        async with db.transaction() as tx:
            await tx.execute("UPDATE shares SET status = 'posting' WHERE id = ?", (got.share_id,))
        await sharing.finish_share(got.share_id, 1)
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
    await logged(db, clock)                                   # a member Onward knows
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


# Anonymous notes can't be used to harass ------------------------------------------------------

CAROL = 1003


async def anon(sharing, sender, recipient, guild=GUILD):
    return await sharing.encourage(sender_id=sender, recipient_id=recipient, guild_id=guild,
                                   message="you've got this", anonymous=True)


async def test_one_anonymous_note_a_day_to_one_member(db, clock):
    sharing = SharingService(db, clock)
    await anon(sharing, BOB, ALICE)
    with pytest.raises(NotAllowed, match="already sent this member an anonymous note"):
        await anon(sharing, BOB, ALICE)
    signed = await sharing.encourage(sender_id=BOB, recipient_id=ALICE, guild_id=GUILD,
                                     message="signed is fine", anonymous=False)
    assert signed.anonymous is False
    await anon(sharing, CAROL, ALICE)                         # someone else may
    clock.advance(timedelta(days=1, seconds=1))
    await anon(sharing, BOB, ALICE)                           # a day later, again
    assert await db.scalar("SELECT COUNT(*) FROM encouragements WHERE anonymous = 1") == 3


async def test_five_anonymous_notes_a_day_from_one_sender(db, clock):
    sharing = SharingService(db, clock)
    for recipient in range(2001, 2006):
        await anon(sharing, BOB, recipient)
    with pytest.raises(NotAllowed, match="5 anonymous notes in the last day"):
        await anon(sharing, BOB, 2006)
    assert await db.scalar("SELECT COUNT(*) FROM encouragements") == 5


async def test_a_member_can_refuse_anonymous_notes(db, clock):
    sharing = SharingService(db, clock)
    await MemberSettingsService(db, clock).update(ALICE, anonymous_notes=False)
    with pytest.raises(NotAllowed, match="takes signed notes only"):
        await anon(sharing, BOB, ALICE)
    assert await db.scalar("SELECT COUNT(*) FROM encouragements") == 0


async def test_blocked_members_send_no_anonymous_notes_in_that_server(db, clock):
    sharing, support = SharingService(db, clock), SupportService(db, clock)
    assert await support.block(GUILD, BOB, admin_id=CAROL) is True
    assert await support.block(GUILD, BOB, admin_id=CAROL) is False
    with pytest.raises(NotAllowed, match="admins have turned off anonymous notes from you"):
        await anon(sharing, BOB, ALICE)
    await anon(sharing, BOB, ALICE, guild=OTHER_GUILD)        # another server, another rule
    assert await support.unblock(GUILD, BOB) is True
    assert await support.unblock(GUILD, BOB) is False
    await anon(sharing, BOB, CAROL)
    with pytest.raises(InvalidInput, match="sent from a server"):
        await anon(sharing, BOB, 2001, guild=None)


async def test_a_report_goes_to_the_reports_channel_or_the_owner(db, clock):
    sharing = SharingService(db, clock)
    await SupportService(db, clock).setup(GUILD, CHANNEL, "UTC")
    note = await anon(sharing, BOB, ALICE)
    report = await sharing.report(ALICE, note.id)
    assert (report.note.sender_id, report.reports_channel_id) == (BOB, None)
    async with db.transaction() as tx:
        await tx.execute("UPDATE guild_config SET reports_channel_id = 77")
    assert (await sharing.report(ALICE, note.id)).reports_channel_id == 77
    with pytest.raises(NotFound, match="That was deleted."):  # not hers to report
        await sharing.report(CAROL, note.id)
