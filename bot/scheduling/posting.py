"""Posting to a server channel with a few retries, and telling a lost channel from a hiccup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from bot.services.nudges import ChannelUnavailable, PostFailed

log = logging.getLogger(__name__)

ATTEMPTS = 4
FIRST_DELAY = 0.5     # seconds; doubles each retry


def unavailable_reason(error: discord.HTTPException, channel_id: int) -> str:
    if isinstance(error, discord.NotFound):
        return f"the support channel <#{channel_id}> no longer exists"
    return f"I no longer have permission to post in <#{channel_id}>"


async def send_with_retries(
    send: Callable[[], Awaitable[discord.Message]], *, channel_id: int,
    attempts: int = ATTEMPTS, first_delay: float = FIRST_DELAY,
) -> discord.Message:
    """discord.py already retries proper 429s and some 5xx; this also covers the rest (a 429
    without Discord's headers, 503, dropped connections). NotFound and Forbidden are not worth
    retrying: they mean the channel is gone or closed to the bot."""
    delay = first_delay
    last: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            return await send()
        except (discord.NotFound, discord.Forbidden) as error:
            raise ChannelUnavailable(unavailable_reason(error, channel_id)) from error
        except discord.HTTPException as error:
            if error.status != 429 and error.status < 500:
                raise PostFailed(f"Discord refused the post ({error.status}: {error.text})") \
                    from error
            last = error
            wait = getattr(error, "retry_after", None) or delay
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            last = error
            wait = delay
        if attempt < attempts:
            log.warning("post to channel %s failed (%s); retry %d in %.1f s",
                        channel_id, last, attempt, wait)
            await asyncio.sleep(min(wait, 30))
            delay *= 2
    raise PostFailed(f"Discord kept failing after {attempts} tries ({last})")


async def post_to_channel(
    bot: discord.Client, channel_id: int, *, guild_id: int | None = None,
    content: str | None = None, embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    allowed_mentions: discord.AllowedMentions | None = None,
) -> discord.Message:
    """Needs no cache: works at start-up before the gateway has sent the server."""
    channel = bot.get_partial_messageable(channel_id, guild_id=guild_id,
                                          type=discord.ChannelType.text)
    kwargs: dict = {"allowed_mentions": allowed_mentions or discord.AllowedMentions.none()}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    return await send_with_retries(lambda: channel.send(**kwargs), channel_id=channel_id)
