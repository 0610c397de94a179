"""Two Onward processes of two shards each (`python -m bot cluster`'s supervisor) against one
PostgreSQL database and the emulator: every server's group post goes out once, every member's
DM prompt once, even when one process is SIGKILLed holding claimed work and started again.

The processes are the real bot (tests/e2e/cluster_child.py); their clock is a file this test
writes, so bot time moves only when the test moves it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import to_db
from bot.cluster import Supervisor
from bot.db.backends import open_database
from discord_emulator.emulator import DiscordEmulator
from tests.backend import ON_POSTGRESQL, drop_database, fresh_postgresql_url
from tests.e2e.cluster_child import read_events, write_clock
from tests.e2e.conftest import PINNED_AT

pytestmark = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="several processes share one database only on PostgreSQL "
           "(set ONWARD_TEST_DATABASE_URL; tests/run.sh does)")

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 4
SERVERS = 8                 # two on each shard
DISCORD_EPOCH_MS = 1420070400000
SLOT = PINNED_AT + timedelta(days=1, minutes=5)          # Wednesday 14:35 UTC
PROMPTS_DUE = PINNED_AT + timedelta(days=1)              # 24 h after logging (the default)


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % SHARDS


async def until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Servers:
    """The emulator's servers: ids chosen so that server k is on shard k % 4."""

    def __init__(self, emu: DiscordEmulator) -> None:
        base = int(time.time() * 1000) - DISCORD_EPOCH_MS - 10 * 60 * 1000
        base -= base % SHARDS
        self.ids, self.support, self.member = [], {}, {}
        for k in range(SERVERS):
            guild = emu.add_guild(f"circle-{k}", guild_id=(base + k) << 22)
            emu.add_channel(guild.id, "general")
            self.support[guild.id] = emu.add_channel(guild.id, "support")
            self.member[guild.id] = emu.add_member(guild.id, name=f"member-{k}")
            self.ids.append(guild.id)
        assert [shard_of(g) for g in self.ids] == [k % SHARDS for k in range(SERVERS)]


async def seed_schedules(url: str, servers: Servers) -> None:
    """Each server set up (its support channel, UTC) with one weekly encouragement, Wednesday
    14:35, edited the day before."""
    db = await open_database(url)
    edited = to_db(PINNED_AT - timedelta(hours=1))
    try:
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO guild_config (guild_id, support_channel_id, timezone, created_at,"
                " updated_at) VALUES (?, ?, 'UTC', ?, ?)",
                [(g, servers.support[g], edited, edited) for g in servers.ids])
            await tx.executemany(
                "INSERT INTO nudge_schedules (guild_id, kind, days, time, enabled, updated_at)"
                " VALUES (?, 'encouragement', 'wed', ?, 1, ?)",
                [(g, SLOT.strftime("%H:%M"), edited) for g in servers.ids])
    finally:
        await db.close()


async def fetch(url: str, sql: str, params=()) -> list:
    db = await open_database(url, pool_size=1)
    try:
        return [tuple(r) for r in await db.fetchall(sql, params)]
    finally:
        await db.close()


class Cluster:
    def __init__(self, emu: DiscordEmulator, url: str, folder: Path) -> None:
        self.emu, self.url = emu, url
        self.clock_file, self.events = folder / "clock", folder / "events"
        write_clock(self.clock_file, PINNED_AT)
        env = dict(os.environ, DISCORD_TOKEN=emu.token, DATABASE_URL=url,
                   DISCORD_API_BASE=emu.api_base, DISCORD_GATEWAY_URL=emu.gateway_url,
                   ONWARD_TEST_CLOCK_FILE=str(self.clock_file),
                   ONWARD_TEST_EVENTS=str(self.events))
        self.supervisor = Supervisor(
            processes=2, shard_count=SHARDS, env=env, cwd=str(ROOT), backoff=(0.2,),
            command=[sys.executable, "-m", "tests.e2e.cluster_child"])
        self.running: asyncio.Task | None = None

    def start(self) -> None:
        self.running = asyncio.create_task(self.supervisor.run(handle_signals=False))

    async def stop(self) -> int:
        self.supervisor.stop()
        assert self.running is not None
        return await asyncio.wait_for(self.running, 40)


@pytest.fixture
async def cluster(tmp_path):
    emu = DiscordEmulator(shard_count=SHARDS)
    await emu.start()
    url = await fresh_postgresql_url()
    made = Cluster(emu, url, tmp_path)
    try:
        yield made
    finally:
        if made.running is not None and not made.running.done():
            await made.stop()
        await emu.stop()
        await drop_database(url)
    emu.assert_no_spec_violations()


def events_of(events: Path, name: str, pid: int | None = None) -> list[dict]:
    return [e for e in read_events(events)
            if e["event"] == name and (pid is None or e["pid"] == pid)]


async def move_clock(clock_file: Path, events: Path, at, pids: list[int]) -> None:
    """Move the bot clock and wait until every process has run its catch-up at that time."""
    write_clock(clock_file, at)
    stamp = to_db(at)
    await until(lambda: all(any(e["at"] == stamp for e in events_of(events, "caught_up", pid))
                            for pid in pids), f"every process to catch up at {stamp}")


