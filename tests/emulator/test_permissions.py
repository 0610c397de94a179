"""Discord's permission model in the emulator: the @everyone role, the bot's managed role,
channel overwrites applied in Discord's order, and the checks on sending that depend on them
(403, code 50013 "Missing Permissions"), seen through the real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
import io

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from discord_emulator import DiscordEmulator
from discord_emulator.state import (
    ADMINISTRATOR,
    ATTACH_FILES,
    EMBED_LINKS,
    EVERYONE_PERMISSIONS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)


@pytest.fixture
async def emu():
    emulator = DiscordEmulator()
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


@pytest.fixture
def server(emu):
    guild = emu.add_guild("Demo")
    return guild, emu.add_channel(guild.id, "support"), emu.add_member(guild.id, name="alice")


@pytest.fixture
async def client(emu, server):
    bot = discord.Client(intents=discord.Intents.default())
    runner = asyncio.create_task(bot.start(emu.token))
    await asyncio.wait_for(bot.wait_until_ready(), 5)
    try:
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, 5)


async def settled(emu):
    await emu.drain()
    await asyncio.sleep(0.05)


# The model ---------------------------------------------------------------------------------

def test_a_new_server_has_everyone_with_discords_defaults_and_the_bots_managed_role(emu, server):
    guild, channel, alice = server
    everyone = guild.roles[guild.id]
    assert everyone.name == "@everyone" and everyone.permissions == EVERYONE_PERMISSIONS
    for granted in (VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY):
        assert everyone.permissions & granted
    for withheld in (ADMINISTRATOR, MANAGE_GUILD, MANAGE_MESSAGES, MENTION_EVERYONE):
        assert not everyone.permissions & withheld
    bot_role = guild.roles[guild.bot_role_id]
    assert bot_role.managed and bot_role.to_json()["tags"] == {"bot_id": str(emu.bot_user_id)}
    assert guild.members[emu.bot_user_id].role_ids == [bot_role.id]
    assert emu.permissions_in(channel, alice) == EVERYONE_PERMISSIONS


def test_overwrites_apply_in_discords_order(emu, server):
    guild, channel, alice = server
    helpers = emu.add_role(guild.id, "Helpers", members=(alice,))
    quiet = emu.add_role(guild.id, "Quiet", members=(alice,))
    # @everyone denied, then a role allows: the role wins.
    emu.set_channel_overwrite(channel, guild.id, deny=SEND_MESSAGES)
    assert not emu.permissions_in(channel, emu.add_member(guild.id, name="bob")) & SEND_MESSAGES
    emu.set_channel_overwrite(channel, helpers, allow=SEND_MESSAGES)
    assert emu.permissions_in(channel, alice) & SEND_MESSAGES
    # One role denies, another allows: the roles' allows come after all their denies.
    emu.set_channel_overwrite(channel, quiet, deny=SEND_MESSAGES)
    assert emu.permissions_in(channel, alice) & SEND_MESSAGES
    # The member's own overwrite comes last.
    emu.set_channel_overwrite(channel, alice, deny=SEND_MESSAGES)
    assert not emu.permissions_in(channel, alice) & SEND_MESSAGES
    emu.set_channel_overwrite(channel, alice, allow=0, deny=0)          # removed
    assert emu.permissions_in(channel, alice) & SEND_MESSAGES
    # A role's server-wide permission, denied by the channel's @everyone overwrite.
    emu.set_role_permissions(guild.id, helpers, MENTION_EVERYONE)
    assert emu.permissions_in(channel, alice) & MENTION_EVERYONE
    emu.set_channel_overwrite(channel, guild.id, deny=SEND_MESSAGES | MENTION_EVERYONE)
    assert not emu.permissions_in(channel, alice) & MENTION_EVERYONE


def test_administrators_and_the_owner_pass_every_overwrite(emu, server):
    guild, channel, _ = server
    admin = emu.add_member(guild.id, name="ada", admin=True)
    emu.set_channel_overwrite(channel, guild.id, deny=VIEW_CHANNEL | SEND_MESSAGES)
    emu.set_channel_overwrite(channel, admin, deny=VIEW_CHANNEL)
    assert emu.permissions_in(channel, admin) & SEND_MESSAGES
    assert emu.permissions_in(channel, guild.owner_id) & SEND_MESSAGES


def test_without_send_messages_embeds_and_files_go_too_and_without_view_everything(emu, server):
    guild, channel, alice = server
    emu.set_channel_overwrite(channel, alice, deny=SEND_MESSAGES)
    perms = emu.permissions_in(channel, alice)
    assert perms & VIEW_CHANNEL and perms & READ_MESSAGE_HISTORY
    assert not perms & (SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES)
    emu.set_channel_overwrite(channel, alice, deny=VIEW_CHANNEL)
    assert emu.permissions_in(channel, alice) == 0


# What the bot may send ---------------------------------------------------------------------

async def test_sending_needs_send_messages_embeds_need_embed_links_files_attach_files(
        emu, server, client):
    guild, channel_id, _ = server
    channel = client.get_channel(channel_id)
    await channel.send("hello", embed=discord.Embed(description="a chart"),
                       file=discord.File(io.BytesIO(b"png"), "chart.png"))

    # Embed Links taken from the bot's managed role in this channel.
    emu.set_channel_overwrite(channel_id, guild.bot_role_id, deny=EMBED_LINKS)
    await settled(emu)
    assert not channel.permissions_for(channel.guild.me).embed_links      # discord.py agrees
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send(embed=discord.Embed(description="a chart"))
    assert (refused.value.status, refused.value.code) == (403, 50013)
    assert refused.value.text == "Missing Permissions"
    await channel.send("text still goes")

    # Attach Files taken server-wide from @everyone and the bot's role.
    emu.set_channel_overwrite(channel_id, guild.bot_role_id, allow=0, deny=0)
    emu.set_role_permissions(guild.id, guild.id, EVERYONE_PERMISSIONS & ~ATTACH_FILES)
    emu.set_role_permissions(guild.id, guild.bot_role_id, VIEW_CHANNEL | SEND_MESSAGES)
    await settled(emu)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send(file=discord.File(io.BytesIO(b"png"), "chart.png"))
    assert refused.value.code == 50013
    await channel.send(embed=discord.Embed(description="embeds still go"))

    # Send Messages denied to @everyone in the channel; the bot's role allows it back.
    emu.set_channel_overwrite(channel_id, guild.id, deny=SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("nobody may talk here")
    assert refused.value.code == 50013
    emu.set_channel_overwrite(channel_id, guild.bot_role_id, allow=SEND_MESSAGES)
    await channel.send("but the bot may")

    # A channel the bot cannot see: Discord answers Missing Access.
    emu.set_channel_overwrite(channel_id, emu.bot_user_id, deny=VIEW_CHANNEL)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("unseen")
    assert refused.value.code == 50001
    assert [m.content for m in emu.channel_messages(channel_id)] == [
        "hello", "text still goes", "", "but the bot may"]


async def test_the_send_permission_helper_still_works(emu, server, client):
    _, channel_id, _ = server
    channel = client.get_channel(channel_id)
    emu.set_bot_channel_permissions(channel_id, allow_send=False)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("hello")
    assert refused.value.code == 50013
    emu.set_bot_channel_permissions(channel_id, allow_send=True)
    await channel.send("hello")
    assert [m.content for m in emu.channel_messages(channel_id)] == ["hello"]
