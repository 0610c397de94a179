"""The gateway WebSocket: HELLO/IDENTIFY/READY, heartbeats, RESUME and dispatches."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from .events import Events, shard_handles
from .store import Store

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
INTENT_GUILD_MEMBERS = 1 << 1


class GatewaySession:
    """One client connection. Outgoing frames go through a queue so that
    synchronous emulator methods can dispatch events without awaiting."""

    def __init__(
        self, events: Events, ws: web.WebSocketResponse, gateway_url: str = ""
    ) -> None:
        self.events = events
        self.store: Store = events.store
        self.gateway_url = gateway_url
        self.ws = ws
        self.session_id: str | None = None
        self.seq = 0
        self.intents = 0
        self.identified = False
        self.closed = False
        self.shard: tuple[int, int] = (0, 1)      # (shard id, shard count) from IDENTIFY
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._writer: asyncio.Task | None = None

    # -- sending ----------------------------------------------------------------

    def send(self, op: int, d: Any = None, t: str | None = None) -> None:
        self._queue.put_nowait({"op": op, "d": d, "t": t})

    def dispatch(self, event: str, data: Any) -> None:
        self.send(0, data, event)

    async def drain(self) -> None:
        await self._queue.join()

    async def _write_loop(self) -> None:
        while True:
            frame = await self._queue.get()
            try:
                if frame["op"] == 0:
                    # Sequence numbers are assigned at send time so they stay in order.
                    self.seq += 1
                    frame["s"] = self.seq
                else:
                    frame["s"] = None
                if not self.ws.closed:
                    await self.ws.send_str(json.dumps(frame))
            except Exception as exc:  # a dead socket must not stop the queue from draining
                log.debug("gateway write failed: %s", exc)
            finally:
                self._queue.task_done()

    # -- receiving --------------------------------------------------------------

    async def run(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())
        self.send(10, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["emulator"]})
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._handle(json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.closed = True
            self.events.session_closed(self)
            # Let queued frames be marked done so drain() never hangs on a dead socket.
            await self._queue.join()
            self._writer.cancel()

    async def _handle(self, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        d: Any = payload.get("d")     # the event's JSON, whatever its shape
        if op == 1:
            self.send(11)
        elif op == 2:
            self.intents = int(d.get("intents", 0))
            if d.get("shard"):
                self.shard = (int(d["shard"][0]), int(d["shard"][1]))
            self.session_id = secrets.token_hex(16)
            self.events.shards_by_session[self.session_id] = self.shard
            self.identified = True
            self.events.session_identified(self)
            self.dispatch("READY", self._ready_payload())
            for guild in self.store.visible_guilds():
                if self.handles(guild.id):
                    self.dispatch("GUILD_CREATE", self.store.guild_create_payload(guild))
        elif op == 6:
            # State lives in the emulator, so a resume only needs to re-attach.
            self.session_id = d.get("session_id") or secrets.token_hex(16)
            self.shard = self.events.shards_by_session.get(self.session_id, self.shard)
            self.seq = int(d.get("seq") or 0)
            self.identified = True
            self.events.session_identified(self)
            self.dispatch("RESUMED", {"_trace": ["emulator"]})
        elif op == 8:
            self._answer_member_request(d or {})
        elif op in (3, 4):
            pass  # presence / voice state updates: nothing to emulate
        else:
            log.info("gateway: ignoring op %s", op)

    def _ready_payload(self) -> dict[str, Any]:
        user = self.store.state.users[self.store.bot_user_id].to_json() | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
        }
        return {
            "v": 10,
            "user": user,
            "session_id": self.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.store.visible_guilds()
                       if self.handles(g.id)],
            "shard": list(self.shard),
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "application": {"id": str(self.store.application_id), "flags": 0},
            "_trace": ["emulator"],
        }

    def _answer_member_request(self, d: dict[str, Any]) -> None:
        guild_ids = d.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for gid in guild_ids:
            guild = self.store.state.guilds.get(int(gid))
            if guild is None:
                continue
            members = [m.to_json(self.store.state.users[m.user_id]) for m in guild.members.values()]
            wanted = d.get("user_ids")
            if wanted:
                wanted = {int(u) for u in (wanted if isinstance(wanted, list) else [wanted])}
                members = [m for m in members if int(m["user"]["id"]) in wanted]
            elif d.get("query"):
                members = [
                    m
                    for m in members
                    if m["user"]["username"].lower().startswith(d["query"].lower())
                ]
            chunk = {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def handles(self, guild_id: int | None) -> bool:
        """Whether this connection's shard receives the server's events (DMs: shard 0)."""
        return shard_handles(self.shard, guild_id)

    @property
    def wants_members(self) -> bool:
        return bool(self.intents & INTENT_GUILD_MEMBERS)


class Gateway:
    """The WebSocket endpoint: one GatewaySession per connection."""

    def __init__(self, events: Events, gateway_url: Callable[[], str]) -> None:
        self.events = events
        self.gateway_url = gateway_url

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(self.events, ws, self.gateway_url())
        self.events.session_opened(session)
        await session.run()
        return ws

    async def close_all(self) -> None:
        for session in list(self.events.sessions):
            if not isinstance(session, GatewaySession):
                continue        # only this endpoint opens sessions; each one has its socket
            await session.ws.close(code=1001, message=b"emulator stopping")
