"""/support as a server's admin uses it, and as everyone else is refused."""

from __future__ import annotations

import re

EPHEMERAL = 64


def let_everyone_see(world, command: str) -> None:
    """A server may override the default permissions of a command so every member sees it;
    the bot must still refuse non-admins itself."""
    for definition in world.emu.registered_commands():
        if definition["name"] == command:
            definition["default_member_permissions"] = None


async def setup_support(world, **options):
    admin = world.actor(world.admin)
    options.setdefault("channel", world.support_id)
    return await (await admin.slash("support setup", **options)).reply()


async def test_setup_stores_the_channel_and_default_schedules(world):
    reply = await setup_support(world, timezone="Europe/Berlin")
    assert reply.flags & EPHEMERAL
    assert f"<#{world.support_id}>" in reply.content
    assert "Europe/Berlin" in reply.content
    assert "**keep-applying**: Mon at 09:00" in reply.content
    assert "**encouragement**: Thu at 12:00" in reply.content
    assert "**digest**: Fri at 17:00" in reply.content
    assert re.search(r"<t:\d+:F>", reply.content)
    row = await world.db.fetchone("SELECT support_channel_id, timezone FROM guild_config")
    assert tuple(row) == (world.support_id, "Europe/Berlin")
    kinds = {r[0]: (r[1], r[2]) for r in await world.db.fetchall(
        "SELECT kind, days, time FROM nudge_schedules")}
    assert kinds == {"keep-applying": ("mon", "09:00"), "encouragement": ("thu", "12:00"),
                     "digest": ("fri", "17:00")}


async def test_timezone_autocomplete_offers_iana_names(world):
    admin = world.actor(world.admin)
    choices = await admin.autocomplete("support setup", "timezone", "Europe/Ber",
                                       channel=world.support_id)
    assert [c["value"] for c in choices][:1] == ["Europe/Berlin"]
    assert "America/New_York" in [c["value"] for c in
                                  await admin.autocomplete("support setup", "timezone", "new_y")]


async def test_setup_refuses_an_unknown_timezone(world):
    reply = await setup_support(world, timezone="Mars/Olympus")
    assert reply.flags & EPHEMERAL
    assert "not an IANA timezone" in reply.content
    assert await world.db.scalar("SELECT COUNT(*) FROM guild_config") == 0


async def test_setup_refuses_a_channel_the_bot_cannot_post_in_and_names_the_permission(world):
    world.emu.set_bot_channel_permissions(world.support_id, allow_send=False)
    reply = await setup_support(world)
    assert reply.flags & EPHEMERAL
    assert f"I can't post in <#{world.support_id}>" in reply.content
    assert "Send Messages" in reply.content
    assert "View Channel" not in reply.content
    assert await world.db.scalar("SELECT COUNT(*) FROM guild_config") == 0
    world.emu.set_bot_channel_permissions(world.support_id, allow_send=True)
    assert "Set up" in (await setup_support(world)).content


async def test_non_admins_are_refused_by_the_bot_itself(world):
    # Hidden from them by default...
    assert all(str(c.get("default_member_permissions")) == str(1 << 5)  # Manage Server
               for c in world.emu.registered_commands() if c["name"] == "support")
    # ...and refused even where a server lets everyone see the command.
    let_everyone_see(world, "support")
    alice = world.actor(world.alice)
    for command, options in [
        ("support setup", {"channel": world.support_id}),
        ("support schedule", {"kind": "digest", "days": "daily"}),
        ("support status", {}),
        ("support nudge-now", {"kind": "encouragement"}),
    ]:
        reply = await (await alice.slash(command, **options)).reply()
        assert reply.flags & EPHEMERAL
        assert "Only the server's admins" in reply.content, command
    assert await world.db.scalar("SELECT COUNT(*) FROM guild_config") == 0
    assert world.emu.channel_messages(world.support_id) == []


async def test_support_outside_a_server_says_to_use_it_in_one(world):
    admin = world.actor(world.admin, dm=True)
    reply = await (await admin.slash("support status")).reply()
    assert reply.flags & EPHEMERAL
    assert "Use this in a server" in reply.content


async def test_status_before_setup_says_how_to_start(world):
    reply = await (await world.actor(world.admin).slash("support status")).reply()
    assert "no support channel yet" in reply.content and "/support setup" in reply.content
    assert "An admin can" not in reply.content       # they are the admin


