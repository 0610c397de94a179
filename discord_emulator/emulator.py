"""A local Discord: gateway WebSocket + REST API on 127.0.0.1, driven by tests.

The real discord.py client connects to it (point ``discord.http.Route.BASE`` at
``api_base`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` at ``gateway_url``).
Tests arrange servers/members/permissions, act as members through
:meth:`DiscordEmulator.actor`, and read back what the bot sent.

State is in memory and survives bot reconnects, so a bot can be stopped and a
new one started against the same emulator.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .actors import Actor, InteractionResult
from .gateway import GatewaySession, handle_gateway
from .openapi import SpecViolation
from .rest import RestApi, error_response, json_response
from .state import (
    ADMINISTRATOR,
    BOT_ROLE_PERMISSIONS,
    DM,
    EVERYONE_PERMISSIONS,
    FLAG_LOADING,
    GUILD_TEXT,
    MANAGE_GUILD,
    SEND_MESSAGES,
    Attachment,
    Channel,
    EmulatorError,
    Guild,
    Member,
    Message,
    Overwrite,
    RecordedRequest,
    Role,
    Snowflakes,
    User,
    resolve_attachments,
)

__all__ = [
    "DiscordEmulator",
    "EmulatorError",
    "Guild",
    "Message",
    "RecordedRequest",
    "InteractionResult",
    "Actor",
]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
NONCE_WINDOW_SECONDS = 300


@dataclass
class FailRule:
    """An injected failure: the next ``remaining`` matching requests get ``status``."""

    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    json: Any = None
    retry_after: float = 0.05

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and self.method in ("*", method)
            and self.pattern.search(path) is not None
        )


class DiscordEmulator:
    def __init__(
        self, *, bot_name: str = "Onward", validate_requests: bool = True, shard_count: int = 1
    ) -> None:
        self._ids = Snowflakes()
        self.application_id = self._ids.next()
        # Modern applications share their id with their bot user.
        self.bot_user_id = self.application_id
        self.token = f"emulator.{secrets.token_urlsafe(24)}"

        self.users: dict[int, User] = {self.bot_user_id: User(self.bot_user_id, bot_name, bot=True)}
        self.app_owner_id = self.add_user("app-owner")
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._dm_channel_by_user: dict[int, int] = {}
        self._dms_closed: set[int] = set()

        # Registered application commands: id -> definition as the bot PUT it (plus ids).
        self._global_commands: dict[int, dict[str, Any]] = {}
        self._guild_commands: dict[int, dict[int, dict[str, Any]]] = {}

        self._interactions: dict[str, InteractionResult] = {}
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self._fail_rules: list[FailRule] = []
        # Injected failures answered after the request was carried out (see fail_after_create).
        self._fail_after_rules: list[FailRule] = []
        # (author, channel, nonce) -> (message id, monotonic time) for enforce_nonce.
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.global_rate_limit: int | None = None
        self._rate_window: deque[float] = deque()
        # Seconds the bot has to acknowledge an interaction (Discord: 3). None = no limit.
        self.interaction_deadline: float | None = None
        # Request bodies are checked against Discord's OpenAPI spec; what broke it is kept here.
        self.validate_requests = validate_requests
        self.spec_violations: list[SpecViolation] = []

        self._sessions: list[GatewaySession] = []
        # What GET /gateway/bot recommends; each connection gets the servers of its shard.
        self.shard_count = shard_count
        self._shards_by_session: dict[str, tuple[int, int]] = {}
        self._message_waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []
        self._connected = asyncio.Event()

        self._rest = RestApi(self)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ server

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self._rest.serve_attachment
        )
        app.router.add_get("/", self._handle_gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _handle_gateway(self, request: web.Request) -> web.WebSocketResponse:
        return await handle_gateway(self, request)

    async def stop(self) -> None:
        for session in list(self._sessions):
            await session.ws.close(code=1001, message=b"emulator stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for _, fut in self._message_waiters:
            fut.cancel()
        self._message_waiters.clear()

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.http_base}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # ------------------------------------------------------------- arranging

    def add_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> int:
        uid = user_id or self._ids.next()
        self.users[uid] = User(uid, name, bot=bot)
        return uid

    def add_guild(
        self, name: str, *, owner_id: int | None = None, guild_id: int | None = None
    ) -> Guild:
        """A server with the bot in it. ``guild_id`` fixes its id (a kept database refers to
        it across runs); ids below the current time's snowflakes never collide."""
        gid = guild_id or self._ids.next()
        owner_id = owner_id or self.add_user(f"{name}-owner")
        bot_role = Role(
            self._ids.next(),
            self.users[self.bot_user_id].name,
            BOT_ROLE_PERMISSIONS,
            1,
            True,
            self.bot_user_id,
        )
        guild = Guild(id=gid, name=name, owner_id=owner_id, bot_role_id=bot_role.id)
        guild.roles[gid] = Role(gid, "@everyone", EVERYONE_PERMISSIONS)
        guild.roles[bot_role.id] = bot_role
        guild.members[owner_id] = Member(owner_id)
        guild.members[self.bot_user_id] = Member(self.bot_user_id, [bot_role.id])
        self.guilds[gid] = guild
        self._dispatch("GUILD_CREATE", self._guild_create_payload(guild, joined=True))
        return guild

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        topic: str | None = None,
        channel_id: int | None = None,
    ) -> int:
        guild = self._guild(guild_id)
        cid = channel_id or self._ids.next()
        channel = Channel(
            cid, GUILD_TEXT, name, guild_id, position=len(guild.channel_ids), topic=topic
        )
        self.channels[cid] = channel
        guild.channel_ids.append(cid)
        self._channel_messages[cid] = []
        if guild.bot_present:
            self._dispatch("CHANNEL_CREATE", channel.to_json())
        return cid

    def add_member(
        self,
        guild_id: int,
        user_id: int | None = None,
        name: str = "alice",
        admin: bool = False,
        manage_guild: bool = False,
    ) -> int:
        guild = self._guild(guild_id)
        if user_id is None or user_id not in self.users:
            user_id = self.add_user(name, user_id=user_id)
        roles = []
        if admin:
            roles.append(self._role_with(guild, "Admin", ADMINISTRATOR))
        if manage_guild:
            roles.append(self._role_with(guild, "Manager", MANAGE_GUILD))
        member = guild.members.get(user_id)
        if member is None:
            member = guild.members[user_id] = Member(user_id, roles)
            if guild.bot_present:
                data = member.to_json(self.users[user_id]) | {"guild_id": str(guild.id)}
                self._dispatch("GUILD_MEMBER_ADD", data, intent=INTENT_GUILD_MEMBERS)
        else:
            member.role_ids.extend(r for r in roles if r not in member.role_ids)
        return user_id

    def add_role(
        self, guild_id: int, name: str, permissions: int = 0, *, members: tuple[int, ...] = ()
    ) -> int:
        """A new role (above the others), given to `members`. Dispatches GUILD_ROLE_CREATE."""
        guild = self._guild(guild_id)
        role = Role(self._ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        if guild.bot_present:
            self._dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()})
        for user_id in members:
            self.give_role(guild_id, user_id, role.id)
        return role.id

    def give_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Add a role to a member. Dispatches GUILD_MEMBER_UPDATE."""
        guild = self._guild(guild_id)
        member = guild.members[user_id]
        if role_id not in member.role_ids:
            member.role_ids.append(role_id)
        if guild.bot_present:
            data = member.to_json(self.users[user_id]) | {"guild_id": str(guild.id)}
            self._dispatch("GUILD_MEMBER_UPDATE", data, intent=INTENT_GUILD_MEMBERS)

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """Change a role's server-wide permissions (the @everyone role's id is the server's;
        the bot's managed role is `guilds[id].bot_role_id`). Dispatches GUILD_ROLE_UPDATE."""
        guild = self._guild(guild_id)
        role = guild.roles[role_id]
        role.permissions = permissions
        if guild.bot_present:
            self._dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_json()})

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a server channel, computed as Discord does: @everyone,
        their roles, the channel's overwrites (@everyone, roles, member), implicit losses."""
        channel = self._channel(channel_id)
        return self._guild(channel.guild_id).channel_permissions(channel, user_id)

    def set_bot_channel_permissions(self, channel_id: int, allow_send: bool = True) -> None:
        """Deny (or restore) SEND_MESSAGES for the bot with a member overwrite."""
        if allow_send:
            self.set_channel_overwrite(channel_id, self.bot_user_id, allow=0, deny=0)
        else:
            self.set_channel_overwrite(channel_id, self.bot_user_id, deny=SEND_MESSAGES)

    def set_channel_overwrite(
        self,
        channel_id: int,
        target_id: int,
        *,
        allow: int = 0,
        deny: int = 0,
        type: int | None = None,
    ) -> None:
        """Set a permission overwrite; allow=deny=0 removes it. Dispatches CHANNEL_UPDATE."""
        channel = self._channel(channel_id)
        guild = self._guild(channel.guild_id)
        if type is None:
            type = 0 if target_id in guild.roles else 1
        if allow == 0 and deny == 0:
            channel.overwrites.pop(target_id, None)
        else:
            channel.overwrites[target_id] = Overwrite(target_id, type, allow, deny)
        if guild.bot_present:
            self._dispatch("CHANNEL_UPDATE", channel.to_json())

    async def delete_channel(self, channel_id: int) -> None:
        channel = self._channel(channel_id)
        channel.deleted = True
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is not None:
            guild.channel_ids.remove(channel_id)
            if guild.bot_present:
                self._dispatch("CHANNEL_DELETE", channel.to_json())
        await self.drain()

    async def remove_bot_from_guild(self, guild_id: int) -> None:
        guild = self._guild(guild_id)
        guild.bot_present = False
        guild.members.pop(self.bot_user_id, None)
        self._dispatch("GUILD_DELETE", {"id": str(guild_id)})
        await self.drain()

    async def add_bot_to_guild(self, guild_id: int) -> None:
        guild = self._guild(guild_id)
        guild.bot_present = True
        guild.members[self.bot_user_id] = Member(self.bot_user_id, [guild.bot_role_id])
        self._dispatch("GUILD_CREATE", self._guild_create_payload(guild, joined=True))
        await self.drain()

    def set_dms_closed(self, user_id: int, closed: bool = True) -> None:
        if closed:
            self._dms_closed.add(user_id)
        else:
            self._dms_closed.discard(user_id)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        json: Any = None,
        retry_after: float = 0.05,
    ) -> FailRule:
        """Answer the next ``times`` requests matching with ``status``.

        ``path_regex`` is searched (re.search) in the path relative to ``api_base``,
        e.g. ``r"/channels/\\d+/messages$"``. ``method`` may be ``"*"``.
        """
        rule = FailRule(method.upper(), re.compile(path_regex), status, times, json, retry_after)
        self._fail_rules.append(rule)
        return rule

    def fail_after_create(
        self,
        method: str,
        path_regex: str,
        status: int = 500,
        *,
        times: int = 1,
        json: Any = None,
    ) -> FailRule:
        """Carry out the next ``times`` matching requests (the message is created and stored),
        then answer ``status`` instead of the result, as Discord does when it fails after the
        write. Same arguments as :meth:`fail_next`."""
        rule = FailRule(method.upper(), re.compile(path_regex), status, times, json)
        self._fail_after_rules.append(rule)
        return rule

    def dispatch_raw(self, event: str, payload: Any) -> None:
        """Send a gateway DISPATCH of ``event`` with ``payload`` exactly as given (malformed
        payloads included) to every connected bot. ``await emu.drain()`` to flush it."""
        self._dispatch(event, payload)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every client: discord.py then reconnects and RESUMEs."""
        for session in self._live_sessions():
            session.send(7)
        await self.drain()

    # ------------------------------------------------------------- acting

    def actor(
        self,
        user_id: int,
        guild_id: int | None = None,
        *,
        channel_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> Actor:
        """A member acting in ``guild_id`` (in ``channel_id``, default: its first text
        channel), or in their DM with the bot when ``guild_id`` is None."""
        if user_id not in self.users:
            raise EmulatorError(f"unknown user {user_id}")
        if guild_id is not None:
            guild = self._guild(guild_id)
            if user_id not in guild.members:
                raise EmulatorError(f"user {user_id} is not a member of guild {guild_id}")
            if channel_id is None:
                if not guild.channel_ids:
                    raise EmulatorError(f"guild {guild_id} has no channels; add_channel first")
                channel_id = guild.channel_ids[0]
        else:
            channel_id = self._dm_channel(user_id).id
        return Actor(self, user_id, guild_id, channel_id, locale=locale, timeout=timeout)

    def upload(
        self, filename: str, data: bytes, *, content_type: str | None = None
    ) -> Attachment:
        """A file a member attaches to a slash command: pass it as the value of an attachment
        option (``actor.slash("apply import", file=emu.upload(...))``). It arrives in
        ``data.resolved.attachments`` with a ``url`` on this emulator, which serves the bytes."""
        return Attachment(self._ids.next(), filename, bytes(data), content_type=content_type)

    # ------------------------------------------------------------- reading

    def channel_messages(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[Message]:
        """Messages the bot posted in a channel, oldest first, with edits applied."""
        result = []
        for mid in self._channel_messages.get(channel_id, []):
            msg = self.messages[mid]
            if (msg.ephemeral and not include_ephemeral) or (msg.deleted and not include_deleted):
                continue
            result.append(msg)
        return result

    def dm_messages(self, user_id: int, **kwargs: bool) -> list[Message]:
        cid = self._dm_channel_by_user.get(user_id)
        return [] if cid is None else self.channel_messages(cid, **kwargs)

    def wait_for_message(
        self,
        channel_id: int | None = None,
        dm_user_id: int | None = None,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        include_ephemeral: bool = False,
    ) -> Awaitable[Message]:
        """The first bot message created after this call that matches.

        The waiter is registered when called, so ``w = emu.wait_for_message(...)``,
        then trigger, then ``await w`` cannot miss the message. Raises
        asyncio.TimeoutError. Deferred replies count once they get content."""

        def matches(msg: Message) -> bool:
            if msg.ephemeral and not include_ephemeral:
                return False
            if channel_id is not None and msg.channel_id != channel_id:
                return False
            if dm_user_id is not None and msg.channel_id != self._dm_channel_by_user.get(
                dm_user_id
            ):
                return False
            return predicate is None or bool(predicate(msg))

        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        entry = (matches, fut)
        self._message_waiters.append(entry)

        async def wait() -> Message:
            try:
                return await asyncio.wait_for(fut, timeout)
            finally:
                if entry in self._message_waiters:
                    self._message_waiters.remove(entry)

        return wait()

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        store = (
            self._global_commands if guild_id is None else self._guild_commands.get(guild_id, {})
        )
        return list(store.values())

    def assert_no_spec_violations(self) -> None:
        """Fail (AssertionError listing each) if any request broke Discord's spec."""
        if self.spec_violations:
            found = "\n".join(f"  {v}" for v in self.spec_violations)
            raise AssertionError(
                f"{len(self.spec_violations)} request(s) broke Discord's API spec:\n{found}")

    @property
    def connected(self) -> bool:
        return bool(self._live_sessions())

    async def wait_for_connection(self, timeout: float = 5.0) -> None:
        """Wait until a bot has identified (or resumed) on the gateway."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def drain(self) -> None:
        """Wait until every queued gateway frame has been written to the sockets."""
        for session in list(self._sessions):
            await session.drain()

    # ------------------------------------------------------------- internals: lookups

    def _guild(self, guild_id: int | None) -> Guild:
        guild = self.guilds.get(int(guild_id)) if guild_id is not None else None
        if guild is None:
            raise EmulatorError(f"unknown guild {guild_id}")
        return guild

    def _channel(self, channel_id: int) -> Channel:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise EmulatorError(f"unknown channel {channel_id}")
        return channel

    def _role_with(self, guild: Guild, name: str, permissions: int) -> int:
        for role in guild.roles.values():
            if role.name == name and role.permissions == permissions:
                return role.id
        role = Role(self._ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        if guild.bot_present:
            self._dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()})
        return role.id

    def _dm_channel(self, user_id: int) -> Channel:
        cid = self._dm_channel_by_user.get(user_id)
        if cid is None:
            cid = self._ids.next()
            self.channels[cid] = Channel(cid, DM, recipient_id=user_id)
            self._channel_messages[cid] = []
            self._dm_channel_by_user[user_id] = cid
        return self.channels[cid]

    def _visible_guilds(self) -> list[Guild]:
        return [g for g in self.guilds.values() if g.bot_present]

    def _guild_channels(self, guild: Guild) -> list[Channel]:
        return [self.channels[c] for c in guild.channel_ids]

    def _bot_permissions(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return EVERYONE_PERMISSIONS
        return self.guilds[channel.guild_id].channel_permissions(channel, self.bot_user_id)

    def _commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        """Commands visible in a place: guild ones first (they shadow global ones)."""
        result: list[dict[str, Any]] = []
        if guild_id is not None:
            result.extend(self._guild_commands.get(guild_id, {}).values())
        result.extend(self._global_commands.values())
        return result

    # ------------------------------------------------------------- internals: JSON

    def _channel_json(self, channel: Channel) -> dict[str, Any]:
        recipient = self.users.get(channel.recipient_id) if channel.recipient_id else None
        return channel.to_json(recipient)

    def _guild_create_payload(self, guild: Guild, *, joined: bool = False) -> dict[str, Any]:
        data = guild.to_json(self.users, self._guild_channels(guild))
        if joined:
            # A fresh join has no "unavailable" key; that is how clients tell joins
            # apart from guilds becoming available after READY.
            del data["unavailable"]
        return data

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        user = self.users[self.bot_user_id].to_json() | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
        }
        return {
            "v": 10,
            "user": user,
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._visible_guilds()
                       if session.handles(g.id)],
            "shard": list(session.shard),
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "application": {"id": str(self.application_id), "flags": 0},
            "_trace": ["emulator"],
        }

    def _application_json(self) -> dict[str, Any]:
        bot = self.users[self.bot_user_id]
        return {
            "id": str(self.application_id),
            "name": bot.name,
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.users[self.app_owner_id].to_json(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": bot.to_json(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "integration_types_config": {"0": {}, "1": {}},
            "approximate_guild_count": len(self._visible_guilds()),
        }

    def _attachment_json(self, channel_id: int, att: Attachment) -> dict[str, Any]:
        url = f"{self.http_base}/attachments/{channel_id}/{att.id}/{quote(att.filename)}"
        data: dict[str, Any] = {
            "id": str(att.id),
            "filename": att.filename,
            "size": len(att.data),
            "url": url,
            "proxy_url": url,
            "content_type": att.content_type,
        }
        if att.description:
            data["description"] = att.description
        return data

    def _message_json(self, msg: Message) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "author": self.users[msg.author_id].to_json(),
            "content": msg.content,
            "timestamp": msg.timestamp,
            "edited_timestamp": msg.edited_timestamp,
            "tts": msg.tts,
            "mention_everyone": False,
            "mentions": [
                self.users[u].to_json() for u in msg.mentioned_user_ids if u in self.users
            ],
            "mention_roles": [],
            "attachments": [self._attachment_json(msg.channel_id, a) for a in msg._attachments],
            "embeds": msg.embeds,
            "reactions": [
                {"emoji": {"id": None, "name": e}, "count": 1, "me": True, "count_details": {}}
                for e in msg.reactions
            ],
            "pinned": False,
            "type": msg.type,
            "flags": msg.flags,
            "components": msg.components,
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
            data["application_id"] = str(self.application_id)
        if msg.interaction is not None:
            data["interaction_metadata"] = msg.interaction
        if msg.nonce is not None:
            data["nonce"] = msg.nonce
        if msg.message_reference:
            data["message_reference"] = msg.message_reference
        return data

    # ------------------------------------------------------------- internals: messages

    def _make_attachments(self, files: list[tuple[str, bytes, str | None]]) -> list[Attachment]:
        return [
            Attachment(self._ids.next(), name, data, content_type=ctype)
            for name, data, ctype in files
        ]

    def _create_message(
        self,
        channel: Channel,
        payload: dict[str, Any],
        files: list[tuple[str, bytes, str | None]],
        *,
        type: int = 0,
        interaction: dict[str, Any] | None = None,
        webhook_id: int | None = None,
        author_id: int | None = None,
    ) -> Message:
        uploads = self._make_attachments(files)
        listed = payload.get("attachments")
        attachments = (
            resolve_attachments(listed, uploads, [], self._ids.next) if listed else uploads
        )
        msg = Message(
            id=self._ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=author_id or self.bot_user_id,
            payload=payload,
            attachments=attachments,
            type=type,
            interaction=interaction,
            webhook_id=webhook_id,
        )
        self.messages[msg.id] = msg
        self._channel_messages.setdefault(channel.id, []).append(msg.id)
        if not msg.ephemeral:
            channel.last_message_id = msg.id
            self._dispatch_message_event("MESSAGE_CREATE", msg)
        if not msg.flags & FLAG_LOADING:
            self._announce(msg)
        return msg

    def _edit_message(
        self, msg: Message, payload: dict[str, Any], files: list[tuple[str, bytes, str | None]]
    ) -> None:
        was_loading = bool(msg.flags & FLAG_LOADING)
        msg.apply_edit(payload, self._make_attachments(files), self._ids.next)
        if not msg.ephemeral:
            self._dispatch_message_event("MESSAGE_UPDATE", msg)
        if was_loading:
            # A deferred reply becomes visible to waiters once it has content.
            self._announce(msg)

    def _delete_message(self, msg: Message) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id:
                data["guild_id"] = str(msg.guild_id)
            self._dispatch(
                "MESSAGE_DELETE",
                data,
                intent=INTENT_GUILD_MESSAGES if msg.guild_id else INTENT_DIRECT_MESSAGES,
            )

    def _announce(self, msg: Message) -> None:
        for matches, fut in list(self._message_waiters):
            if not fut.done() and matches(msg):
                fut.set_result(msg)

    def _dispatch_message_event(self, event: str, msg: Message) -> None:
        # Only clients that asked for message events get them, as on Discord.
        intent = INTENT_GUILD_MESSAGES if msg.guild_id else INTENT_DIRECT_MESSAGES
        if any(s.intents & intent for s in self._live_sessions()):
            data = self._message_json(msg)
            if msg.guild_id:
                guild = self.guilds.get(msg.guild_id)
                member = guild.members.get(msg.author_id) if guild else None
                if member is not None:
                    data["member"] = member.to_json()
            self._dispatch(event, data, intent=intent)

    # ------------------------------------------------------------- internals: gateway

    def _live_sessions(self) -> list[GatewaySession]:
        return [s for s in self._sessions if s.identified and not s.closed]

    def _dispatch(self, event: str, data: Any, *, intent: int | None = None) -> None:
        guild_id = _event_guild(event, data)
        for session in self._live_sessions():
            if (intent is None or session.intents & intent) and session.handles(guild_id):
                session.dispatch(event, data)

    def _session_identified(self, session: GatewaySession) -> None:
        # The newest connection receives interactions, like a restarted bot would.
        if session in self._sessions:
            self._sessions.remove(session)
        self._sessions.append(session)
        self._connected.set()

    def _session_closed(self, session: GatewaySession) -> None:
        if session in self._sessions:
            self._sessions.remove(session)
        if not self._live_sessions():
            self._connected.clear()

    def _interaction_session(self, guild_id: int | None = None) -> GatewaySession:
        """The newest connection of the shard the interaction's server (or DM) belongs to."""
        live = [s for s in self._live_sessions() if s.handles(guild_id)]
        if not live:
            raise EmulatorError("no bot is connected to the gateway")
        return live[-1]

    # ------------------------------------------------------------- internals: REST guards

    def _failed_after(self, method: str, path: str) -> web.Response | None:
        """The injected error for a request already carried out, if a rule matches."""
        for rule in self._fail_after_rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.json is not None:
                    return json_response(rule.json, rule.status)
                if rule.status >= 500:
                    return json_response(
                        {"message": "Internal Server Error", "code": 0}, rule.status
                    )
                return error_response(rule.status, 0, HTTPStatus(rule.status).phrase)
        return None

    def _nonce_message(self, channel_id: int, payload: dict[str, Any]) -> Message | None:
        """Discord: with enforce_nonce, a nonce used by the same author in the same channel
        within the last few minutes returns that message instead of creating another."""
        nonce = payload.get("nonce")
        if nonce is None or not payload.get("enforce_nonce"):
            return None
        seen = self._nonces.get((self.bot_user_id, channel_id, str(nonce)))
        if seen is None or time.monotonic() - seen[1] > NONCE_WINDOW_SECONDS:
            return None
        return self.messages.get(seen[0])

    def _remember_nonce(self, message: Message, payload: dict[str, Any]) -> None:
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            now = time.monotonic()
            if len(self._nonces) > 10_000:
                self._nonces = {k: v for k, v in self._nonces.items()
                                if now - v[1] <= NONCE_WINDOW_SECONDS}
            key = (message.author_id, message.channel_id, str(nonce))
            self._nonces[key] = (message.id, now)

    def _check_rate_limits(self, method: str, path: str, is_bot_call: bool) -> web.Response | None:
        for rule in self._fail_rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.status == 429:
                    body = rule.json or {
                        "message": "You are being rate limited.",
                        "retry_after": rule.retry_after,
                        "global": False,
                    }
                    return json_response(
                        body, 429, headers=_rate_limit_headers(rule.retry_after, False)
                    )
                if rule.json is not None:
                    return json_response(rule.json, rule.status)
                if rule.status >= 500:
                    return json_response(
                        {"message": "Internal Server Error", "code": 0}, rule.status
                    )
                return error_response(rule.status, 0, HTTPStatus(rule.status).phrase)

        if self.global_rate_limit and is_bot_call:
            now = time.monotonic()
            while self._rate_window and now - self._rate_window[0] >= 1.0:
                self._rate_window.popleft()
            if len(self._rate_window) >= self.global_rate_limit:
                retry_after = round(max(0.001, 1.0 - (now - self._rate_window[0])), 3)
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": True,
                }
                return json_response(body, 429, headers=_rate_limit_headers(retry_after, True))
            self._rate_window.append(now)
        return None


def _event_guild(event: str, data: Any) -> int | None:
    """The server an event belongs to (None: not a server's, e.g. a DM), for its shard."""
    if not isinstance(data, dict):
        return None
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        return int(data["id"])
    guild_id = data.get("guild_id")
    return int(guild_id) if guild_id is not None else None


def _rate_limit_headers(retry_after: float, is_global: bool) -> dict[str, str]:
    # discord.py retries a 429 only when it carries a Via header (Discord's edge adds one).
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, int(retry_after + 0.999))),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return headers
