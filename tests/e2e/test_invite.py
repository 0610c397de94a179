"""At start the bot logs the link that invites it to a server, asking for exactly the
permissions it needs and the scopes its slash commands need."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

import discord

from tests.e2e.conftest import make_world

NEEDED = discord.Permissions(view_channel=True, send_messages=True, embed_links=True,
                             attach_files=True, read_message_history=True)


async def test_the_invite_url_is_logged_on_ready_with_exactly_the_needed_permissions(
        tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.client")
    world = await make_world(tmp_path)
    await world.start()
    try:
        await world.emu.request_reconnect()          # a resumed connection: not logged again
        await world.emu.wait_for_connection()
    finally:
        await world.stop()
        await world.emu.stop()
    world.emu.assert_no_spec_violations()

    logged = [r.getMessage() for r in caplog.records if "invite Onward" in r.getMessage()]
    assert len(logged) == 1
    [url] = re.findall(r"https://\S+", logged[0])
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("discord.com", "/oauth2/authorize")
    query = parse_qs(parts.query)
    assert query["client_id"] == [str(world.emu.application_id)]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == ["117760"]
    assert discord.Permissions(int(query["permissions"][0])) == NEEDED
    assert NEEDED.value == 117760
