"""The group-nudge scheduler against the emulator: real APScheduler jobs posting into the
support channel, restarts across a slot, rate limits, and a channel that disappears."""

from __future__ import annotations

import asyncio
from datetime import timedelta

EPHEMERAL = 64


async def eventually(check, timeout: float = 10.0):
    """Poll an async check until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check.__name__}")
        await asyncio.sleep(0.05)


async def set_up(world, timezone: str = "UTC"):
    admin = world.actor(world.admin)
    reply = await (await admin.slash("support setup", channel=world.support_id,
                                     timezone=timezone)).reply()
    assert "Set up" in reply.content
    return admin


async def slot_soon(world, admin, *, kind: str = "encouragement", lead: float = 2.0,
                    reach: bool = True):
    """Schedule `kind` daily (UTC server) at a whole minute `lead` seconds after the bot's
    clock, so its real APScheduler job is armed to run `lead` seconds from now. With `reach`,
    the clock then moves to the slot, so the job finds it due when it runs. Returns the slot's
    UTC instant."""
    now = world.clock.now()
    slot = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    world.clock.advance(slot - timedelta(seconds=lead) - now)
    reply = await (await admin.slash("support schedule", kind=kind, days="daily",
                                     time=slot.strftime("%H:%M"), enabled=True)).reply()
    assert "Saved." in reply.content
    if reach:
        world.clock.set(slot)
    return slot


def support_posts(world):
    return world.emu.channel_messages(world.support_id)


async def deliveries(world):
    return [tuple(r) for r in await world.db.fetchall(
        "SELECT kind, slot, status FROM deliveries ORDER BY id")]


def cog(world):
    return world.bot.get_cog("Support")


async def test_a_scheduled_job_fires_and_posts_into_the_support_channel(world):
    admin = await set_up(world)
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    slot = await slot_soon(world, admin)
    assert cog(world).next_runs()[(world.guild_id, "encouragement")] == slot
    post = await arriving
    assert post.embeds[0]["title"] == "A note for the group"
    assert post.allowed_mentions == {"parse": []}
    assert "@everyone" not in post.embeds[0]["description"]
    key = slot.strftime("%Y-%m-%dT%H:%M")
    assert await eventually(lambda: _posted(world, key))
    # Re-armed for tomorrow's slot, without a restart.
    assert cog(world).next_runs()[(world.guild_id, "encouragement")] == slot + timedelta(days=1)
    assert len(support_posts(world)) == 1


async def _posted(world, key):
    row = await world.db.fetchone(
        "SELECT status, message_id FROM deliveries WHERE slot = ?", (key,))
    return row is not None and row["status"] == "posted" and row["message_id"] is not None


async def test_posted_on_time_then_restarted_inside_grace_posts_once(world):
    admin = await set_up(world)
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    await slot_soon(world, admin, kind="keep-applying")
    await arriving
    await world.restart()
    await world.emu.wait_for_connection()
    await asyncio.sleep(0.5)
    assert len(support_posts(world)) == 1
    assert [r[2] for r in await deliveries(world)] == ["posted"]


async def test_a_slot_missed_while_down_is_posted_once_at_start_inside_grace(world):
    admin = await set_up(world)
    slot = await slot_soon(world, admin, kind="digest", lead=60, reach=False)
    await world.stop()
    world.clock.advance(timedelta(minutes=5))         # back 4 minutes after the slot
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    await world.start()
    post = await arriving
    assert post.embeds[0]["title"] == "The group's week"
    key = slot.strftime("%Y-%m-%dT%H:%M")
    assert await eventually(lambda: _posted(world, key))
    await world.restart()                              # and again: still one post
    await asyncio.sleep(0.5)
    assert len(support_posts(world)) == 1
    assert await deliveries(world) == [("digest", key, "posted")]


async def test_a_slot_missed_beyond_grace_is_skipped_not_posted(world):
    admin = await set_up(world)
    slot = await slot_soon(world, admin, lead=60, reach=False)
    await world.stop()
    world.clock.advance(timedelta(hours=2))
    await world.start()
    key = slot.strftime("%Y-%m-%dT%H:%M")

    async def skipped():
        return await deliveries(world) == [("encouragement", key, "skipped")]

    assert await eventually(skipped)
    assert support_posts(world) == []


async def test_catch_up_all_posts_what_is_due_after_moving_the_clock(world):
    admin = await set_up(world)
    slot = await slot_soon(world, admin, lead=600, reach=False)
    world.clock.advance(timedelta(minutes=10, seconds=30))   # just past the slot
    outcomes = await cog(world).catch_up_all()
    assert outcomes[(world.guild_id, "encouragement")].status == "posted"
    assert outcomes[(world.guild_id, "digest")].status == "idle"
    assert len(support_posts(world)) == 1
    assert (await cog(world).catch_up_all())[(world.guild_id, "encouragement")].status == "idle"
    assert cog(world).next_runs()[(world.guild_id, "encouragement")] == slot + timedelta(days=1)


async def test_editing_a_schedule_to_a_time_just_passed_posts_nothing(world):
    admin = await set_up(world)
    past = (world.clock.now() - timedelta(minutes=5)).strftime("%H:%M")
    await (await admin.slash("support schedule", kind="encouragement", days="daily",
                             time=past)).reply()
    outcomes = await cog(world).catch_up_all()
    assert outcomes[(world.guild_id, "encouragement")].status == "idle"
    assert support_posts(world) == [] and await deliveries(world) == []


async def test_a_rate_limited_post_is_retried_and_posted_once(world):
    admin = await set_up(world)
    world.emu.fail_next("POST", rf"/channels/{world.support_id}/messages$", 429)
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    await slot_soon(world, admin)
    await arriving
    await asyncio.sleep(0.5)
    assert len(support_posts(world)) == 1
    assert [r[2] for r in await deliveries(world)] == ["posted"]


async def test_a_flaky_discord_503_is_retried_and_posted_once(world):
    admin = await set_up(world)
    world.emu.fail_next("POST", rf"/channels/{world.support_id}/messages$", 503, times=2)
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    await slot_soon(world, admin, kind="keep-applying")
    post = await arriving
    assert post.embeds[0]["title"] == "Keep applying"
    await asyncio.sleep(0.5)
    assert len(support_posts(world)) == 1


async def test_a_deleted_channel_pauses_nudges_and_the_admin_is_told(world):
    admin = await set_up(world)
    await slot_soon(world, admin)
    await world.emu.delete_channel(world.support_id)

    async def paused():
        return await world.db.scalar("SELECT paused_reason FROM guild_config")

    reason = await eventually(paused)
    assert "no longer exists" in reason
    assert [r[2] for r in await deliveries(world)] == ["failed"]

    async def jobs_dropped():
        return not any(g == world.guild_id for g, _ in cog(world).next_runs())

    assert await eventually(jobs_dropped)
    status = await (await admin.slash("support status")).reply()
    assert "paused" in status.content and "no longer exists" in status.content
    assert "/support setup" in status.content
    # A new channel lifts the pause and re-arms the jobs.
    fixed = await (await admin.slash("support setup", channel=world.general_id)).reply()
    assert "back on" in fixed.content
    assert await world.db.scalar("SELECT paused_reason FROM guild_config") is None
    assert len([g for g, _ in cog(world).next_runs() if g == world.guild_id]) == 3


async def test_lost_permission_pauses_nudges(world):
    admin = await set_up(world)
    world.emu.set_bot_channel_permissions(world.support_id, allow_send=False)
    reply = await (await admin.slash("support nudge-now", kind="encouragement")).reply()
    assert "no longer have permission" in reply.content
    assert "paused" in reply.content
    assert "permission" in await world.db.scalar("SELECT paused_reason FROM guild_config")
    again = await (await admin.slash("support nudge-now", kind="digest")).reply()
    assert "paused" in again.content
    assert support_posts(world) == []


async def test_leaving_a_server_drops_its_jobs_and_rejoining_rearms_them(world):
    await set_up(world)
    assert len(cog(world).next_runs()) == 3
    await world.emu.remove_bot_from_guild(world.guild_id)

    async def dropped():
        return not cog(world).next_runs()

    assert await eventually(dropped)
    assert not [j for j in world.bot.scheduler.get_jobs() if j.id.startswith("nudge:")]
    assert await world.db.scalar("SELECT COUNT(*) FROM nudge_schedules") == 3
    # Added back, the server's schedules resume without a restart.
    await world.emu.add_bot_to_guild(world.guild_id)

    async def rearmed():
        return len(cog(world).next_runs()) == 3

    assert await eventually(rearmed)


async def test_a_gateway_reconnect_around_a_slot_posts_once(world):
    admin = await set_up(world)
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    slot = await slot_soon(world, admin)
    await world.emu.request_reconnect()
    await arriving
    await world.emu.request_reconnect()
    await world.emu.wait_for_connection()
    await asyncio.sleep(0.5)
    assert len(support_posts(world)) == 1
    assert await deliveries(world) == [
        ("encouragement", slot.strftime("%Y-%m-%dT%H:%M"), "posted")]
