"""Faults injected through the emulator and the database while the real bot runs: a database
that refuses writes, a Discord outage longer than a post's retries, a 500 after the message
was created, a command Discord still shows after an update, and malformed gateway payloads.
Each prints what was sent, stored and delivered."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

import bot.tree
from bot.scheduling.group_nudges import SWEEP_JOB
from tests.e2e.test_group_nudges import deliveries, set_up, slot_soon, support_posts

EPHEMERAL = 64
POSTS = r"/channels/\d+/messages$"
FULL = "database or disk is full"


def cog(world):
    return world.bot.get_cog("Support")


def sweep_by_hand(world) -> None:
    """The test moves the clock and sweeps itself; the 10-second sweep job would race it."""
    world.bot.scheduler.remove_job(SWEEP_JOB)


def post_requests(world) -> int:
    return sum(1 for r in world.emu.requests
               if r.method == "POST" and r.path == f"/channels/{world.support_id}/messages")


async def rejections(world) -> int:
    return await world.db.scalar("SELECT COUNT(*) FROM rejections")


async def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n{text}")


# The database refuses writes ---------------------------------------------------------------

async def test_a_database_refusing_writes_is_told_truthfully_and_loses_no_slot(
        world, caplog, capsys, monkeypatch):
    admin = await set_up(world)
    slot = await slot_soon(world, admin, kind="digest", lead=600)
    monkeypatch.setattr(bot.tree.failures, "every", 0)   # show every count line
    caplog.set_level(logging.WARNING)
    world.db.refuse_writes(FULL)

    alice = world.actor(world.alice)
    replies = []
    for n in range(5):
        replies.append(await (await alice.slash("rejection log", company=f"Acme {n}")).reply())
    for reply in replies:
        assert reply.flags & EPHEMERAL
        assert "couldn't save that" in reply.content and "Nothing was stored" in reply.content
        assert "Nothing you entered was lost" not in reply.content
        assert "went wrong" not in reply.content
    assert await rejections(world) == 0
    ours = [r for r in caplog.records if r.name == "bot.tree"]
    assert [bool(r.exc_info) for r in ours] == [True, False, False, False, False]
    assert ours[-1].getMessage().endswith(f"{FULL} again (5 times in the last minute)")

    # The slot falls due while nothing can be written: not posted, not dropped.
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=30))
    outcome = (await cog(world).catch_up_all())[(world.guild_id, "digest")]
    assert outcome.status == "retrying" and FULL in outcome.detail
    assert support_posts(world) == [] and await deliveries(world) == []

    # Writes come back inside the grace window: the slot is posted once, the bot serves again.
    world.db.refuse_writes(None)
    world.clock.advance(timedelta(minutes=3))
    await cog(world).scheduler.sweep()
    await cog(world).catch_up_all()
    key = slot.strftime("%Y-%m-%dT%H:%M")
    assert await deliveries(world) == [("digest", key, "posted")]
    assert len(support_posts(world)) == 1
    logged = await (await alice.slash("rejection log", company="Globex")).reply()
    assert "Logged" in logged.content
    stored = await rejections(world)
    assert stored == 1
    await report(capsys, f"database refusing writes: 6 entries sent, 5 told 'not saved', "
                 f"{stored} stored; 1 slot due, {len(support_posts(world))} posted after "
                 f"recovery; {len(ours)} log lines, 1 traceback")


async def test_a_slot_whose_claim_is_refused_past_grace_is_skipped_with_the_reason(world):
    admin = await set_up(world)
    slot = await slot_soon(world, admin, lead=600)
    world.db.refuse_writes(FULL)
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=30))
    assert (await cog(world).catch_up_all())[(world.guild_id, "encouragement")].status \
        == "retrying"
    world.db.refuse_writes(None)
    world.clock.advance(timedelta(hours=2))
    await cog(world).scheduler.sweep()
    detail = await world.db.scalar("SELECT detail FROM deliveries WHERE status = 'skipped'")
    assert "missed by 120 minutes" in detail and FULL in detail
    status = await (await admin.slash("support status")).reply()
    assert "Skipped" in status.content and FULL in status.content
    assert support_posts(world) == []


async def test_a_slot_whose_delivery_fails_unexpectedly_is_posted_by_the_next_sweep(world):
    """Not a refusal the code knows (a dropped connection mid-claim, say): the slot is not left
    to the next start's catch-up; the sweep tries it again while it is in grace."""
    admin = await set_up(world)
    sweep_by_hand(world)
    slot = await slot_soon(world, admin, lead=600)
    nudges = cog(world).scheduler.nudges
    deliver_due, failed = nudges.deliver_due, []

    async def fails_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise RuntimeError("connection lost mid-claim")
        return await deliver_due(*args, **kwargs)

    nudges.deliver_due = fails_once
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=30))
    with pytest.raises(RuntimeError):
        await cog(world).scheduler.fire(world.guild_id, "encouragement")
    assert support_posts(world) == []
    world.clock.advance(timedelta(minutes=1))
    swept = await cog(world).scheduler.sweep()
    assert swept[(world.guild_id, "encouragement")].status == "posted"
    assert len(support_posts(world)) == 1
    await cog(world).scheduler.sweep()
    assert len(support_posts(world)) == 1


