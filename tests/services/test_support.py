"""Setting up a server's support channel and its nudge schedules."""

from datetime import timedelta

import pytest

from bot.errors import InvalidInput, NotFound
from bot.services.support import SupportService

GUILD, CHANNEL = 500, 900


async def schedules(db):
    return {r["kind"]: (r["days"], r["time"], r["enabled"]) for r in await db.fetchall(
        "SELECT kind, days, time, enabled FROM nudge_schedules WHERE guild_id = ?", (GUILD,))}


async def test_setup_stores_channel_timezone_and_default_schedules(db, clock):
    support = SupportService(db, clock)
    result = await support.setup(GUILD, CHANNEL, "Europe/Berlin")
    assert result.created and result.lifted_pause is None
    assert (result.config.support_channel_id, result.config.timezone) == (CHANNEL, "Europe/Berlin")
    assert await schedules(db) == {
        "keep-applying": ("mon", "09:00", 1),
        "encouragement": ("thu", "12:00", 1),
        "digest": ("fri", "17:00", 1),
    }
    status = await support.status(GUILD)
    nxt = {k.schedule.kind: k.next_run for k in status.kinds}
    # Now is Wed 2026-11-25 16:00 in Berlin: Thursday 12:00 CET is 11:00 UTC.
    assert nxt["encouragement"].key == "2026-11-26T12:00"
    assert nxt["encouragement"].at.isoformat() == "2026-11-26T11:00:00+00:00"
    assert nxt["digest"].key == "2026-11-27T17:00"
    assert nxt["keep-applying"].key == "2026-11-30T09:00"


async def test_setup_again_changes_channel_and_timezone_keeps_schedules_and_lifts_pause(db, clock):
    support = SupportService(db, clock)
    await support.setup(GUILD, CHANNEL, "Europe/Berlin")
    await support.set_schedule(GUILD, "digest", days="sun", time="18:30")
    async with db.transaction() as tx:
        await tx.execute("UPDATE guild_config SET paused_reason = 'channel gone'")
    clock.advance(timedelta(hours=1))
    result = await support.setup(GUILD, 901, "America/New_York")
    assert not result.created
    assert result.lifted_pause == "channel gone"
    row = await db.fetchone("SELECT support_channel_id, timezone, paused_reason FROM guild_config")
    assert tuple(row) == (901, "America/New_York", None)
    assert (await schedules(db))["digest"] == ("sun", "18:30", 1)
    # Every schedule counts as edited now, so nothing earlier is caught up in the new timezone.
    assert {r[0] for r in await db.fetchall("SELECT updated_at FROM nudge_schedules")} == \
        {"2026-11-25T16:00:00+00:00"}


async def test_setup_without_timezone_keeps_the_current_one(db, clock):
    support = SupportService(db, clock)
    assert (await support.setup(GUILD, CHANNEL, None)).config.timezone == "UTC"
    await support.setup(GUILD, CHANNEL, "Asia/Tokyo")
    assert (await support.setup(GUILD, 901, None)).config.timezone == "Asia/Tokyo"


async def test_setup_refuses_an_unknown_timezone_with_suggestions(db, clock):
    with pytest.raises(InvalidInput, match="Europe/Berlin"):
        await SupportService(db, clock).setup(GUILD, CHANNEL, "Europe/Berln")
    assert await db.scalar("SELECT COUNT(*) FROM guild_config") == 0


async def test_schedule_changes_only_what_was_given(db, clock):
    support = SupportService(db, clock)
    await support.setup(GUILD, CHANNEL, "UTC")
    status = await support.set_schedule(GUILD, "encouragement", days="weekdays")
    assert (status.schedule.days, status.schedule.time) == ("mon,tue,wed,thu,fri", "12:00")
    assert status.next_run.key == "2026-11-26T12:00"
    status = await support.set_schedule(GUILD, "encouragement", time="16:15")
    assert status.next_run.key == "2026-11-25T16:15"
    status = await support.set_schedule(GUILD, "encouragement", enabled=False)
    assert status.next_run is None
    assert (await schedules(db))["encouragement"] == ("mon,tue,wed,thu,fri", "16:15", 0)


@pytest.mark.parametrize("options, words", [
    ({"days": "funday"}, "don't know the day"),
    ({"time": "25:00"}, "not a time of day"),
    ({"time": "13pm"}, "HH:MM"),
])
async def test_schedule_refuses_bad_input_and_changes_nothing(db, clock, options, words):
    support = SupportService(db, clock)
    await support.setup(GUILD, CHANNEL, "UTC")
    before = await schedules(db)
    with pytest.raises(InvalidInput, match=words):
        await support.set_schedule(GUILD, "digest", **options)
    assert await schedules(db) == before


async def test_schedule_and_status_need_setup_first(db, clock):
    support = SupportService(db, clock)
    with pytest.raises(NotFound, match="/support setup"):
        await support.set_schedule(GUILD, "digest", days="daily")
    with pytest.raises(NotFound, match="/support setup"):
        await support.status(GUILD)


async def test_status_has_no_next_run_while_paused(db, clock):
    support = SupportService(db, clock)
    await support.setup(GUILD, CHANNEL, "UTC")
    async with db.transaction() as tx:
        await tx.execute("UPDATE guild_config SET paused_reason = 'no permission'")
    status = await support.status(GUILD)
    assert status.config.paused_reason == "no permission"
    assert all(k.next_run is None for k in status.kinds)
