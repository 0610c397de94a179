"""Sharding: GET /gateway/bot recommends the emulator's shard count, each connection
identifies with `shard: [id, count]` and receives only its servers ((guild_id >> 22) % count)
and their interactions; DMs go to shard 0. Driven by a real discord.py AutoShardedClient."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

import discord
import pytest
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from discord_emulator import DiscordEmulator
from discord_emulator.gateway import GatewaySession

# Server ids whose timestamp parts put them on shard 0 and shard 1 of 2.
GUILD_ON_SHARD_0 = 1_000 << 22
GUILD_ON_SHARD_1 = (1_001 << 22) | 7


@pytest.fixture
def received(monkeypatch):
    """What each shard's connection was sent: shard id -> [(event, server id or None)]."""
    seen: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    original = GatewaySession.dispatch

    def dispatch(self, event, data):
        guild = None
        if isinstance(data, dict):
            guild = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_")
                                              else None)
        seen[self.shard[0]].append((event, int(guild) if guild else None))
        original(self, event, data)

    monkeypatch.setattr(GatewaySession, "dispatch", dispatch)
    return seen


@pytest.fixture
async def emu():
    emulator = DiscordEmulator(shard_count=2)
    await emulator.start()
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = emulator.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emulator.gateway_url)
    try:
        yield emulator
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        await emulator.stop()
    emulator.assert_no_spec_violations()


class ShardedBot(discord.AutoShardedClient):
    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.identified: list[tuple[int, int]] = []

        @self.tree.command(description="Which shard answers")
        async def where(interaction: discord.Interaction) -> None:
            place = interaction.guild.name if interaction.guild else "DM"
            await interaction.response.send_message(f"pong from {place}")

    async def on_shard_connect(self, shard_id: int) -> None:
        self.identified.append((shard_id, self.shard_count))


async def test_two_shards_each_get_their_servers_and_their_interactions(emu, received):
    first = emu.add_guild("Shard Zero", guild_id=GUILD_ON_SHARD_0)
    second = emu.add_guild("Shard One", guild_id=GUILD_ON_SHARD_1)
    assert ((first.id >> 22) % 2, (second.id >> 22) % 2) == (0, 1)
    emu.add_channel(first.id, "general")
    general = emu.add_channel(second.id, "general")
    alice = emu.add_member(first.id, name="alice")
    emu.add_member(second.id, alice, name="alice")

    bot = ShardedBot()
    runner = asyncio.create_task(bot.start(emu.token))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        await bot.tree.sync()
        # discord.py asked GET /gateway/bot and opened one connection per recommended shard.
        assert any(r.path == "/gateway/bot" for r in emu.requests)
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        assert sorted(s.shard for s in emu._sessions) == [(0, 2), (1, 2)]
        assert {g.id for g in bot.guilds} == {first.id, second.id}
        assert bot.get_guild(second.id).shard_id == 1

        # Each connection was sent its own servers, never the other shard's.
        assert ("GUILD_CREATE", first.id) in received[0]
        assert ("GUILD_CREATE", second.id) in received[1]
        assert all(guild in (None, first.id) for _, guild in received[0])
        assert all(guild == second.id for event, guild in received[1] if event != "READY")

        # Interactions go to the shard of their server; a DM's to shard 0.
        in_second = await (await emu.actor(alice, guild_id=second.id).slash("where")).reply()
        assert in_second.content == "pong from Shard One"
        in_first = await (await emu.actor(alice, guild_id=first.id).slash("where")).reply()
        assert in_first.content == "pong from Shard Zero"
        in_dm = await (await emu.actor(alice, guild_id=None).slash("where")).reply()
        assert in_dm.content == "pong from DM"
        interactions = {shard: [g for e, g in events if e == "INTERACTION_CREATE"]
                        for shard, events in received.items()}
        assert interactions == {0: [first.id, None], 1: [second.id]}

        # A message posted in the second server reaches shard 1 only.
        await bot.get_channel(general).send("hello")
        await emu.drain()
        assert ("MESSAGE_CREATE", second.id) in received[1]
        assert ("MESSAGE_CREATE", second.id) not in received[0]
        # All along, nothing of one shard's server went to the other connection.
        assert all(guild in (None, first.id) for _, guild in received[0])
        assert all(guild == second.id for event, guild in received[1] if event != "READY")
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, 5)


async def test_a_plain_client_without_shards_gets_every_server(emu, received):
    first = emu.add_guild("Shard Zero", guild_id=GUILD_ON_SHARD_0)
    second = emu.add_guild("Shard One", guild_id=GUILD_ON_SHARD_1)
    bot = discord.Client(intents=discord.Intents.default())
    runner = asyncio.create_task(bot.start(emu.token))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        assert {g.id for g in bot.guilds} == {first.id, second.id}
        assert [s.shard for s in emu._sessions] == [(0, 1)]
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, 5)
