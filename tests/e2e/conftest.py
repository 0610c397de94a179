"""A running world for end-to-end tests: the loopback Discord emulator, a demo server, and the
real Onward bot on a temporary database, talking to each other over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.client import COGS, Onward
from bot.clock import FixedClock
from bot.db.connection import Database
from bot.settings import Settings
from discord_emulator.emulator import DiscordEmulator
from tests.backend import ON_POSTGRESQL, drop_database, fresh_postgresql_url

READY_TIMEOUT = 15
# Every world starts at this instant and its clock moves only when a test moves it. A Tuesday
# afternoon, far from the default group slots (Monday 09:00, Thursday 12:00, Friday 17:00 UTC)
# and from any daylight-saving switch, so nothing falls due unless a test moves the clock there.
PINNED_AT = datetime(2026, 6, 16, 14, 30, tzinfo=UTC)


@dataclass
class World:
    emu: DiscordEmulator
    db_path: Path
    clock: FixedClock
    guild_id: int
    general_id: int
    support_id: int
    alice: int
    bob: int
    carol: int
    admin: int
    cogs: tuple[str, ...] = COGS
    settings_overrides: dict = field(default_factory=dict)
    database_url: str | None = None  # None: SQLite at db_path
    bot: Onward | None = None
    _runner: asyncio.Task | None = None

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            discord_token=self.emu.token,
            database_url=self.database_url or f"sqlite:///{self.db_path}",
            discord_api_base=self.emu.api_base,
            discord_gateway_url=self.emu.gateway_url,
            **self.settings_overrides,
        )

    @property
    def db(self) -> Database:
        assert self.bot is not None
        return self.bot.database

    async def start(self) -> Onward:
        bot = Onward(self.settings(), clock=self.clock, cogs=self.cogs, guild_ready_timeout=0.05)
        self.bot = bot
        self._runner = asyncio.create_task(bot.start(self.emu.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._runner, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if self._runner in done:
                self._runner.result()  # re-raise why the bot could not start
            raise TimeoutError("the bot did not become ready")
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._runner, timeout=5)
        self.bot = None
        self._runner = None

    async def restart(self) -> Onward:
        await self.stop()
        return await self.start()

    def actor(self, user_id: int, *, dm: bool = False):
        return self.emu.actor(user_id, guild_id=None if dm else self.guild_id)


async def make_world(tmp_path: Path, **overrides) -> World:
    emu = DiscordEmulator()
    await emu.start()
    guild = emu.add_guild("Job Hunt Circle")
    general = emu.add_channel(guild.id, "general")
    support = emu.add_channel(guild.id, "support")
    world = World(
        emu=emu,
        db_path=tmp_path / "onward.db",
        clock=FixedClock(PINNED_AT),
        guild_id=guild.id,
        general_id=general,
        support_id=support,
        alice=emu.add_member(guild.id, name="alice"),
        bob=emu.add_member(guild.id, name="bob"),
        carol=emu.add_member(guild.id, name="carol"),
        admin=emu.add_member(guild.id, name="ada", manage_guild=True),
        settings_overrides=overrides,
    )
    return world


@pytest.fixture
async def world(tmp_path):
    world = await make_world(tmp_path)
    if ON_POSTGRESQL:
        world.database_url = await fresh_postgresql_url()
    await world.start()
    try:
        yield world
    finally:
        await world.stop()
        await world.emu.stop()
        if world.database_url:
            await drop_database(world.database_url)
    # Whatever the test asserted, the bot must not have sent what Discord would refuse.
    world.emu.assert_no_spec_violations()
