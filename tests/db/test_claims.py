"""Claims shared by several processes (both backends): a timer or a DM is taken by exactly one
claimer until its lease passes by the bot's clock; then any claimer takes it up, and only the
one holding it settles it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import to_db
from bot.db.repositories.outbox import OutboxRepository
from bot.db.repositories.timers import LEASE, TimerRepository

A, B = "host:1:aaaa", "host:2:bbbb"


async def add_due(db, clock, user_id: int, *, ago: timedelta = timedelta(minutes=1)) -> int:
    async with db.transaction() as tx:
        return await TimerRepository(db).add(
            tx, user_id=user_id, kind="reflection_prompt", subject_id=user_id,
            due_at=to_db(clock.now() - ago), created_at=to_db(clock.now() - ago))


async def test_a_claim_is_one_claimers_until_its_lease_passes(db, clock):
    first = await add_due(db, clock, 1)
    mine, theirs = TimerRepository(db, claimer=A), TimerRepository(db, claimer=B)
    [taken] = await mine.claim_due(to_db(clock.now()))
    assert (taken.id, taken.claimed_by, taken.lease_until) == (
        first, A, to_db(clock.now() + LEASE))
    assert await theirs.claim_due(to_db(clock.now())) == []
    # The engine wakes for the lease: that is when a dead claimer's rows are taken up.
    assert await theirs.next_due_at() == to_db(clock.now() + LEASE)
    clock.advance(LEASE)
    [again] = await theirs.claim_due(to_db(clock.now()))
    assert (again.id, again.claimed_by) == (first, B)
    # The first claimer lost it: its late settle moves nothing; the holder's does.
    async with db.transaction() as tx:
        assert await mine.mark_done(tx, [first], to_db(clock.now())) == 0
        await mine.retry_later(tx, first, to_db(clock.now()))
        await mine.reschedule(tx, first, to_db(clock.now()))
        await mine.cancel(tx, [first])
    assert await db.scalar("SELECT status FROM timers") == "claimed"
    async with db.transaction() as tx:
        assert await theirs.mark_done(tx, [first], to_db(clock.now())) == 1
    assert await db.scalar("SELECT status FROM timers") == "sent"


async def test_a_members_due_timers_go_to_one_claimer(db, clock):
    await add_due(db, clock, 7, ago=timedelta(minutes=5))
    await add_due(db, clock, 7, ago=timedelta(minutes=4))
    other = await add_due(db, clock, 8, ago=timedelta(minutes=3))
    mine, theirs = TimerRepository(db, claimer=A), TimerRepository(db, claimer=B)
    # One row picked: the member's other due timer comes along.
    taken = await mine.claim_due(to_db(clock.now()), limit=1)
    assert [t.user_id for t in taken] == [7, 7]
    # While A decides for member 7, a timer of theirs falling due is not B's to take.
    late = await add_due(db, clock, 7, ago=timedelta(0))
    assert [t.id for t in await theirs.claim_due(to_db(clock.now()))] == [other]
    async with db.transaction() as tx:
        await mine.mark_done(tx, [t.id for t in taken], to_db(clock.now()))
    assert [t.id for t in await theirs.claim_due(to_db(clock.now()))] == [late]


async def test_claimers_at_the_same_moment_split_the_rows_without_overlap(db, clock):
    for user_id in range(1, 41):
        await add_due(db, clock, user_id)
    claimers = [TimerRepository(db, claimer=name) for name in (A, B)]
    got: dict[str, list[int]] = {A: [], B: []}

    async def drain(repo: TimerRepository) -> None:
        while taken := await repo.claim_due(to_db(clock.now()), limit=3):
            got[repo.claimer or ""] += [t.id for t in taken]
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(repo) for repo in claimers))
    assert sorted(got[A] + got[B]) == list(range(1, 41))
    assert not set(got[A]) & set(got[B])
    rows = await db.fetchall("SELECT claimed_by, COUNT(*) FROM timers GROUP BY claimed_by")
    assert {r[0]: r[1] for r in rows} == {A: len(got[A]), B: len(got[B])}


async def test_a_dm_whose_claimer_died_is_retried_by_another_with_its_nonce(db, clock):
    dead = OutboxRepository(db, claimer="gone:9:dead")
    now = clock.now()
    async with db.transaction() as tx:
        outbox_id = await dead.claim(
            tx, user_id=5, lane="other", nonce="dm0123456789abcdef012345", payload="{}",
            next_try_at=to_db(now + timedelta(minutes=2)),
            give_up_at=to_db(now + timedelta(hours=3)), now=to_db(now))
    live = OutboxRepository(db, claimer=B)
    assert await live.due_retries(to_db(now), to_db(now + timedelta(minutes=2))) == []
    clock.advance(timedelta(minutes=2))
    now = clock.now()
    [row] = await live.due_retries(to_db(now), to_db(now + timedelta(minutes=2)))
    assert (row.id, row.nonce, row.claimed_by) == (outbox_id, "dm0123456789abcdef012345", B)
    assert row.next_try_at == to_db(now + timedelta(minutes=2))     # its lease, now B's
    assert await OutboxRepository(db, claimer=A).due_retries(to_db(now), to_db(now)) == []
    async with db.transaction() as tx:
        assert await dead.mark_sent(tx, outbox_id, 1, to_db(now)) == 0
        assert await dead.mark_notice(tx, outbox_id, "late") == 0
        assert await live.mark_sent(tx, outbox_id, 2, to_db(now)) == 1
    assert tuple(await db.fetchone("SELECT status, message_id FROM outbox")) == ("sent", 2)


async def test_a_dm_planned_on_a_lost_claim_is_not_written(db, clock):
    from bot.services.outbox import OutboxService

    await OutboxService(db, clock).enqueue(5, "report", about="A report", content="Look.")
    stale = await TimerRepository(db, claimer=A).claim_due(to_db(clock.now()))
    clock.advance(LEASE)                      # A stalled past its lease; B took the timer
    fresh = await TimerRepository(db, claimer=B).claim_due(to_db(clock.now()))
    assert await OutboxService(db, clock, claimer=A).plan(stale) == []
    assert await db.scalar("SELECT COUNT(*) FROM outbox") == 0
    [claim] = await OutboxService(db, clock, claimer=B).plan(fresh)
    assert "Look." in claim.payload.content
    assert tuple(await db.fetchone("SELECT claimed_by, status FROM outbox")) == (B, "claimed")