# Discord outages ---------------------------------------------------------------------------

async def test_an_outage_longer_than_the_retries_posts_once_after_recovery(world, capsys):
    admin = await set_up(world)
    sweep_by_hand(world)
    slot = await slot_soon(world, admin, kind="keep-applying", lead=600)
    outage = world.emu.fail_next("POST", POSTS, 503, times=10_000)
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=5))
    assert (await cog(world).catch_up_all())[(world.guild_id, "keep-applying")].status \
        == "retrying"
    world.clock.advance(timedelta(minutes=1))
    retried = await cog(world).scheduler.sweep()
    assert [o.status for o in retried.values()] == ["retrying"]
    status = await (await admin.slash("support status")).reply()
    assert "Retrying the keep-applying post" in status.content and "503" in status.content
    assert support_posts(world) == []

    outage.remaining = 0                          # Discord is back
    world.clock.advance(timedelta(minutes=2))
    retried = await cog(world).scheduler.sweep()
    assert [o.status for o in retried.values()] == ["posted"]
    key = slot.strftime("%Y-%m-%dT%H:%M")
    assert await deliveries(world) == [("keep-applying", key, "posted")]
    assert len(support_posts(world)) == 1
    await report(capsys, f"Discord outage: {post_requests(world)} posts sent, "
                 f"{len(support_posts(world))} stored in the channel, 1 delivered")


async def test_a_restart_inside_grace_posts_the_slot_that_kept_failing(world, capsys):
    admin = await set_up(world)
    slot = await slot_soon(world, admin, lead=600)
    outage = world.emu.fail_next("POST", POSTS, 503, times=10_000)
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=5))
    assert (await cog(world).catch_up_all())[(world.guild_id, "encouragement")].status \
        == "retrying"
    await world.stop()
    outage.remaining = 0
    world.clock.advance(timedelta(minutes=20))     # past the nonce window: checked first
    arriving = world.emu.wait_for_message(channel_id=world.support_id, timeout=10)
    await world.start()
    await arriving
    key = slot.strftime("%Y-%m-%dT%H:%M")
    for _ in range(100):
        if await deliveries(world) == [("encouragement", key, "posted")]:
            break
        await world.emu.drain()
    assert await deliveries(world) == [("encouragement", key, "posted")]
    assert len(support_posts(world)) == 1
    await report(capsys, f"outage then restart inside grace: {post_requests(world)} posts "
                 f"sent, {len(support_posts(world))} stored in the channel, 1 delivered")


