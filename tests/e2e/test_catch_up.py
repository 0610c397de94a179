"""What the sandbox's `wait` and `status` rely on: the personal-DM catch-up, awaited, after the
bot's clock moves; and the pending timers, soonest first."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import to_db
from bot.db.repositories.timers import TimerRepository


async def log_entry(world, company):
    alice = world.actor(world.alice)
    return await (await alice.slash("rejection log", company=company, stage="onsite")).reply()


async def test_catch_up_sends_the_prompt_that_fell_due_when_the_clock_moved(world):
    await log_entry(world, "Acme")
    personal_dms = world.bot.get_cog("PersonalDMs")

    await personal_dms.catch_up()
    assert world.emu.dm_messages(world.alice) == []          # not due yet: nothing sent

    world.clock.advance(timedelta(hours=24))
    await personal_dms.catch_up()                              # returns once it has gone out
    [dm] = world.emu.dm_messages(world.alice)
    assert "Acme" in dm.content and "reflect" in dm.content
    assert [b["label"] for b in dm.buttons][:3] == ["Reflect now", "Remind me tomorrow",
                                                    "Not this one"]
    assert await world.db.scalar("SELECT status FROM timers") == "sent"

    await personal_dms.catch_up()                              # sent once, never again
    assert len(world.emu.dm_messages(world.alice)) == 1


async def test_pending_lists_timers_still_to_fire_soonest_first(db, clock):
    timers = TimerRepository(db)
    now = clock.now()
    async with db.transaction() as tx:
        later = await timers.add(tx, user_id=1, kind="reflection_prompt", subject_id=7,
                                 due_at=to_db(now + timedelta(days=2)), created_at=to_db(now))
        sooner = await timers.add(tx, user_id=2, kind="feedback_followup", subject_id=8,
                                  due_at=to_db(now + timedelta(hours=3)), created_at=to_db(now))
        fired = await timers.add(tx, user_id=1, kind="reflection_prompt", subject_id=9,
                                 due_at=to_db(now), created_at=to_db(now))
        await timers.mark_sent(tx, [fired], to_db(now))

    pending = await timers.pending()
    assert [t.id for t in pending] == [sooner, later]
    assert pending[0].kind == "feedback_followup" and pending[0].user_id == 2
    assert [t.id for t in await timers.pending(limit=1)] == [sooner]
