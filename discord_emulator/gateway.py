"""The gateway WebSocket: HELLO/IDENTIFY/READY, heartbeats, RESUME and dispatches."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250
INTENT_GUILD_MEMBERS = 1 << 1


class GatewaySession:
    """One client connection. Outgoing frames go through a queue so that
    synchronous emulator methods can dispatch events without awaiting."""

    def __init__(self, emu: DiscordEmulator, ws: web.WebSocketResponse) -> None:
        self.emu = emu
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
            self.emu._session_closed(self)
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
            self.emu._shards_by_session[self.session_id] = self.shard
            self.identified = True
            self.emu._session_identified(self)
            self.dispatch("READY", self.emu._ready_payload(self))
            for guild in self.emu._visible_guilds():
                if self.handles(guild.id):
                    self.dispatch("GUILD_CREATE", self.emu._guild_create_payload(guild))
        elif op == 6:
            # State lives in the emulator, so a resume only needs to re-attach.
            self.session_id = d.get("session_id") or secrets.token_hex(16)
            self.shard = self.emu._shards_by_session.get(self.session_id, self.shard)
            self.seq = int(d.get("seq") or 0)
            self.identified = True
            self.emu._session_identified(self)
            self.dispatch("RESUMED", {"_trace": ["emulator"]})
        elif op == 8:
            self._answer_member_request(d or {})
        elif op in (3, 4):
            pass  # presence / voice state updates: nothing to emulate
        else:
            log.info("gateway: ignoring op %s", op)

    def _answer_member_request(self, d: dict[str, Any]) -> None:
        guild_ids = d.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for gid in guild_ids:
            guild = self.emu.guilds.get(int(gid))
            if guild is None:
                continue
            members = [m.to_json(self.emu.users[m.user_id]) for m in guild.members.values()]
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
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id

    @property
    def wants_members(self) -> bool:
        return bool(self.intents & INTENT_GUILD_MEMBERS)


async def handle_gateway(emu: DiscordEmulator, request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)
    session = GatewaySession(emu, ws)
    emu._sessions.append(session)
    await session.run()
    return ws