async def test_a_500_after_the_message_was_created_posts_exactly_one(world, capsys):
    admin = await set_up(world)
    world.emu.fail_after_create("POST", POSTS, 500)
    reply = await (await admin.slash("support nudge-now", kind="digest")).reply(timeout=15)
    assert f"Posted a digest nudge in <#{world.support_id}>" in reply.content
    assert len(support_posts(world)) == 1
    assert post_requests(world) == 2               # discord.py's own retry, same nonce
    await report(capsys, f"500 after create (nudge-now): {post_requests(world)} posts sent, "
                 f"{len(support_posts(world))} stored in the channel, 1 delivered")


async def test_a_round_of_500s_after_create_is_retried_later_without_a_second_post(
        world, capsys):
    admin = await set_up(world)
    sweep_by_hand(world)
    slot = await slot_soon(world, admin, lead=600)
    world.emu.fail_after_create("POST", POSTS, 500, times=5)   # all of discord.py's tries
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=5))
    outcome = (await cog(world).catch_up_all())[(world.guild_id, "encouragement")]
    assert outcome.status == "retrying"
    assert len(support_posts(world)) == 1          # created, though Discord said 500
    world.clock.advance(timedelta(seconds=30))
    retried = await cog(world).scheduler.sweep()
    assert [o.status for o in retried.values()] == ["posted"]
    [message] = support_posts(world)
    assert await world.db.scalar("SELECT message_id FROM deliveries") == message.id
    await report(capsys, f"500s after create (scheduled): {post_requests(world)} posts sent, "
                 f"{len(support_posts(world))} stored in the channel, 1 delivered")


# Commands Discord still shows after an update ----------------------------------------------

def registered(world, name: str) -> dict:
    return next(c for c in world.emu.registered_commands() if c["name"] == name)


def syncs(world) -> int:
    return sum(1 for r in world.emu.requests if r.method == "PUT" and "/commands" in r.path)


async def test_stale_commands_get_a_private_changed_reply_and_one_resync(world, caplog, capsys):
    caplog.set_level(logging.INFO)
    alice = world.actor(world.alice)
    before = syncs(world)
    rejection = registered(world, "rejection")
    stale = [
        {"id": rejection["id"], "name": "rejection", "type": 1,
         "options": [{"name": "frobnicate", "type": 1, "options": []}]},
        {"id": "1", "name": "oldcommand", "type": 1, "options": []},
        # /rejection log without its required option: the option changed.
        {"id": rejection["id"], "name": "rejection", "type": 1,
         "options": [{"name": "log", "type": 1, "options": [
             {"name": "employer", "type": 3, "value": "Acme"}]}]},
    ]
    for data in stale:
        reply = await (await alice.slash_raw(data)).reply()
        assert reply.flags & EPHEMERAL
        assert "just changed" in reply.content and "try again" in reply.content
        assert "went wrong" not in reply.content
    for _ in range(50):
        if syncs(world) > before:
            break
        await world.emu.drain()
    assert syncs(world) == before + 1              # once, however many stale commands
    lines = [r for r in caplog.records if "stale command" in r.getMessage()]
    assert [r.getMessage().split(" from ")[0] for r in lines] == [
        "stale command /rejection frobnicate", "stale command /oldcommand",
        "stale command /rejection log"]
    assert not any(r.exc_info for r in caplog.records)
    assert await rejections(world) == 0
    await report(capsys, f"stale commands: {len(stale)} sent, {len(stale)} told 'just "
                 f"changed', {syncs(world) - before} re-sync, {len(lines)} log lines")


# Malformed gateway payloads ----------------------------------------------------------------

