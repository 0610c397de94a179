"""Start-up: commands are synced only when their definitions change, and where settings say."""

from __future__ import annotations

import re

from tests.e2e.conftest import make_world

GLOBAL_SYNC = re.compile(r"^/applications/\d+/commands$")
GUILD_SYNC = re.compile(r"^/applications/\d+/guilds/(\d+)/commands$")


def syncs(world, pattern):
    return [r for r in world.emu.requests if r.method == "PUT" and pattern.match(r.path)]


async def test_commands_sync_once_then_only_when_they_change(world):
    assert len(syncs(world, GLOBAL_SYNC)) == 1
    names = {c["name"] for c in world.emu.registered_commands()}
    assert {"rejection", "reflect", "feedback", "apply", "progress", "insights", "encourage",
            "support", "settings", "privacy", "help"} <= names

    await world.restart()
    assert len(syncs(world, GLOBAL_SYNC)) == 1, "unchanged definitions must not sync again"

    # A different set of commands is a changed definition: it syncs.
    world.cogs = tuple(c for c in world.cogs if c != "cogs.help")
    await world.restart()
    assert len(syncs(world, GLOBAL_SYNC)) == 2
    assert "help" not in {c["name"] for c in world.emu.registered_commands()}


async def test_dev_guild_gets_the_commands_instantly(tmp_path):
    world = await make_world(tmp_path)
    world.settings_overrides = {"dev_guild_id": world.guild_id}
    await world.start()
    try:
        guild_syncs = syncs(world, GUILD_SYNC)
        assert [GUILD_SYNC.match(r.path).group(1) for r in guild_syncs] == [str(world.guild_id)]
        assert syncs(world, GLOBAL_SYNC) == []
        alice = world.actor(world.alice)
        reply = await (await alice.slash("rejection log", company="Acme")).reply()
        assert "Acme" in reply.content
    finally:
        await world.stop()
        await world.emu.stop()
    world.emu.assert_no_spec_violations()
