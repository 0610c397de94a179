"""The outbox's Discord side: the one module that opens a DM and sends in it.

What goes out, when, and what happens after a failure is decided by
bot.services.outbox.OutboxService; this adapter sends each claimed DM with its row's nonce (so
a retry can never make a second message), classifies what Discord answered, and reports back:

- sent: recorded; if the database refuses that write, the DM is kept in mind here and only the
  record is tried again, never the send;
- 403 code 50007 (DMs closed) or 404 code 10013 (unknown user): the closed-DMs path, a notice;
- 429, 5xx, timeouts, connection errors: tried again later with the same nonce;
- anything else: logged once per route, and the message kept as a notice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.db.repositories.timers import Timer
from bot.formatting import inert
from bot.scheduling.engine import TimerEngine
from bot.services.outbox import DM_KINDS, Claim, OutboxService
from bot.services.personal import Button

log = logging.getLogger(__name__)

SEND_TIMEOUT = 20.0                          # seconds: past it, the outcome is unknown
RECORD_AGAIN_AFTER = timedelta(minutes=1)    # a sent DM whose record the database refused
CLOSED_CODES = {50007, 10013}


class Buttons(discord.ui.View):
    """Buttons whose clicks are handled by DynamicItems, so this view is never kept in memory."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False


def view_for(buttons: Iterable[Button]) -> discord.ui.View:
    view = Buttons()
    for button in buttons:
        view.add_item(discord.ui.Button(
            label=button.label, custom_id=button.custom_id, row=button.row,
            style=discord.ButtonStyle.primary if button.primary
            else discord.ButtonStyle.secondary))
    return view


def classify(error: discord.HTTPException) -> str:
    """"closed", "retry" or "refused"."""
    if error.status in (403, 404) and error.code in CLOSED_CODES:
        return "closed"
    if error.status == 429 or error.status >= 500:
        return "retry"
    return "refused"


class Outbox:
    """Every DM goes through here. Build once (bot/client.py) and use `bot.outbox`."""

    def __init__(self, bot: discord.Client, engine: TimerEngine, db, clock) -> None:
        self.bot = bot
        self.engine = engine
        self.clock = clock
        self.service = OutboxService(db, clock, escape=inert, claimer=engine.claimer)
        self.personal = self.service.personal
        self._in_flight: set[int] = set()
        self._unrecorded: dict[int, tuple[int | None, datetime]] = {}
        self._routes_logged: set[tuple[str, int, int]] = set()
        engine.register_group(DM_KINDS, self._deliver_due)
        engine.add_sweep(self._next_retry, self._retry_due)

    async def start(self) -> None:
        """Before the engine starts: DMs claimed before a stop are tried again, same nonce (by
        the only process; with several, once their lease has passed)."""
        if self.engine.sole:
            await self.service.after_restart()

    async def enqueue(self, user_id: int, kind: str, **options) -> int:
        """Ask for a DM (see OutboxService.enqueue for the options); the rules decide when it
        goes. Returns the timer id."""
        timer_id = await self.service.enqueue(user_id, kind, **options)
        await self.engine.wake(options.get("due_at") or self.service.default_due(kind))
        return timer_id

    # Engine hooks -----------------------------------------------------------------------------

    async def _deliver_due(self, timers: list[Timer]) -> None:
        for claim in await self.service.plan(timers):
            await self.send(claim)

    async def _next_retry(self) -> datetime | None:
        due = await self.service.next_retry_at()
        if due is not None and due <= self.clock.now() and self._unrecorded:
            # The earliest row may be one whose record the database refused: not before its
            # next try, or the engine would spin.
            due = max(due, min(at for _, at in self._unrecorded.values()))
        return due

    async def _retry_due(self) -> None:
        for claim in await self.service.due_retries():
            await self.send(claim)

    # Sending ----------------------------------------------------------------------------------

    async def send(self, claim: Claim) -> None:
        if claim.id in self._in_flight:
            return
        if claim.id in self._unrecorded:
            message_id, at = self._unrecorded[claim.id]
            if at <= self.clock.now():
                await self._record(claim, message_id)
            return
        self._in_flight.add(claim.id)
        try:
            await self._send(claim)
        finally:
            self._in_flight.discard(claim.id)

    async def _send(self, claim: Claim) -> None:
        payload = claim.payload
        try:
            channel = await asyncio.wait_for(
                self.bot.create_dm(discord.Object(claim.user_id)), SEND_TIMEOUT)
            message = await asyncio.wait_for(
                channel.send(payload.content, view=view_for(payload.buttons),
                             nonce=claim.nonce),
                SEND_TIMEOUT)
        except discord.HTTPException as error:
            outcome = classify(error)
            what = f"{error.status} code {error.code}"
            if outcome == "closed":
                log.info("DM %s to %s not delivered (%s); kept as a notice",
                         claim.id, claim.user_id, what)
                await self.service.undeliverable(claim, f"closed: {what}")
            elif outcome == "retry":
                log.info("DM %s to %s: %s; trying again later", claim.id, claim.user_id, what)
                await self.service.try_again(claim, what)
            else:
                self._log_once(error)
                await self.service.undeliverable(claim, f"refused: {what}")
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            log.info("DM %s to %s: no answer (%r); trying again later with its nonce",
                     claim.id, claim.user_id, error)
            await self.service.try_again(claim, "no answer")
        else:
            await self._record(claim, message.id)

    async def _record(self, claim: Claim, message_id: int | None) -> None:
        try:
            await self.service.sent(claim, message_id)
        except Exception:
            # Sent, but not written down (e.g. the disk is full): remember it here so it is
            # never sent again, and try the record later.
            log.exception("DM %s was sent but could not be recorded; recording it later",
                          claim.id)
            self._unrecorded[claim.id] = (message_id, self.clock.now() + RECORD_AGAIN_AFTER)
        else:
            self._unrecorded.pop(claim.id, None)

    def _log_once(self, error: discord.HTTPException) -> None:
        response = error.response
        route = f"{getattr(response, 'method', '?')} {getattr(response, 'url', '?')}"
        key = (route, error.status, error.code)
        if key in self._routes_logged:
            return
        self._routes_logged.add(key)
        log.error("a DM was refused by Discord (%s %s code %s): %s",
                  route, error.status, error.code, error.text)