async def test_two_processes_two_shards_each_post_once_and_survive_a_kill(cluster):
    emu, url, supervisor = cluster.emu, cluster.url, cluster.supervisor
    clock_file, events = cluster.clock_file, cluster.events
    servers = Servers(emu)
    await seed_schedules(url, servers)
    cluster.start()

    # Each process serves its shards' servers: 0,1 and 2,3.
    await until(lambda: len(events_of(events, "ready")) == 2, "both processes ready")
    ready = {e["pid"]: e for e in events_of(events, "ready")}
    first, second = (child.pid for child in supervisor.children)
    assert ready[first]["shards"] == [0, 1] and ready[second]["shards"] == [2, 3]
    assert ready[first]["guilds"] == sorted(g for g in servers.ids if shard_of(g) in (0, 1))
    assert ready[second]["guilds"] == sorted(g for g in servers.ids if shard_of(g) in (2, 3))

    # A member of every server logs a rejection there (answered by that server's process);
    # each entry's DM prompt falls due 24 hours later.
    for k, guild_id in enumerate(servers.ids):
        actor = emu.actor(servers.member[guild_id], guild_id, timeout=15)
        reply = await (await actor.slash("rejection log", company=f"Company {k}")).reply()
        assert reply.content.startswith("Logged"), reply.content
    assert len(await fetch(url, "SELECT id FROM timers WHERE status = 'pending'")) == SERVERS

    # A server's post on each process, and the first member's DM, reach Discord but the bot
    # hears a 500, so they stay claimed while it tries again. The process holding the DMs is
    # killed then; the other one's post goes through once Discord answers normally again.
    held_posts = [servers.support[servers.ids[0]], servers.support[servers.ids[2]]]
    held_member = servers.member[servers.ids[0]]
    held_dm = emu.store.dm_channel(held_member).id
    rules = [emu.fail_after_create("POST", rf"^/channels/{channel}/messages$", 500, times=1000)
             for channel in (*held_posts, held_dm)]

    def answered_500(channel_id: int) -> bool:
        return any(r.status == 500 and r.path == f"/channels/{channel_id}/messages"
                   for r in emu.requests)

    write_clock(clock_file, SLOT + timedelta(minutes=1))   # the slot and the prompts are due
    await until(lambda: all(answered_500(c) for c in (*held_posts, held_dm)),
                "the held posts and DM to be tried", 20)
    claimed = await fetch(url, "SELECT claimed_by FROM outbox WHERE user_id = ?"
                          " AND status = 'claimed'", (held_member,))
    assert len(claimed) == 1, claimed
    pid = int(claimed[0][0].split(":")[1])          # host:pid:random
    victim = next(c for c in supervisor.children if c.pid == pid)
    survivor = supervisor.children[1 - victim.index]
    sending = await fetch(url, "SELECT guild_id FROM deliveries WHERE status = 'sending'")
    assert sorted(sending) == sorted((servers.ids[k],) for k in (0, 2)), "posts held claimed"
    os.kill(pid, signal.SIGKILL)
    for rule in rules:
        rule.remaining = 0          # Discord answers normally again

    restarted = await supervisor.wait_started(victim.index, 2)
    assert victim.exits == [-signal.SIGKILL] and survivor.starts == 1
    await until(lambda: events_of(events, "ready", restarted.pid), "the restarted process ready")
    assert events_of(events, "ready", restarted.pid)[0]["shards"] == list(victim.shard_ids)

    # Past the killed process's leases: whatever it held is taken up again.
    await move_clock(clock_file, events, SLOT + timedelta(minutes=7),
                     [restarted.pid, survivor.pid])

    def all_delivered() -> bool:
        return (all(emu.channel_messages(servers.support[g]) for g in servers.ids)
                and all(emu.dm_messages(servers.member[g]) for g in servers.ids))

    await until(all_delivered, "every post and every DM")
    await asyncio.sleep(1.0)        # room for a second copy to show up, if one were coming

    for k, guild_id in enumerate(servers.ids):
        posts = emu.channel_messages(servers.support[guild_id])
        assert len(posts) == 1, (k, [p.content for p in posts])
        assert posts[0].embeds, "the encouragement is an embed"
        dms = emu.dm_messages(servers.member[guild_id])
        assert len(dms) == 1, (k, [m.content for m in dms])
        assert f"Company {k}" in dms[0].content
    delivered = await fetch(url, "SELECT guild_id, status FROM deliveries ORDER BY guild_id")
    assert delivered == [(g, "posted") for g in sorted(servers.ids)]
    assert await fetch(url, "SELECT status, COUNT(*) FROM timers GROUP BY status") == \
        [("sent", SERVERS)]

    assert await cluster.stop() == 0
    assert all(c.proc.returncode == 0 for c in supervisor.children)
    assert {e["pid"] for e in events_of(events, "stopped")} == {restarted.pid, survivor.pid}
