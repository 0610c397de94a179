"""What every REST resource shares: the layers below and the emulator's REST settings."""

from __future__ import annotations

from collections.abc import Callable

from ..events import Events
from ..state import RecordedRequest
from ..store import Store
from .faults import Faults
from .responses import Handler

# Path parameters of the route patterns.
CID, GID, UID, MID = (rf"(?P<{name}>\d+)" for name in ("cid", "gid", "uid", "mid"))
APP = r"(?P<app>\d+)"
TOKEN = r"(?P<token>[^/]+)"

Route = tuple[str, str, Handler]


class Context:
    def __init__(
        self,
        store: Store,
        events: Events,
        faults: Faults,
        gateway_url: Callable[[], str],
        shard_count: int = 1,
    ) -> None:
        self.store = store
        self.events = events
        self.faults = faults
        self.gateway_url = gateway_url
        # What GET /gateway/bot recommends; each connection gets the servers of its shard.
        self.shard_count = shard_count
        # Seconds the bot has to acknowledge an interaction (Discord: 3). None = no limit.
        self.interaction_deadline: float | None = None
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []


class Resource:
    """One resource's routes and handlers."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.events = ctx.events
        self.faults = ctx.faults

    def routes(self) -> list[Route]:
        # Each resource module lists its own routes; the base has none to give.
        raise NotImplementedError(f"{type(self).__name__} lists no routes")

