"""Every world runs on a clock pinned at one instant, which only a test moves: what the bot
stores and schedules does not depend on when (or how slowly) the suite runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import FixedClock, to_db
from tests.e2e.conftest import PINNED_AT


async def test_the_world_clock_is_pinned_and_moves_only_when_a_test_moves_it(world):
    assert type(world.clock) is FixedClock
    assert world.bot.clock is world.clock
    assert world.clock.now() == PINNED_AT
    assert PINNED_AT.strftime("%A %H:%M %Z") == "Tuesday 14:30 UTC"

    alice = world.actor(world.alice)
    reply = await (await alice.slash("rejection log", company="Acme")).reply()
    assert "Logged" in reply.content
    await asyncio.sleep(1.1)                         # real time passes; bot time does not
    assert world.clock.now() == PINNED_AT
    assert await world.db.scalar("SELECT created_at FROM rejections") == to_db(PINNED_AT)
    assert await world.db.scalar("SELECT occurred_on FROM rejections") == "2026-06-16"

    world.clock.advance(timedelta(hours=1))
    assert world.clock.now() == PINNED_AT + timedelta(hours=1)
    await world.restart()                            # a restart keeps the moved clock
    assert world.bot.clock.now() == PINNED_AT + timedelta(hours=1)
