"""An interaction sent to the bot and what the bot did with it (state layer).

The REST side records callbacks and follow-ups here; tests wait on it."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Any

from .state import FLAG_EPHEMERAL, Attachment, Message, State


class InteractionResult:
    """What the bot did with one interaction: its callback, the reply message,
    follow-ups, and any modal or autocomplete choices."""

    def __init__(
        self,
        state: State,
        *,
        id: int,
        type: int,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        source_message_id: int | None,
        name: str | None,
        timeout: float,
    ) -> None:
        self.state = state
        self.id = id
        self.token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        self.type = type
        self.user_id = user_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.source_message_id = source_message_id  # the message a component/modal came from
        self.name = name
        self.timeout = timeout
        self.created = time.monotonic()

        self.response_type: int | None = None
        self.response_data: dict[str, Any] | None = None
        self.original_message_id: int | None = None
        # How many versions the response message had when the callback arrived, so a
        # deferred reply counts as answered only after a later edit.
        self._versions_at_response = 0
        self._followup_ids: list[int] = []
        self.option_attachments: dict[int, Attachment] = {}
        self._waiters: list[asyncio.Future[None]] = []

    # ---------------------------------------------------------------- reading

    @property
    def ephemeral(self) -> bool:
        msg = self.message
        if msg is not None:
            return msg.ephemeral
        return bool(int((self.response_data or {}).get("flags") or 0) & FLAG_EPHEMERAL)

    @property
    def message(self) -> Message | None:
        """The latest state of the original response message (None before one exists)."""
        if self.original_message_id is None:
            return None
        return self.state.messages.get(self.original_message_id)

    @property
    def followups(self) -> list[Message]:
        return [self.state.messages[m] for m in self._followup_ids]

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices (type 8 responses)."""
        if self.response_type != 8:
            raise AssertionError(
                f"the bot answered with callback type {self.response_type}, not autocomplete"
            )
        return list((self.response_data or {}).get("choices") or [])

    async def reply(self, timeout: float | None = None) -> Message:
        """The response message: type 4 at once; after a defer (5/6), once the bot
        edits @original or sends its first follow-up."""
        await self.wait_response(timeout)
        if self.response_type in (8, 9):
            raise AssertionError(
                f"the bot answered with callback type {self.response_type}, not a message"
            )

        def edited() -> bool:
            msg = self.message
            return msg is not None and len(msg.history) > self._versions_at_response

        def ready() -> bool:
            return self.response_type in (4, 7) or edited() or bool(self._followup_ids)

        await self._wait(ready, timeout, "a reply to the deferred interaction")
        msg = self.message
        if self.response_type in (5, 6) and not edited():
            return self.followups[0]
        assert msg is not None
        return msg

    async def modal(self, timeout: float | None = None) -> dict[str, Any]:
        await self.wait_response(timeout)
        if self.response_type != 9:
            raise AssertionError(
                f"the bot answered with callback type {self.response_type}, not a modal (9)"
            )
        return self.response_data or {}

    async def wait_followup(self, n: int = 1, timeout: float | None = None) -> Message:
        await self._wait(lambda: len(self._followup_ids) >= n, timeout, f"follow-up #{n}")
        return self.followups[n - 1]

    async def wait_response(self, timeout: float | None = None) -> int:
        await self._wait(lambda: self.response_type is not None, timeout, "an interaction response")
        assert self.response_type is not None
        return self.response_type

    # ---------------------------------------------------------------- bookkeeping (REST side)

    def expired(self, deadline: float | None) -> bool:
        return deadline is not None and time.monotonic() - self.created > deadline

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": self.state.users[self.user_id].to_json(),
            "authorizing_integration_owners": integration_owners(self.guild_id, self.user_id),
        }
        if self.name:
            data["name"] = self.name
        if self.source_message_id:
            data["interacted_message_id"] = str(self.source_message_id)
        return data

    def set_response(self, rtype: int, data: dict[str, Any], message: Message | None) -> None:
        """Record the bot's callback (REST side). Subclasses hook in through _set_response."""
        self._set_response(rtype, data, message)

    def _set_response(self, rtype: int, data: dict[str, Any], message: Message | None) -> None:
        self.response_type = rtype
        self.response_data = data
        if message is not None:
            self.original_message_id = message.id
            self._versions_at_response = len(message.history)
        self.notify()

    def add_followup(self, message: Message) -> None:
        self._followup_ids.append(message.id)
        self.notify()

    def notify(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def _wait(self, ready: Callable[[], bool], timeout: float | None, what: str) -> None:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not ready():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what} ({self!r})")
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            # Waking up means "look again"; timing out is checked at the top of the loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, remaining)

    def __repr__(self) -> str:
        return (
            f"<InteractionResult type={self.type} name={self.name!r} "
            f"response_type={self.response_type}>"
        )


def integration_owners(guild_id: int | None, user_id: int) -> dict[str, str]:
    # Guild install when used in a server, user install when used in the bot's DM.
    return {"0": str(guild_id)} if guild_id is not None else {"1": str(user_id)}
