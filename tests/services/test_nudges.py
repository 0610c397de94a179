"""Delivering group nudges: once per slot, the grace window, pauses, rotation and content."""

import asyncio
import random
import re
from datetime import UTC, datetime, timedelta

from bot.clock import to_db
from bot.db.repositories.applications import Application, ApplicationRepository
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.services.nudge_lines import ENCOURAGEMENT_LINES
from bot.services.nudges import ChannelUnavailable, NudgePost, NudgeService, PostFailed
from bot.services.support import SupportService

GUILD, OTHER_GUILD, CHANNEL = 500, 501, 900
ALICE, BOB, CAROL = 1001, 1002, 1003
SLOT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)     # Wednesday 15:00 UTC


class Channel:
    """Stands in for the Discord channel: records what was posted, can fail on demand."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, NudgePost]] = []
        self.fail_with: Exception | None = None

    async def __call__(self, channel_id: int, post: NudgePost) -> int:
        await asyncio.sleep(0)      # let a concurrent caller run in between, as real I/O would
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append((channel_id, post))
        return 7000 + len(self.posts)


async def configure(db, clock, *, days="wed", time="15:00", tz="UTC", guild=GUILD,
                    set_at=SLOT - timedelta(days=1)):
    """Set the server up a day before the slot (so the slot counts), then come back to now."""
    now = clock.now()
    clock.set(set_at)
    support = SupportService(db, clock)
    await support.setup(guild, CHANNEL, tz)
    for kind in ("encouragement", "keep-applying", "digest"):
        await support.set_schedule(guild, kind, enabled=False)
    await support.set_schedule(guild, "encouragement", days=days, time=time, enabled=True)
    clock.set(now)


async def rows(db):
    return [tuple(r) for r in await db.fetchall(
        "SELECT kind, slot, status, message_id FROM deliveries ORDER BY id")]


async def test_a_slot_is_posted_once_when_due(db, clock):
    await configure(db, clock)
    channel = Channel()
    nudges = NudgeService(db, clock)
    clock.set(SLOT)
    outcome = await nudges.deliver_due(GUILD, "encouragement", channel)
    assert (outcome.status, outcome.slot) == ("posted", "2026-11-25T15:00")
    assert len(channel.posts) == 1
    assert channel.posts[0][0] == CHANNEL
    assert channel.posts[0][1].description in ENCOURAGEMENT_LINES
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "posted", 7001)]
    # Firing again, or a fresh service after a restart on the slot, posts nothing more.
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    restarted = NudgeService(db, clock)
    assert (await restarted.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    assert len(channel.posts) == 1


async def test_nothing_is_due_before_the_slot(db, clock):
    await configure(db, clock)
    channel = Channel()
    clock.set(SLOT - timedelta(seconds=1))
    assert (await NudgeService(db, clock).deliver_due(GUILD, "encouragement", channel)).status \
        == "idle"
    assert channel.posts == [] and await rows(db) == []


async def test_a_slot_missed_inside_the_grace_window_is_posted_late(db, clock):
    await configure(db, clock)
    channel = Channel()
    clock.set(SLOT + timedelta(minutes=59))
    outcome = await NudgeService(db, clock, grace_minutes=60).deliver_due(
        GUILD, "encouragement", channel)
    assert outcome.status == "posted"
    assert len(channel.posts) == 1


async def test_a_slot_missed_beyond_the_grace_window_is_skipped_and_recorded(db, clock, caplog):
    await configure(db, clock)
    channel = Channel()
    clock.set(SLOT + timedelta(minutes=61))
    nudges = NudgeService(db, clock, grace_minutes=60)
    outcome = await nudges.deliver_due(GUILD, "encouragement", channel)
    assert outcome.status == "skipped"
    assert channel.posts == []
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "skipped", None)]
    assert "missed by 61 minutes" in await db.scalar("SELECT detail FROM deliveries")
    assert "skipped encouragement nudge" in caplog.text
    # Recorded once, not again at the next look.
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    assert len(await rows(db)) == 1


async def test_only_the_most_recent_missed_slot_is_considered(db, clock):
    await configure(db, clock, days="daily", time="09:00",
                    set_at=SLOT - timedelta(days=5))
    channel = Channel()
    # Down for days; back 30 minutes after today's 09:00 slot.
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    outcome = await NudgeService(db, clock).deliver_due(GUILD, "encouragement", channel)
    assert (outcome.status, outcome.slot) == ("posted", "2026-11-25T09:00")
    assert [r[1] for r in await rows(db)] == ["2026-11-25T09:00"]


async def test_two_concurrent_deliveries_of_a_slot_post_once(db, clock):
    await configure(db, clock)
    channel = Channel()
    clock.set(SLOT + timedelta(seconds=2))
    first, second = NudgeService(db, clock), NudgeService(db, clock)
    outcomes = await asyncio.gather(
        first.deliver_due(GUILD, "encouragement", channel),
        second.deliver_due(GUILD, "encouragement", channel),
        first.deliver_due(GUILD, "encouragement", channel),
    )
    assert sorted(o.status for o in outcomes) == ["idle", "idle", "posted"]
    assert len(channel.posts) == 1
    assert await db.scalar("SELECT COUNT(*) FROM deliveries") == 1
    assert len(await db.fetchall("SELECT * FROM encouragement_rotation")) == 1


async def test_a_slot_stuck_in_sending_after_a_crash_is_not_posted_again(db, clock):
    await configure(db, clock)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO deliveries (guild_id, kind, slot, status, created_at)"
            " VALUES (?, 'encouragement', '2026-11-25T15:00', 'sending', ?)",
            (GUILD, to_db(SLOT)),
        )
    channel = Channel()
    clock.set(SLOT + timedelta(minutes=5))
    assert (await NudgeService(db, clock).deliver_due(GUILD, "encouragement", channel)).status \
        == "idle"
    assert channel.posts == []


async def test_editing_a_schedule_never_triggers_a_catch_up_post(db, clock):
    await configure(db, clock)
    channel = Channel()
    # Ten minutes after the slot (inside grace) the admin changes the time to 15:05.
    clock.set(SLOT + timedelta(minutes=10))
    await SupportService(db, clock).set_schedule(GUILD, "encouragement", time="15:05")
    nudges = NudgeService(db, clock)
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    assert channel.posts == [] and await rows(db) == []
    # Next week's 15:05 slot is posted as usual.
    clock.set(SLOT + timedelta(days=7, minutes=5))
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).slot == "2026-12-02T15:05"
    assert len(channel.posts) == 1


async def test_a_disabled_schedule_posts_nothing(db, clock):
    await configure(db, clock)
    await SupportService(db, clock).set_schedule(GUILD, "encouragement", enabled=False)
    channel = Channel()
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    assert await nudges.next_run(GUILD, "encouragement") is None
    assert channel.posts == []


async def test_a_lost_channel_pauses_the_server_until_setup(db, clock):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = ChannelUnavailable("the support channel <#900> no longer exists")
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    outcome = await nudges.deliver_due(GUILD, "encouragement", channel)
    assert outcome.status == "paused"
    assert await db.scalar("SELECT paused_reason FROM guild_config") == \
        "the support channel <#900> no longer exists"
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "failed", None)]
    assert await nudges.next_run(GUILD, "encouragement") is None
    # Setting up again lifts the pause; the lost slot is not retried.
    channel.fail_with = None
    clock.set(SLOT + timedelta(minutes=5))
    result = await SupportService(db, clock).setup(GUILD, 901, None)
    assert result.lifted_pause == "the support channel <#900> no longer exists"
    assert await db.scalar("SELECT paused_reason FROM guild_config") is None
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    assert (await nudges.next_run(GUILD, "encouragement")).key == "2026-12-02T15:00"


async def test_a_post_that_fails_is_retried_until_posted_inside_grace(db, clock):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = PostFailed("Discord kept failing (503)", tries=4)
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    first = await nudges.deliver_due(GUILD, "encouragement", channel)
    assert first.status == "retrying" and first.retry_at == SLOT + timedelta(seconds=15)
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "sending", None)]
    # Not due yet; then due, and Discord is back.
    assert await nudges.due_retries() == []
    channel.fail_with = None
    clock.set(SLOT + timedelta(seconds=20))
    [delivery_id] = await nudges.due_retries()
    outcome = await nudges.retry(delivery_id, channel, no_history)
    assert outcome.status == "posted"
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "posted", 7001)]
    # Every send of the row carried the same nonce.
    assert channel.posts[0][1].nonce is not None and len(channel.posts[0][1].nonce) <= 25
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "idle"
    assert len(channel.posts) == 1


async def test_a_post_failing_past_its_grace_window_is_given_up_and_said_once(db, clock, caplog):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = PostFailed("Discord kept failing (503)", tries=4)
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "retrying"
    clock.set(SLOT + timedelta(minutes=61))
    [delivery_id] = await nudges.due_retries()
    caplog.clear()
    outcome = await nudges.retry(delivery_id, channel, no_history)
    assert outcome.status == "failed"
    assert "gave up after 4 tries over 61 minutes" in outcome.detail
    assert [r.message for r in caplog.records if r.levelname == "ERROR"] == [
        "the encouragement post for guild 500 (2026-11-25T15:00) was not posted: "
        + outcome.detail]
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "failed", None)]
    assert await nudges.due_retries() == []
    [problem] = await nudges.problems(GUILD)
    assert problem.status == "failed" and "503" in problem.detail


async def test_a_refused_post_is_final_and_not_retried(db, clock):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = PostFailed("Discord refused the post (400: bad)", retryable=False)
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "failed"
    assert await nudges.due_retries() == []
    assert await rows(db) == [("encouragement", "2026-11-25T15:00", "failed", None)]


async def test_a_post_left_unsent_by_a_restart_is_sent_again_with_its_nonce(db, clock):
    await configure(db, clock)
    clock.set(SLOT)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO deliveries (guild_id, kind, slot, status, created_at, payload, deadline)"
            " VALUES (?, 'encouragement', '2026-11-25T15:00', 'sending', ?, ?, ?)",
            (GUILD, to_db(SLOT), NudgePost("encouragement", "T", "D").to_json(),
             to_db(SLOT + timedelta(hours=1))))
    nudges = NudgeService(db, clock)          # a new process: nothing under way
    channel = Channel()
    clock.set(SLOT + timedelta(minutes=2))
    [delivery_id] = await nudges.due_retries()
    assert (await nudges.retry(delivery_id, channel, no_history)).status == "posted"
    assert [(p.title, p.description) for _, p in channel.posts] == [("T", "D")]


async def test_an_unknown_outcome_past_the_nonce_window_is_looked_up_not_resent(db, clock):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = PostFailed("Discord kept failing (500)", maybe_posted=True)
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "retrying"
    channel.fail_with = None
    clock.set(SLOT + timedelta(minutes=10))
    [delivery_id] = await nudges.due_retries()

    async def already_there(channel_id, post):
        return [4242]

    outcome = await nudges.retry(delivery_id, channel, already_there)
    assert (outcome.status, outcome.message_id) == ("posted", 4242)
    assert channel.posts == []


async def test_a_channel_that_cannot_be_read_now_is_looked_at_again_later(db, clock):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = PostFailed("Discord kept failing (500)", maybe_posted=True)
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    await nudges.deliver_due(GUILD, "encouragement", channel)
    clock.set(SLOT + timedelta(minutes=10))
    [delivery_id] = await nudges.due_retries()

    async def discord_down(channel_id, post):
        raise PostFailed("couldn't read the channel (503)", maybe_posted=True, tries=0)

    outcome = await nudges.retry(delivery_id, channel, discord_down)
    assert outcome.status == "retrying" and "couldn't read the channel" in outcome.detail
    channel.fail_with = None
    clock.set(SLOT + timedelta(minutes=11))
    assert (await nudges.retry(delivery_id, channel, no_history)).status == "posted"
    assert len(channel.posts) == 1


async def test_two_sweeps_at_once_send_a_retry_once(db, clock):
    await configure(db, clock)
    channel = Channel()
    channel.fail_with = PostFailed("Discord kept failing (503)")
    clock.set(SLOT)
    nudges = NudgeService(db, clock)
    await nudges.deliver_due(GUILD, "encouragement", channel)
    channel.fail_with = None
    clock.set(SLOT + timedelta(minutes=1))
    [delivery_id] = await nudges.due_retries()
    outcomes = await asyncio.gather(nudges.retry(delivery_id, channel, no_history),
                                    nudges.retry(delivery_id, channel, no_history))
    assert sorted(o.status for o in outcomes) == ["idle", "posted"]
    assert len(channel.posts) == 1


async def no_history(channel_id, post):
    return []


async def test_nudge_now_uses_no_slot(db, clock):
    await configure(db, clock)
    channel = Channel()
    clock.set(SLOT - timedelta(minutes=1))
    nudges = NudgeService(db, clock)
    outcome = await nudges.post_now(GUILD, "digest", channel)
    assert outcome.status == "posted" and outcome.slot is None
    # Claimed in a row of its own (so it is retried like a slot), never a scheduled slot's key.
    [(kind, key, status, message_id)] = await rows(db)
    assert (kind, status, message_id) == ("digest", "posted", 7001) and key.startswith("now:")
    clock.set(SLOT)
    assert (await nudges.deliver_due(GUILD, "encouragement", channel)).status == "posted"
    assert [p.kind for _, p in channel.posts] == ["digest", "encouragement"]


async def test_encouragement_lines_do_not_repeat_until_the_pool_is_used_up(db, clock):
    await configure(db, clock)
    channel = Channel()
    nudges = NudgeService(db, clock, rng=random.Random(3))
    pool = len(ENCOURAGEMENT_LINES)
    assert pool >= 20
    for _ in range(pool):
        await nudges.post_now(GUILD, "encouragement", channel)
    first_round = [p.description for _, p in channel.posts]
    assert sorted(first_round) == sorted(ENCOURAGEMENT_LINES)
    # The next round starts over without repeating the line just posted.
    await nudges.post_now(GUILD, "encouragement", channel)
    assert channel.posts[-1][1].description != first_round[-1]
    assert await db.scalar("SELECT COUNT(*) FROM encouragement_rotation") == 1
    # Each server has its own rotation.
    await configure(db, clock, guild=OTHER_GUILD)
    await nudges.post_now(OTHER_GUILD, "encouragement", channel)
    assert await db.scalar(
        "SELECT COUNT(*) FROM encouragement_rotation WHERE guild_id = ?", (OTHER_GUILD,)) == 1


# Content -----------------------------------------------------------------------------------

async def add_application(db, user_id, guild_id, day):
    async with db.transaction() as tx:
        await ApplicationRepository(db).add(tx, Application(
            id=0, user_id=user_id, guild_id=guild_id, company="Acme", role=None, link=None,
            applied_on=day, created_at=to_db(SLOT)))


async def set_goal(db, user_id, goal):
    repo = MemberSettingsRepository(db)
    async with db.transaction() as tx:
        await repo.save(tx, (await repo.get(user_id)).with_changes(weekly_goal=goal,
                                                                   updated_at="x"))


async def test_keep_applying_counts_this_week_in_this_server_and_names_nobody(db, clock):
    await configure(db, clock)
    await set_goal(db, ALICE, 2)
    await set_goal(db, BOB, 5)
    for day in ("2026-11-23", "2026-11-24"):          # this week (Mon 23rd – Sun 29th)
        await add_application(db, ALICE, GUILD, day)
    await add_application(db, BOB, GUILD, "2026-11-25")
    await add_application(db, BOB, GUILD, "2026-11-20")        # last week
    await add_application(db, CAROL, OTHER_GUILD, "2026-11-25")  # another server
    await add_application(db, CAROL, None, "2026-11-25")         # logged in DMs
    channel = Channel()
    await NudgeService(db, clock).post_now(GUILD, "keep-applying", channel)
    post = channel.posts[0][1]
    assert "So far this week (Mon 23 – Sun 29 Nov) the group has logged **3 applications**" in (
        post.description)
    assert "**1 member** has reached their weekly goal" in post.description
    assert "/apply log" in post.description
    assert not re.search(r"<@|\d{4}", post.description.replace("2026", ""))


async def test_keep_applying_on_a_quiet_week(db, clock):
    await configure(db, clock)
    channel = Channel()
    await NudgeService(db, clock).post_now(GUILD, "keep-applying", channel)
    # No zero count: a warm sentence that names the week instead.
    text = channel.posts[0][1].description
    assert text.startswith("A new week (Mon 23 – Sun 29 Nov), and a clean slate.")
    assert "0" not in text and "no applications" not in text


async def add_shared_rejection(db, user_id, guild_id, *, named, share_named=None):
    async with db.transaction() as tx:
        rid = await tx.insert(
            "INSERT INTO rejections (user_id, guild_id, company, occurred_on, share, created_at)"
            " VALUES (?, ?, 'Initech', '2026-11-24', ?, ?)",
            (user_id, guild_id, "named" if named else "anonymous", to_db(SLOT)))
        await tx.insert(
            "INSERT INTO shares (rejection_id, user_id, guild_id, channel_id, message_id, named,"
            " created_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            (rid, user_id, guild_id, CHANNEL, int(named if share_named is None else share_named),
             to_db(SLOT - timedelta(days=1))))
        return rid


async def test_digest_gives_group_totals_and_names_only_those_who_shared_named(db, clock):
    await configure(db, clock)
    await add_application(db, ALICE, GUILD, "2026-11-24")
    await add_application(db, BOB, GUILD, "2026-11-19")          # inside the last 7 days
    await add_application(db, BOB, GUILD, "2026-11-10")          # too old
    await add_application(db, CAROL, OTHER_GUILD, "2026-11-24")
    named = await add_shared_rejection(db, ALICE, GUILD, named=True)
    await add_shared_rejection(db, BOB, GUILD, named=False)
    await add_shared_rejection(db, CAROL, OTHER_GUILD, named=True)
    async with db.transaction() as tx:
        await tx.insert(
            "INSERT INTO reflections (rejection_id, user_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)", (named, ALICE, to_db(SLOT), to_db(SLOT)))
        await tx.insert(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, created_at)"
            " VALUES (?, ?, ?, ?)", (named, ALICE, to_db(SLOT), to_db(SLOT)))
    channel = Channel()
    await NudgeService(db, clock).post_now(GUILD, "digest", channel)
    text = channel.posts[0][1].description
    assert "2 applications sent" in text
    assert "1 reflection written" in text
    assert "1 feedback request sent" in text
    assert "2 rejections shared with the group" in text
    assert f"<@{ALICE}>" in text
    assert str(BOB) not in text and str(CAROL) not in text


async def test_digest_names_nobody_without_consent(db, clock):
    await configure(db, clock)
    await add_shared_rejection(db, ALICE, GUILD, named=False)
    await add_shared_rejection(db, BOB, GUILD, named=False)
    await add_application(db, ALICE, GUILD, "2026-11-24")
    channel = Channel()
    await NudgeService(db, clock).post_now(GUILD, "digest", channel)
    text = channel.posts[0][1].description
    assert "<@" not in text and str(ALICE) not in text and str(BOB) not in text
    assert "2 rejections shared" in text and "1 application sent" in text
