"""Two Onward processes sharing one bot (SHARD_COUNT=4: shards 0,1 here, 2,3 there), one
PostgreSQL database and one emulator, in this test's event loop with one pinned clock: each
serves its shards' servers, their commands and group nudges; personal timers are claimed by
exactly one of them and delivered once; what a dead process had claimed is taken up. SQLite
refuses to be shared by several processes."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.client import Onward
from bot.clock import FixedClock, to_db
from bot.db.connection import DatabaseUnavailable
from bot.db.repositories.outbox import OutboxRepository
from bot.services.journal import JournalService
from bot.services.personal import Payload
from bot.settings import Settings
from discord_emulator.emulator import DiscordEmulator
from tests.backend import ON_POSTGRESQL, drop_database, fresh_postgresql_url
from tests.e2e.conftest import PINNED_AT, READY_TIMEOUT, make_world
from tests.e2e.test_faults import bot_env

needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="several processes share PostgreSQL only")

SHARDS = 4
# One server per shard: (guild_id >> 22) % 4 is k.
GUILD_IDS = [((1_000 + k) << 22) | 5 for k in range(SHARDS)]


@dataclass
class Server:
    id: int
    support_id: int
    admin: int


@dataclass
class Cluster:
    emu: DiscordEmulator
    database_url: str
    clock: FixedClock
    servers: list[Server]
    bots: dict[str, Onward] = field(default_factory=dict)
    runners: list[asyncio.Task] = field(default_factory=list)

    def settings(self, shard_ids: str) -> Settings:
        return Settings(
            _env_file=None, discord_token=self.emu.token, database_url=self.database_url,
            discord_api_base=self.emu.api_base, discord_gateway_url=self.emu.gateway_url,
            shard_count=SHARDS, shard_ids=shard_ids)

    async def start(self, shard_ids: str) -> Onward:
        bot = Onward(self.settings(shard_ids), clock=self.clock, guild_ready_timeout=0.05,
                     identify_spacing=0)
        runner = asyncio.create_task(bot.start(self.emu.token))
        self.runners.append(runner)
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({runner, ready}, timeout=READY_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if runner in done:
                runner.result()
            raise TimeoutError(f"the process serving shards {shard_ids} did not become ready")
        self.bots[shard_ids] = bot
        return bot

    async def stop(self) -> None:
        for bot in self.bots.values():
            await bot.close()
        for runner in self.runners:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(runner, timeout=5)

    @property
    def low(self) -> Onward:
        return self.bots["0,1"]

    @property
    def high(self) -> Onward:
        return self.bots["2,3"]


@pytest.fixture
async def cluster():
    emu = DiscordEmulator(shard_count=SHARDS)
    await emu.start()
    servers = []
    for k, guild_id in enumerate(GUILD_IDS):
        guild = emu.add_guild(f"Circle {k}", guild_id=guild_id)
        assert (guild.id >> 22) % SHARDS == k
        servers.append(Server(guild.id, emu.add_channel(guild.id, "support"),
                              emu.add_member(guild.id, name=f"ada{k}", manage_guild=True)))
    url = await fresh_postgresql_url()
    world = Cluster(emu, url, FixedClock(PINNED_AT), servers)
    try:
        await world.start("0,1")
        await world.start("2,3")
        yield world
    finally:
        await world.stop()
        await emu.stop()
        await drop_database(url)
    emu.assert_no_spec_violations()


def nudge_guilds(bot: Onward) -> set[int]:
    return {int(job.id.split(":")[1]) for job in bot.scheduler.get_jobs()
            if job.id.startswith("nudge:")}


@needs_postgresql
async def test_each_process_serves_its_shards_commands_and_posts_their_nudges_once(cluster):
    emu = cluster.emu
    # Only the process serving shard 0 synced the slash commands.
    syncs = [r for r in emu.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1 and emu.registered_commands()
    slot = (cluster.clock.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    for server in cluster.servers:
        admin = emu.actor(server.admin, guild_id=server.id)
        reply = await (await admin.slash("support setup", channel=server.support_id,
                                         timezone="UTC")).reply()
        assert "Set up" in reply.content
        reply = await (await admin.slash("support schedule", kind="encouragement",
                                         days="daily", time=slot.strftime("%H:%M"),
                                         enabled=True)).reply()
        assert "Saved." in reply.content
    # Each server's jobs live in the process serving its shard.
    assert nudge_guilds(cluster.low) == set(GUILD_IDS[:2])
    assert nudge_guilds(cluster.high) == set(GUILD_IDS[2:])

    cluster.clock.set(slot + timedelta(seconds=30))
    low, high = await asyncio.gather(cluster.low.get_cog("Support").catch_up_all(),
                                     cluster.high.get_cog("Support").catch_up_all())
    assert {g for g, _ in low} == set(GUILD_IDS[:2])
    assert {g for g, _ in high} == set(GUILD_IDS[2:])
    posted = {g for (g, kind), outcome in {**low, **high}.items()
              if kind == "encouragement" and outcome.status == "posted"}
    assert posted == set(GUILD_IDS)
    # Caught up again by both: nothing more.
    await asyncio.gather(cluster.low.get_cog("Support").catch_up_all(),
                         cluster.high.get_cog("Support").catch_up_all())
    for server in cluster.servers:
        assert len(emu.channel_messages(server.support_id)) == 1


@needs_postgresql
async def test_fifty_prompts_due_at_once_are_delivered_once_each_split_between_processes(
        cluster):
    emu = cluster.emu
    members = [emu.add_member(GUILD_IDS[i % SHARDS], name=f"m{i}") for i in range(50)]
    journal = JournalService(cluster.low.database, cluster.clock)
    for n, member in enumerate(members):
        await journal.log_rejection(user_id=member, guild_id=GUILD_IDS[n % SHARDS],
                                    company=f"Acme {n}")
    cluster.clock.advance(timedelta(hours=24, minutes=1))
    await asyncio.gather(cluster.low.engine.catch_up(), cluster.high.engine.catch_up())

    for n, member in enumerate(members):
        [dm] = emu.dm_messages(member)
        assert f"Acme {n}" in dm.content
    db = cluster.low.database
    assert await db.scalar("SELECT COUNT(*) FROM timers WHERE status <> 'sent'") == 0
    by = {r[0]: r[1] for r in await db.fetchall(
        "SELECT claimed_by, COUNT(*) FROM outbox WHERE status = 'sent' GROUP BY claimed_by")}
    assert set(by) == {cluster.low.engine.claimer, cluster.high.engine.claimer}
    assert sum(by.values()) == 50
    # Nothing is left to either: running again sends nothing.
    await asyncio.gather(cluster.low.engine.catch_up(), cluster.high.engine.catch_up())
    assert all(len(emu.dm_messages(m)) == 1 for m in members)


@needs_postgresql
async def test_what_a_dead_process_had_claimed_is_taken_up_once_its_lease_passes(cluster):
    emu = cluster.emu
    db = cluster.low.database
    prompted = emu.add_member(GUILD_IDS[3], name="pat")
    await JournalService(db, cluster.clock).log_rejection(
        user_id=prompted, guild_id=GUILD_IDS[3], company="Tyrell")
    cluster.clock.advance(timedelta(hours=24, minutes=1))
    now = cluster.clock.now()
    # A process that no longer exists took the prompt; its lease runs another minute.
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE timers SET status = 'claimed', claimed_by = 'gone:4242:dead',"
            " lease_until = ?", (to_db(now + timedelta(minutes=1)),))
    # It also wrote a DM and may have sent it before it was killed.
    noted = emu.add_member(GUILD_IDS[0], name="noa")
    async with db.transaction() as tx:
        await OutboxRepository(db, claimer="gone:4242:dead").claim(
            tx, user_id=noted, lane="other", nonce="dm00deadbeef00deadbeef00",
            payload=Payload("A report for you.").to_json(),
            next_try_at=to_db(now + timedelta(minutes=1)),
            give_up_at=to_db(now + timedelta(hours=3)), now=to_db(now))

    await asyncio.gather(cluster.low.engine.catch_up(), cluster.high.engine.catch_up())
    assert emu.dm_messages(prompted) == [] and emu.dm_messages(noted) == []   # leases live

    cluster.clock.advance(timedelta(minutes=1))
    await asyncio.gather(cluster.low.engine.catch_up(), cluster.high.engine.catch_up())
    [prompt] = emu.dm_messages(prompted)
    assert "Tyrell" in prompt.content
    [report] = emu.dm_messages(noted)
    assert report.content == "A report for you."
    channel = emu._dm_channel_by_user[noted]
    sends = [r for r in emu.requests
             if r.method == "POST" and r.path == f"/channels/{channel}/messages"]
    assert [r.json["nonce"] for r in sends] == ["dm00deadbeef00deadbeef00"]
    live = {cluster.low.engine.claimer, cluster.high.engine.claimer}
    rows = await db.fetchall("SELECT status, claimed_by FROM outbox ORDER BY id")
    assert [r[0] for r in rows] == ["sent", "sent"] and {r[1] for r in rows} <= live
    assert await db.scalar("SELECT status FROM timers") == "sent"


async def test_sqlite_shared_by_several_processes_is_refused(tmp_path):
    world = await make_world(tmp_path, shard_count=2, shard_ids="1")
    try:
        with pytest.raises(DatabaseUnavailable, match="SQLite serves one process only"):
            await world.start()
    finally:
        await world.stop()
        await world.emu.stop()


async def test_sqlite_with_partial_shard_ids_exits_3_with_one_sentence(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path,
        env=bot_env(DISCORD_TOKEN="not-used", DATABASE_URL=f"sqlite:///{tmp_path}/o.db",
                    SHARD_COUNT="4", SHARD_IDS="0,1",
                    # Nothing listens here: the refusal must come before any Discord call.
                    DISCORD_API_BASE="http://127.0.0.1:9/api/v10"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 3, err.decode()
    lines = err.decode().strip().splitlines()
    assert lines == [
        "SQLite serves one process only, and SHARD_IDS=0,1 leaves shards of SHARD_COUNT=4 to "
        "other processes. Use PostgreSQL (DATABASE_URL=postgresql://...) to run several, or "
        "unset SHARD_IDS to serve every shard from this one."], lines
    assert out == b""


async def test_one_process_serves_every_shard_on_sqlite(tmp_path):
    world = await make_world(tmp_path, shard_count=2)
    world.emu.shard_count = 2
    # A second server on the other shard of the two.
    other_shard = 1 - (world.guild_id >> 22) % 2
    other = world.emu.add_guild("Other", guild_id=((1_000 + other_shard) << 22) | 3)
    world.emu.add_channel(other.id, "general")
    member = world.emu.add_member(other.id, name="zed")
    try:
        bot = await world.start()
        assert bot.shard_count == 2 and bot.serves(other.id) and bot.serves(world.guild_id)
        for user_id, guild_id in ((world.alice, world.guild_id), (member, other.id)):
            actor = world.emu.actor(user_id, guild_id=guild_id)
            reply = await (await actor.slash("rejection log", company="Acme")).reply()
            assert "Logged" in reply.content
    finally:
        await world.stop()
        await world.emu.stop()