async def test_malformed_gateway_events_are_dropped_and_the_bot_keeps_serving(
        world, caplog, capsys):
    caplog.set_level(logging.WARNING)
    emu = world.emu
    member = emu.guilds[world.guild_id].members[world.alice].to_json(emu.users[world.alice])
    emu.dispatch_raw("INTERACTION_CREATE", {
        "id": str(emu._ids.next()), "application_id": str(emu.application_id), "type": 5,
        "token": "broken", "version": 1, "data": {"custom_id": "onward:reflect:1:abcd"},
        "channel_id": str(world.general_id), "guild_id": str(world.guild_id),
        "member": member, "locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": {"0": str(world.guild_id)},
    })
    guild = emu._guild_create_payload(emu.guilds[world.guild_id])
    for listed in guild.get("members", []):
        listed.pop("roles", None)
    if not guild.get("members"):
        guild["members"] = [{k: v for k, v in member.items() if k != "roles"}]
    emu.dispatch_raw("GUILD_CREATE", guild)
    await emu.drain()

    reply = await (await world.actor(world.alice).slash("rejection log",
                                                       company="Initech")).reply()
    assert "Logged" in reply.content
    assert not world.bot.is_closed()
    dropped = [r.getMessage() for r in caplog.records if "dropped a malformed" in r.getMessage()]
    assert len(dropped) == 2
    assert dropped[0].startswith("dropped a malformed INTERACTION_CREATE gateway event")
    assert dropped[1].startswith("dropped a malformed GUILD_CREATE gateway event")
    await report(capsys, f"malformed payloads: 2 dispatched, {len(dropped)} dropped and "
                 f"logged, next command answered: {'Logged' in reply.content}")


async def test_a_post_given_up_is_one_log_line_and_shown_to_the_admin(world, caplog, capsys):
    admin = await set_up(world)
    sweep_by_hand(world)
    slot = await slot_soon(world, admin, kind="digest", lead=600)
    world.emu.fail_next("POST", POSTS, 503, times=10_000)
    world.clock.advance(slot - world.clock.now() + timedelta(seconds=5))
    assert (await cog(world).catch_up_all())[(world.guild_id, "digest")].status == "retrying"
    caplog.set_level(logging.WARNING)
    caplog.clear()
    world.clock.advance(timedelta(minutes=61))      # the grace window has closed
    retried = await cog(world).scheduler.sweep()
    assert [o.status for o in retried.values()] == ["failed"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "was not posted: gave up after 4 tries over 61 minutes" \
        in errors[0] and "503" in errors[0]
    assert await cog(world).scheduler.sweep() == {}  # and it stays given up
    status = await (await admin.slash("support status")).reply()
    words = slot.strftime("%a %d %b %H:%M")
    assert f"Not posted: the digest post of {words}" in status.content
    assert "gave up after 4 tries over 61 minutes" in status.content
    assert support_posts(world) == []
    await report(capsys, f"outage past grace: {post_requests(world)} posts sent, 0 stored, "
                 f"0 delivered, {len(errors)} log line, shown in /support status")


async def test_nudge_now_in_an_outage_is_retried_and_a_refused_one_is_said_plainly(
        world, caplog, capsys):
    admin = await set_up(world)
    sweep_by_hand(world)
    outage = world.emu.fail_next("POST", POSTS, 503, times=10_000)
    reply = await (await admin.slash("support nudge-now", kind="digest")).reply(timeout=15)
    assert "isn't taking the post right now" in reply.content
    assert "posted once, not twice" in reply.content
    outage.remaining = 0
    world.clock.advance(timedelta(minutes=1))
    assert [o.status for o in (await cog(world).scheduler.sweep()).values()] == ["posted"]
    assert len(support_posts(world)) == 1

    caplog.set_level(logging.ERROR)
    world.emu.fail_next("POST", POSTS, 400, json={"code": 50035, "message": "Invalid Form Body"})
    refused = await (await admin.slash("support nudge-now", kind="encouragement")).reply()
    assert "Nothing was posted: Discord refused the post (400" in refused.content
    route = f"POST /api/v10/channels/{world.support_id}/messages answered 400 (code 50035)"
    assert [r.getMessage() for r in caplog.records if route in r.getMessage()] != []
    world.clock.advance(timedelta(minutes=5))
    assert await cog(world).scheduler.sweep() == {}   # final: not retried
    assert len(support_posts(world)) == 1
    await report(capsys, f"nudge-now in an outage, then refused: {post_requests(world)} posts "
                 f"sent, {len(support_posts(world))} stored, 1 delivered, 1 refused and said so")