async def test_schedule_changes_take_effect_without_a_restart(world):
    await setup_support(world, timezone="America/New_York")
    admin = world.actor(world.admin)
    reply = await (await admin.slash("support schedule", kind="digest", days="mon,wed,fri",
                                     time="8:30")).reply()
    assert reply.flags & EPHEMERAL
    assert "**digest**: Mon, Wed, Fri at 08:30" in reply.content
    next_digest = world.bot.get_cog("Support").next_runs()[(world.guild_id, "digest")]
    assert next_digest.astimezone().strftime("%M") == "30"
    assert f"<t:{int(next_digest.timestamp())}:F>" in reply.content
    assert f"<t:{int(next_digest.timestamp())}:R>" in reply.content
    off = await (await admin.slash("support schedule", kind="encouragement",
                                   enabled=False)).reply()
    assert "**encouragement**: off" in off.content
    assert (world.guild_id, "encouragement") not in world.bot.get_cog("Support").next_runs()
    row = await world.db.fetchone(
        "SELECT days, time, enabled FROM nudge_schedules WHERE kind = 'encouragement'")
    assert tuple(row) == ("thu", "12:00", 0)


async def test_schedule_refuses_bad_days_and_times(world):
    await setup_support(world)
    admin = world.actor(world.admin)
    bad_days = await (await admin.slash("support schedule", kind="digest",
                                        days="someday")).reply()
    assert "mon,wed,fri" in bad_days.content
    bad_time = await admin.slash("support schedule", kind="digest", time="5 o'clock")
    bad_time = await bad_time.reply()
    assert "HH:MM" in bad_time.content and "9am" in bad_time.content
    row = await world.db.fetchone("SELECT days, time FROM nudge_schedules WHERE kind = 'digest'")
    assert tuple(row) == ("fri", "17:00")
    # 9am, 9:30 pm and 21:00 are all times of day.
    for typed, stored in [("9am", "09:00"), ("9:30 pm", "21:30"), ("21:00", "21:00")]:
        await (await admin.slash("support schedule", kind="digest", time=typed)).reply()
        row = await world.db.fetchone("SELECT time FROM nudge_schedules WHERE kind = 'digest'")
        assert row["time"] == stored


async def test_status_shows_config_and_each_next_run_as_discord_timestamps(world):
    await setup_support(world, timezone="Asia/Tokyo")
    reply = await (await world.actor(world.admin).slash("support status")).reply()
    assert reply.flags & EPHEMERAL
    assert f"<#{world.support_id}>" in reply.content and "Asia/Tokyo" in reply.content
    runs = world.bot.get_cog("Support").next_runs()
    for kind in ("encouragement", "keep-applying", "digest"):
        at = runs[(world.guild_id, kind)]
        assert f"**{kind}**" in reply.content
        assert f"<t:{int(at.timestamp())}:F> (<t:{int(at.timestamp())}:R>)" in reply.content
    assert "paused" not in reply.content


async def test_nudge_now_posts_an_embed_without_using_a_slot(world):
    await setup_support(world)
    admin = world.actor(world.admin)
    for kind, title, article in [("encouragement", "A note for the group", "an"),
                                 ("keep-applying", "Keep applying", "a"),
                                 ("digest", "The group's week", "a")]:
        reply = await (await admin.slash("support nudge-now", kind=kind)).reply()
        assert reply.flags & EPHEMERAL
        assert f"Posted {article} {kind} nudge in <#{world.support_id}>" in reply.content
        post = world.emu.channel_messages(world.support_id)[-1]
        assert post.embeds[0]["title"] == title
        assert post.allowed_mentions == {"parse": []}
        assert post.mentioned_user_ids == []
    assert len(world.emu.channel_messages(world.support_id)) == 3
    # Each is claimed in a row of its own, so it is retried like a slot; none uses a slot.
    slots = [r[0] for r in await world.db.fetchall("SELECT slot FROM deliveries")]
    assert len(slots) == 3 and all(slot.startswith("now:") for slot in slots)


async def test_setup_again_moves_the_channel(world):
    await setup_support(world)
    reply = await setup_support(world, channel=world.general_id)
    assert "Updated" in reply.content and f"<#{world.general_id}>" in reply.content
    await (await world.actor(world.admin).slash("support nudge-now", kind="digest")).reply()
    assert len(world.emu.channel_messages(world.general_id)) == 1
    assert world.emu.channel_messages(world.support_id) == []
