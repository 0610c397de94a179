"""/help lists every command with its description, privately."""

from __future__ import annotations

EPHEMERAL = 64


async def test_help_lists_every_command_privately(world):
    reply = await (await world.actor(world.alice).slash("help")).reply()
    assert reply.flags & EPHEMERAL
    text = "\n".join(f"{f['name']}\n{f['value']}" for f in reply.embeds[0]["fields"])
    for command in world.emu.registered_commands():
        assert f"/{command['name']}" in text
        for sub in command.get("options") or []:
            if sub["type"] == 1:
                assert f"`/{command['name']} {sub['name']}` — {sub['description']}" in text
    assert "/rejection log" in text and "/support nudge-now" in text


async def test_help_works_in_dms(world):
    reply = await (await world.actor(world.alice, dm=True).slash("help")).reply()
    assert "/reflect" in "\n".join(f["name"] for f in reply.embeds[0]["fields"])
