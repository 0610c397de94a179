"""/help lists the commands in the order of a member's journey, privately; the admin section
only for admins."""

from __future__ import annotations

EPHEMERAL = 64
JOURNEY = ["/rejection", "/reflect", "/feedback", "/apply", "/progress", "/insights",
           "/encourage", "/settings", "/privacy", "/help"]


def help_text(reply) -> str:
    return "\n".join(f"{f['name']}\n{f['value']}" for f in reply.embeds[0]["fields"])


async def test_help_lists_every_command_privately_for_an_admin(world):
    reply = await (await world.actor(world.admin).slash("help")).reply()
    assert reply.flags & EPHEMERAL
    text = help_text(reply)
    for command in world.emu.registered_commands():
        assert f"/{command['name']}" in text
        for sub in command.get("options") or []:
            if sub["type"] == 1:
                assert f"`/{command['name']} {sub['name']}` — {sub['description']}" in text
    assert "/rejection log" in text and "/support nudge-now" in text
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    assert names[-1] == "/support (admins)"


async def test_help_follows_the_journey_and_hides_admin_commands_from_members(world):
    reply = await (await world.actor(world.alice).slash("help")).reply()
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    assert [n for n in names if n in JOURNEY] == JOURNEY
    assert names[0] == "/rejection"
    assert "/support" not in help_text(reply)


async def test_help_works_in_dms(world):
    reply = await (await world.actor(world.alice, dm=True).slash("help")).reply()
    names = "\n".join(f["name"] for f in reply.embeds[0]["fields"])
    assert "/reflect" in names and "/support" not in names
