"""The start-up plan read in bulk agrees, pair by pair, with deliver_due and next_run."""

from datetime import UTC, datetime, timedelta

from bot.clock import to_db
from bot.db.repositories.guild_config import GuildConfigRepository
from bot.services.nudges import KINDS, NudgePost, NudgeService
from bot.services.support import SupportService

SLOT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)     # Wednesday 15:00 UTC
CHANNEL = 900


class Channel:
    def __init__(self) -> None:
        self.posts: list[tuple[int, NudgePost]] = []

    async def __call__(self, channel_id: int, post: NudgePost) -> int:
        self.posts.append((channel_id, post))
        return 7000 + len(self.posts)


async def set_up(db, clock, guild: int, *, at: datetime, tz: str = "UTC", time="15:00",
                 days="wed") -> None:
    clock.set(at)
    support = SupportService(db, clock)
    await support.setup(guild, CHANNEL, tz)
    for kind in KINDS:
        await support.set_schedule(guild, kind, enabled=False)
    await support.set_schedule(guild, "encouragement", days=days, time=time, enabled=True)


async def test_each_pair_is_checked_armed_or_left_alone_as_deliver_due_would(db, clock):
    day_before = SLOT - timedelta(days=1)
    await set_up(db, clock, 1, at=day_before)                       # slot just passed: post it
    await set_up(db, clock, 2, at=day_before)                       # already posted
    await set_up(db, clock, 3, at=SLOT + timedelta(minutes=5))      # edited after the slot
    await set_up(db, clock, 4, at=day_before)                       # paused
    await set_up(db, clock, 5, at=day_before, time="12:00")         # missed beyond the grace
    await set_up(db, clock, 6, at=day_before, tz="Asia/Kolkata", time="20:30")  # = 15:00 UTC
    await set_up(db, clock, 7, at=day_before, tz="America/New_York", time="10:00",
                 days="mon,thu")                                    # next one is tomorrow
    now = SLOT + timedelta(minutes=10)
    clock.set(now)
    nudges = NudgeService(db, clock)
    await nudges.deliver_due(2, "encouragement", Channel())
    async with db.transaction() as tx:
        await GuildConfigRepository(db).pause(tx, 4, "the channel is gone", to_db(now))

    check, upcoming = await nudges.plan_start()

    assert sorted(check) == [(1, "encouragement"), (5, "encouragement"), (6, "encouragement")]
    assert sorted(upcoming) == [(2, "encouragement"), (3, "encouragement"),
                                (7, "encouragement")]
    assert upcoming[(7, "encouragement")].at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    # The same answers, one pair at a time, from the code a job runs when it fires.
    for guild in range(1, 8):
        for kind in KINDS:
            pair = (guild, kind)
            if pair in upcoming:
                assert await nudges.next_run(guild, kind) == upcoming[pair]
            elif pair not in check:
                assert await nudges.next_run(guild, kind) is None
    channel = Channel()
    outcomes = {guild: (await nudges.deliver_due(guild, "encouragement", channel)).status
                for guild in range(1, 8)}
    assert outcomes == {1: "posted", 2: "idle", 3: "idle", 4: "idle", 5: "skipped",
                        6: "posted", 7: "idle"}


async def test_nothing_scheduled_plans_nothing(db, clock):
    assert await NudgeService(db, clock).plan_start() == ([], {})
