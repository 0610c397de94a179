"""Posting to a server channel with a few retries, and telling a lost channel from a hiccup."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from bot.i18n import _
from bot.services.nudges import ChannelUnavailable, PostFailed

log = logging.getLogger(__name__)

ATTEMPTS = 4
FIRST_DELAY = 0.5     # seconds; doubles each retry
# discord.py itself retries these statuses several times (about 16 s) before raising.
RETRIED_BY_DISCORD_PY = {500, 502, 504, 524}


def unavailable_reason(error: discord.HTTPException, channel_id: int) -> str:
    """Why group posts are paused, as admins read it (kept with the server's settings)."""
    if isinstance(error, discord.NotFound):
        # Translators: why group posts are paused; {channel} is a channel mention.
        return _("the support channel {channel} no longer exists").format(
            channel=f"<#{channel_id}>")
    # Translators: why group posts are paused; {channel} is a channel mention.
    return _("I no longer have permission to post in {channel}").format(
        channel=f"<#{channel_id}>")


def route_of(error: discord.HTTPException) -> str:
    response = getattr(error, "response", None)
    method = getattr(response, "method", "?")
    url = getattr(response, "url", None)
    return f"{method} {getattr(url, 'path', url)}"


async def send_with_retries(
    send: Callable[[], Awaitable[discord.Message]], *, channel_id: int,
    attempts: int = ATTEMPTS, first_delay: float = FIRST_DELAY,
) -> discord.Message:
    """One round of tries at a channel post, errors told apart:
    - NotFound and Forbidden: the channel is gone or closed to the bot (ChannelUnavailable);
    - 429, 5xx, timeouts, dropped connections: retried a few times here, then PostFailed
      (retryable) for the caller to try again later; `maybe_posted` says whether Discord may
      have created the message anyway (pass a nonce to `send` so a retry can't post twice);
    - any other refusal (a 4xx): PostFailed, not retryable, logged once with its route."""
    delay = first_delay
    last: BaseException | None = None
    maybe_posted = False
    tries = 0
    for attempt in range(1, attempts + 1):
        tries = attempt
        try:
            return await send()
        except (discord.NotFound, discord.Forbidden) as error:
            raise ChannelUnavailable(unavailable_reason(error, channel_id)) from error
        except discord.HTTPException as error:
            if error.status != 429 and error.status < 500:
                log.error("Discord refused a post to channel %s: %s answered %s (code %s): %s",
                          channel_id, route_of(error), error.status, error.code, error.text)
                # Translators: why a group post failed; {status} is an HTTP status code and
                # {reason} Discord's own words.
                why = _("Discord refused the post ({status}: {reason})").format(
                    status=error.status, reason=error.text)
                raise PostFailed(why, retryable=False, tries=tries) from error
            last = error
            maybe_posted = maybe_posted or error.status >= 500
            if error.status in RETRIED_BY_DISCORD_PY:
                break           # discord.py has just spent its own retries on it
            wait = getattr(error, "retry_after", None) or delay
        except aiohttp.ClientConnectorError as error:
            last = error        # never connected: nothing was sent
            wait = delay
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            last = error
            maybe_posted = True
            wait = delay
        if attempt < attempts:
            log.warning("post to channel %s failed (%s); retry %d in %.1f s",
                        channel_id, describe(last), attempt, wait)
            await asyncio.sleep(min(wait, 30))
            delay *= 2
    raise PostFailed(describe(last), retryable=True,
                     maybe_posted=maybe_posted, tries=tries)


def describe(error: BaseException | None) -> str:
    """What went wrong with a post, in the words admins read in its status."""
    if isinstance(error, discord.HTTPException):
        # Translators: {status} is an HTTP status code such as 503.
        return _("Discord answered {status}").format(status=error.status)
    if isinstance(error, TimeoutError):
        # Translators: a post to Discord got no answer in time.
        return _("timed out")
    return f"{type(error).__name__}: {error}" if error is not None else _("no answer")


async def post_to_channel(
    bot: discord.Client, channel_id: int, *, guild_id: int | None = None,
    content: str | None = None, embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    allowed_mentions: discord.AllowedMentions | None = None,
    nonce: str | None = None,
) -> discord.Message:
    """Needs no cache: works at start-up before the gateway has sent the server. With a
    `nonce` (at most 25 characters), Discord returns the message already created with it
    instead of a second one (discord.py sends enforce_nonce), so a retry never posts twice."""
    channel = bot.get_partial_messageable(channel_id, guild_id=guild_id,
                                          type=discord.ChannelType.text)
    kwargs: dict = {"allowed_mentions": allowed_mentions or discord.AllowedMentions.none()}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if nonce is not None:
        kwargs["nonce"] = nonce
    return await send_with_retries(lambda: channel.send(**kwargs), channel_id=channel_id)
