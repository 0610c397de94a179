"""`python -m bot` runs Onward; `python -m bot sandbox` tries it against the local emulator;
`python -m bot cluster --processes N` runs N of it, sharded; `python -m bot db copy FROM TO`
moves its database between SQLite and PostgreSQL; `python -m bot catalogs update|compile`
maintains the translations."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from bot import compat
from bot.db.connection import DatabaseUnavailable, StorageUnavailable

NO_TOKEN = (
    "DISCORD_TOKEN is not set: create an application at https://discord.com/developers/"
    "applications, add a bot, copy its token into .env as DISCORD_TOKEN=..., and start again "
    "(or try `python -m bot sandbox`, which needs no token)."
)


def load_settings():
    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        if any(err["loc"] == ("discord_token",) for err in exc.errors()):
            print(NO_TOKEN, file=sys.stderr)
        else:
            print(f"Invalid settings: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


SHUTDOWN_GRACE_SECONDS = 15.0
MESSAGE_COMPONENT = 3


def _is_work(task: asyncio.Task) -> bool:
    return compat.is_library_work(task) or (
        not task.done() and task.get_name() == "onward-decline")


async def _decline(interaction) -> None:
    import aiohttp
    import discord

    from bot.i18n import _, using
    from bot.tree import RESTARTING

    with using(interaction.locale):
        declined = _(RESTARTING)
    try:
        await interaction.response.send_message(declined, ephemeral=True)
    except (discord.HTTPException, RuntimeError, aiohttp.ClientError):
        # The connection may already be closing under a late arrival (discord.py lets
        # aiohttp's "Server disconnected" through as it is); nothing to do then.
        logging.getLogger("bot").info("could not decline interaction %s", interaction.id)


def decline_new_interactions(bot) -> None:
    """While in-flight work drains, answer new commands and buttons with a short
    "restarting" note instead of starting them. Commands are declined by the tree's
    interaction_check; buttons have no public hook across every view, so their payloads are
    looked at first. A modal submitted meanwhile is still taken: refusing it would lose what
    the member typed, and it is one short write."""
    bot.tree.declining = True

    def take(data: dict) -> bool:
        if data.get("type") != MESSAGE_COMPONENT:
            return False
        from bot import i18n

        interaction = compat.interaction_from(bot, data)
        with i18n.using(data.get("locale")):    # the note in the member's language
            asyncio.get_running_loop().create_task(_decline(interaction), name="onward-decline")
        return True

    compat.intercept_interactions(bot, take)


async def finish_in_flight(bot, grace: float) -> None:
    """Stop taking work, then let what is running finish (within `grace` seconds) before
    the connection and the database close under it."""
    decline_new_interactions(bot)
    if bot.scheduler.running:
        bot.scheduler.pause()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    me = asyncio.current_task()
    while (remaining := deadline - loop.time()) > 0:
        working = [t for t in asyncio.all_tasks() if t is not me and _is_work(t)]
        if not working:
            return
        await asyncio.wait(working, timeout=remaining)
    logging.getLogger("bot").warning("shutting down with work still running after %.0f s", grace)


async def run(settings, make_bot=None) -> None:
    """Run the bot until SIGTERM or SIGINT, then stop it gracefully. `make_bot(settings)`
    builds it (default: Onward with the real clock)."""
    from bot.client import Onward, refuse_unsupported

    refuse_unsupported(settings)        # before logging in: a refusal costs no Discord call
    bot = (make_bot or Onward)(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        logging.getLogger("bot").info("shutting down")
        await finish_in_flight(bot, SHUTDOWN_GRACE_SECONDS)
        await bot.close()
    stopper.cancel()
    try:
        await asyncio.gather(runner, return_exceptions=stopper in done)
    finally:
        # A start that failed (database unusable, login refused) still holds the HTTP session.
        if not bot.is_closed():
            await bot.close()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "sandbox":
        from bot.sandbox.cli import main as sandbox_main

        raise SystemExit(sandbox_main(argv[1:]))
    if argv and argv[0] == "catalogs":
        from bot.catalogs import main as catalogs_main

        raise SystemExit(catalogs_main(argv[1:]))
    if argv and argv[0] == "db":
        from bot.db.copy import cli as db_cli

        raise SystemExit(db_cli(argv[1:]))
    if argv and argv[0] == "cluster":
        from bot.cluster import cli as cluster_cli

        raise SystemExit(cluster_cli(argv[1:]))
    settings = load_settings()
    # Processes of one cluster share a log: each line says which shards wrote it.
    shard_ids = getattr(settings, "shard_ids", None)
    who = f"[shards {shard_ids.replace(' ', '')}] " if shard_ids else ""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format=f"%(asctime)s {who}%(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(run(settings))
    except DatabaseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(3) from None
    except StorageUnavailable as exc:
        # Often passing (a full disk, a lock): exit 4, which the service restarts, spaced out.
        print(f"The database refused a write while starting ({exc.reason}). Free some disk "
              "space or stop what holds the database, and Onward starts again.", file=sys.stderr)
        raise SystemExit(4) from None
    except KeyboardInterrupt:
        return  # a second Ctrl-C while stopping: leave quietly, without a traceback


if __name__ == "__main__":
    main()
