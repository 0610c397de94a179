"""bot/compat.py leans on private parts of discord.py and APScheduler. These tests pin
them to the installed versions: after an upgrade, whatever moved fails here by name. Check the
new version's source for each failure, adjust bot/compat.py, then the pins."""

from __future__ import annotations

import asyncio
import inspect
import logging

import apscheduler
import discord
import yarl
from apscheduler.executors import base as executors_base
from discord.app_commands import CommandTree

from bot import compat, i18n


def test_versions_are_the_ones_compat_was_checked_against():
    assert discord.__version__.startswith(compat.DISCORD_PY + "."), (
        f"discord.py {discord.__version__}: re-check every function in bot/compat.py")
    assert apscheduler.__version__.startswith("3."), "APScheduler's job runner name moved"


def test_endpoints_live_in_class_attributes():
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        compat.point_at("http://127.0.0.1:1/api/v10/", "ws://127.0.0.1:1/")
        assert discord.http.Route.BASE == "http://127.0.0.1:1/api/v10"
        assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:1/")
        assert discord.http.Route("GET", "/users/@me").url.startswith("http://127.0.0.1:1/")
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def test_the_websocket_reads_events_from_the_state_parsers_dict():
    # The guard replaces entries of that very dict, so the websocket must look events up there.
    source = inspect.getsource(discord.gateway.DiscordWebSocket.from_client)
    assert "ws._discord_parsers = client._connection.parsers" in source
    assert "self._discord_parsers[event]" in inspect.getsource(
        discord.gateway.DiscordWebSocket.received_message)


async def test_malformed_events_are_logged_and_dropped(caplog):
    client = discord.Client(intents=discord.Intents.none())
    try:
        parsers = compat._parsers(client)
        assert {"INTERACTION_CREATE", "GUILD_CREATE", "READY"} <= set(parsers)
        compat.guard_gateway_parsers(client)
        compat.guard_gateway_parsers(client)       # idempotent
        caplog.set_level(logging.ERROR, "bot.compat")
        parsers["INTERACTION_CREATE"]({"type": 5, "id": "1", "application_id": "2",
                                       "token": "t", "version": 1, "data": {"custom_id": "x"}})
        [record] = [r for r in caplog.records if r.name == "bot.compat"]
        assert record.getMessage().startswith(
            "dropped a malformed INTERACTION_CREATE gateway event (KeyError")
        assert all(getattr(p, "__onward_guarded__", False) for p in parsers.values())
    finally:
        await client.close()


async def test_interactions_can_be_intercepted_and_built_from_raw_payloads():
    client = discord.Client(intents=discord.Intents.none())
    taken = []
    try:
        compat.intercept_interactions(client, lambda data: taken.append(data) or True)
        payload = {"type": 3, "id": "10", "application_id": "2", "token": "t", "version": 1,
                   "data": {"custom_id": "x", "component_type": 2}, "channel_id": "5",
                   "attachment_size_limit": 1024,
                   "user": {"id": "7", "username": "u", "discriminator": "0",
                            "avatar": None}}
        compat._parsers(client)["INTERACTION_CREATE"](payload)
        assert taken == [payload]
        interaction = compat.interaction_from(client, payload)
        assert interaction.id == 10 and interaction.user.id == 7
    finally:
        await client.close()


def test_work_task_names_are_the_ones_the_libraries_give():
    assert "name='CommandTree-invoker'" in inspect.getsource(CommandTree._from_interaction)
    view_source = inspect.getsource(discord.ui.view)
    assert "name=f'discord-ui-view-dispatch-" in view_source
    assert "name=f'discord-ui-modal-dispatch-" in inspect.getsource(discord.ui.modal)
    assert "name=f'discord.py: {event_name}'" in inspect.getsource(
        discord.Client._schedule_event)
    assert inspect.iscoroutinefunction(executors_base.run_coroutine_job)
    assert executors_base.run_coroutine_job.__qualname__ == compat._JOB_RUNNER


async def test_library_work_is_told_from_long_lived_loops():
    async def work():
        await asyncio.sleep(0.05)

    named = asyncio.create_task(work(), name="CommandTree-invoker")
    job = asyncio.create_task(executors_base.run_coroutine_job(None, "default", [], "x"))
    loop = asyncio.create_task(work(), name="keep-alive")
    try:
        assert compat.is_library_work(named) and compat.is_library_work(job)
        assert not compat.is_library_work(loop)
    finally:
        for task in (named, job, loop):
            task.cancel()
        await asyncio.gather(named, job, loop, return_exceptions=True)


async def test_an_interactions_handlers_run_in_the_context_set_where_it_is_parsed():
    client = discord.Client(intents=discord.Intents.none())
    seen: list[str] = []
    tasks = []

    async def handler() -> None:
        seen.append(i18n.current())

    # As discord.py's parser does: the handler's task is started while parsing.
    compat._parsers(client)["INTERACTION_CREATE"] = lambda data: tasks.append(
        asyncio.get_running_loop().create_task(handler()))
    try:
        compat.localize_interactions(client, lambda data: i18n.using(data.get("locale")))
        compat._parsers(client)["INTERACTION_CREATE"]({"locale": "de"})
        assert i18n.current() == "en"           # reset once parsed
        await asyncio.gather(*tasks)
        assert seen == ["de"]
    finally:
        await client.close()
