"""Every use of a private attribute or internal name of discord.py or APScheduler,
and nothing else. Each is pinned by tests/test_compat.py to the installed versions, so an
upgrade that moves one fails there, loudly, instead of somewhere in production."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, cast

import discord
import yarl

if TYPE_CHECKING:
    from discord.types.interactions import Interaction as InteractionPayload

log = logging.getLogger(__name__)

# The versions these were checked against (tests/test_compat.py compares).
DISCORD_PY = "2.7"


# discord.py: where it connects --------------------------------------------------------------

def point_at(api_base: str, gateway_url: str) -> None:
    """discord.py keeps its endpoints in class attributes; aim them where settings say."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


# discord.py: gateway events ---------------------------------------------------------------

def _parsers(client: discord.Client) -> dict[str, Callable[[Any], None]]:
    # ConnectionState.parsers: event name -> parse_* method; the websocket looks events up in
    # this very dict, so replacing an entry takes effect at once, connected or not.
    return client._connection.parsers


def guard_gateway_parsers(client: discord.Client) -> None:
    """An exception while parsing a gateway event (a payload missing a field discord.py
    expects) is logged with the event's name and the event dropped, instead of ending the
    connection loop and with it the process. Idempotent."""
    parsers = _parsers(client)
    for event, parse in list(parsers.items()):
        if getattr(parse, "__onward_guarded__", False):
            continue
        parsers[event] = _guarded(event, parse)


def _guarded(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop the others
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            log.error("dropped a malformed %s gateway event (%s: %s; fields %s)",
                      event, type(exc).__name__, exc, keys)

    # A marker attribute on a function, which mypy does not model.
    guarded.__onward_guarded__ = True  # type: ignore[attr-defined]
    return guarded


def intercept_interactions(client: discord.Client, take: Callable[[dict], bool]) -> None:
    """Before discord.py handles an INTERACTION_CREATE, `take(data)` may claim it (return
    True) and answer it itself. For what has no public hook: button clicks while stopping."""
    parsers = _parsers(client)
    handle = parsers["INTERACTION_CREATE"]

    def parse(data: dict) -> None:
        if not take(data):
            handle(data)

    parsers["INTERACTION_CREATE"] = _guarded("INTERACTION_CREATE", parse)


def localize_interactions(
    client: discord.Client, begin: Callable[[dict], AbstractContextManager[Any]]
) -> None:
    """Each INTERACTION_CREATE is handled inside `begin(data)`: discord.py starts the task of a
    command, autocomplete, button, select or modal while parsing it, and a task copies the
    context it starts in, so a context variable set there holds for every handler."""
    parsers = _parsers(client)
    handle = parsers["INTERACTION_CREATE"]

    def parse(data: dict) -> None:
        with begin(data):
            handle(data)

    parsers["INTERACTION_CREATE"] = _guarded("INTERACTION_CREATE", parse)


def interaction_from(client: discord.Client, data: dict) -> discord.Interaction:
    """An Interaction object for a raw payload, to answer it outside discord.py's dispatch."""
    # A raw payload, as discord.py's own parser receives it.
    return discord.Interaction(data=cast("InteractionPayload", data), state=client._connection)


# Tasks that are one piece of work -----------------------------------------------------------

# Names discord.py gives the task of one slash command, button or modal, or event listener.
_WORK_TASK_PREFIXES = ("CommandTree-invoker", "discord-ui-", "discord.py: ")
# APScheduler's coroutine wrapper around one run of a job.
_JOB_RUNNER = "run_coroutine_job"


def is_library_work(task: asyncio.Task) -> bool:
    """Whether a task is discord.py or APScheduler doing one piece of work (rather than a
    long-lived loop), judged by the names those libraries give such tasks."""
    if task.done():
        return False
    if task.get_name().startswith(_WORK_TASK_PREFIXES):
        return True
    return getattr(task.get_coro(), "__qualname__", "") == _JOB_RUNNER
