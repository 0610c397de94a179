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
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .actors import Actor, InteractionResult
from .events import Events
from .gateway import Gateway, GatewaySession
from .openapi import SpecViolation
from .rest import Context, RestApi
from .rest.faults import FailRule, Faults
from .state import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    SEND_MESSAGES,
    Attachment,
    Channel,
    EmulatorError,
    Guild,
    Member,
    Message,
    RecordedRequest,
    User,
)
from .store import Snowflakes, Store

__all__ = [
    "DiscordEmulator",
    "EmulatorError",
    "Guild",
    "Message",
    "RecordedRequest",
    "InteractionResult",
    "Actor",
]

API_PREFIX = "/api/v10"


class DiscordEmulator:
    """The test API over the layers: `store` (state and its changes), `events` (gateway
    dispatches), the REST resources, the gateway endpoint and the actors."""

    def __init__(
        self, *, bot_name: str = "Onward", validate_requests: bool = True, shard_count: int = 1
    ) -> None:
        self.store = Store(bot_name)
        self.events = Events(self.store)
        self._faults = Faults(validate_requests)
        self._rest_context = Context(
            self.store, self.events, self._faults, lambda: self.gateway_url, shard_count
        )
        self._rest = RestApi(self._rest_context)
        self._gateway = Gateway(self.events, lambda: self.gateway_url)
        self.application_id = self.store.application_id
        self.bot_user_id = self.store.bot_user_id
        self.app_owner_id = self.store.app_owner_id
        self.token = f"emulator.{secrets.token_urlsafe(24)}"
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.store.http_base = self.http_base

    # ------------------------------------------------------------------ server

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self._rest.serve_attachment
        )
        app.router.add_get("/", self._gateway.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.store.http_base = self.http_base

    async def stop(self) -> None:
        await self._gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.events.cancel_waiters()

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

    # ------------------------------------------------------------------ state and settings

    @property
    def users(self) -> dict[int, User]:
        return self.store.state.users

    @property
    def guilds(self) -> dict[int, Guild]:
        return self.store.state.guilds

    @property
    def channels(self) -> dict[int, Channel]:
        return self.store.state.channels

    @property
    def messages(self) -> dict[int, Message]:
        return self.store.state.messages

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._rest_context.requests

    @property
    def unknown_requests(self) -> list[RecordedRequest]:
        return self._rest_context.unknown_requests

    @property
    def spec_violations(self) -> list[SpecViolation]:
        """Requests whose body broke Discord's OpenAPI spec (each was refused with a 400)."""
        return self._faults.spec_violations

    @property
    def validate_requests(self) -> bool:
        return self._faults.validate_requests

    @validate_requests.setter
    def validate_requests(self, value: bool) -> None:
        self._faults.validate_requests = value

    @property
    def global_rate_limit(self) -> int | None:
        """Requests per second the bot may make outside interactions (None: no limit)."""
        return self._faults.global_rate_limit

    @global_rate_limit.setter
    def global_rate_limit(self, value: int | None) -> None:
        self._faults.global_rate_limit = value

    @property
    def interaction_deadline(self) -> float | None:
        """Seconds the bot has to acknowledge an interaction (Discord: 3). None = no limit."""
        return self._rest_context.interaction_deadline

    @interaction_deadline.setter
    def interaction_deadline(self, value: float | None) -> None:
        self._rest_context.interaction_deadline = value

    @property
    def shard_count(self) -> int:
        """What GET /gateway/bot recommends; each connection gets the servers of its shard."""
        return self._rest_context.shard_count

    @shard_count.setter
    def shard_count(self, value: int) -> None:
        self._rest_context.shard_count = value

    # Internals some tests and benchmarks reach for.

    @property
    def _ids(self) -> Snowflakes:
        return self.store.ids

    @property
    def _interactions(self) -> dict[str, InteractionResult]:
        return self.store.state.interactions

    @property
    def _channel_messages(self) -> dict[int, list[int]]:
        return self.store.state.channel_messages

    @property
    def _dm_channel_by_user(self) -> dict[int, int]:
        return self.store.state.dm_channel_by_user

    @property
    def _sessions(self) -> list[GatewaySession]:
        return self.events.sessions  # type: ignore[return-value]

    def _guild_create_payload(self, guild: Guild, *, joined: bool = False) -> dict[str, Any]:
        return self.store.guild_create_payload(guild, joined=joined)

    # ------------------------------------------------------------- arranging

    def add_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> int:
        return self.store.add_user(name, bot=bot, user_id=user_id)

    def add_guild(
        self, name: str, *, owner_id: int | None = None, guild_id: int | None = None,
        preferred_locale: str = "en-US",
    ) -> Guild:
        """A server with the bot in it. ``guild_id`` fixes its id (a kept database refers to
        it across runs); ids below the current time's snowflakes never collide.
        ``preferred_locale`` is the server's language in Discord (e.g. "es-419")."""
        guild = self.store.new_guild(name, owner_id, guild_id)
        guild.preferred_locale = preferred_locale
        self.events.guild_available(guild)
        return guild

    def set_preferred_locale(self, guild_id: int, locale: str) -> None:
        """An admin changes the server's language in Discord: GUILD_UPDATE follows."""
        guild = self.store.guild(guild_id)
        guild.preferred_locale = locale
        if guild.bot_present:
            self.events.dispatch("GUILD_UPDATE", self.store.guild_create_payload(guild))

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        topic: str | None = None,
        channel_id: int | None = None,
    ) -> int:
        guild = self.store.guild(guild_id)
        channel = self.store.new_channel(guild, name, topic=topic, channel_id=channel_id)
        self.events.channel_changed("CHANNEL_CREATE", channel)
        return channel.id

    def add_member(
        self,
        guild_id: int,
        user_id: int | None = None,
        name: str = "alice",
        admin: bool = False,
        manage_guild: bool = False,
    ) -> int:
        guild = self.store.guild(guild_id)
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
            self.events.member_changed("GUILD_MEMBER_ADD", guild, member)
        else:
            member.role_ids.extend(r for r in roles if r not in member.role_ids)
        return user_id

    def _role_with(self, guild: Guild, name: str, permissions: int) -> int:
        role, created = self.store.role_with(guild, name, permissions)
        if created:
            self.events.role_changed("GUILD_ROLE_CREATE", guild, role)
        return role.id

    def add_role(
        self, guild_id: int, name: str, permissions: int = 0, *, members: tuple[int, ...] = ()
    ) -> int:
        """A new role (above the others), given to `members`. Dispatches GUILD_ROLE_CREATE."""
        guild = self.store.guild(guild_id)
        role = self.store.new_role(guild, name, permissions)
        self.events.role_changed("GUILD_ROLE_CREATE", guild, role)
        for user_id in members:
            self.give_role(guild_id, user_id, role.id)
        return role.id

    def give_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Add a role to a member. Dispatches GUILD_MEMBER_UPDATE."""
        guild = self.store.guild(guild_id)
        member = guild.members[user_id]
        if role_id not in member.role_ids:
            member.role_ids.append(role_id)
        self.events.member_changed("GUILD_MEMBER_UPDATE", guild, member)

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """Change a role's server-wide permissions (the @everyone role's id is the server's;
        the bot's managed role is `guilds[id].bot_role_id`). Dispatches GUILD_ROLE_UPDATE."""
        guild = self.store.guild(guild_id)
        role = guild.roles[role_id]
        role.permissions = permissions
        self.events.role_changed("GUILD_ROLE_UPDATE", guild, role)

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a server channel, computed as Discord does: @everyone,
        their roles, the channel's overwrites (@everyone, roles, member), implicit losses."""
        return self.store.permissions_in(self.store.channel(channel_id), user_id)

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
        channel = self.store.channel(channel_id)
        self.store.set_overwrite(channel, target_id, allow, deny, type)
        self.events.channel_changed("CHANNEL_UPDATE", channel)

    async def delete_channel(self, channel_id: int) -> None:
        channel = self.store.channel(channel_id)
        self.store.delete_channel(channel)
        self.events.channel_changed("CHANNEL_DELETE", channel)
        await self.drain()

    async def remove_bot_from_guild(self, guild_id: int) -> None:
        guild = self.store.guild(guild_id)
        self.store.remove_bot(guild)
        self.events.guild_left(guild)
        await self.drain()

    async def add_bot_to_guild(self, guild_id: int) -> None:
        guild = self.store.guild(guild_id)
        self.store.add_bot(guild)
        self.events.guild_available(guild)
        await self.drain()

    def set_dms_closed(self, user_id: int, closed: bool = True) -> None:
        self.store.set_dms_closed(user_id, closed)

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
        return self._faults.fail_next(method, path_regex, status, times, json, retry_after)

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
        return self._faults.fail_after_create(method, path_regex, status, times, json)

    def dispatch_raw(self, event: str, payload: Any) -> None:
        """Send a gateway DISPATCH of ``event`` with ``payload`` exactly as given (malformed
        payloads included) to every connected bot. ``await emu.drain()`` to flush it."""
        self.events.dispatch(event, payload)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every client: discord.py then reconnects and RESUMEs."""
        for session in self.events.live_sessions():
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
            guild = self.store.guild(guild_id)
            if user_id not in guild.members:
                raise EmulatorError(f"user {user_id} is not a member of guild {guild_id}")
            if channel_id is None:
                if not guild.channel_ids:
                    raise EmulatorError(f"guild {guild_id} has no channels; add_channel first")
                channel_id = guild.channel_ids[0]
        else:
            channel_id = self.store.dm_channel(user_id).id
        return Actor(
            self.store, self.events, user_id, guild_id, channel_id, locale=locale, timeout=timeout
        )

    def upload(
        self, filename: str, data: bytes, *, content_type: str | None = None
    ) -> Attachment:
        """A file a member attaches to a slash command: pass it as the value of an attachment
        option (``actor.slash("apply import", file=emu.upload(...))``). It arrives in
        ``data.resolved.attachments`` with a ``url`` on this emulator, which serves the bytes."""
        return Attachment(self.store.ids.next(), filename, bytes(data), content_type=content_type)

    # ------------------------------------------------------------- reading

    def channel_messages(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[Message]:
        """Messages the bot posted in a channel, oldest first, with edits applied."""
        return self.store.channel_messages(
            channel_id, include_ephemeral=include_ephemeral, include_deleted=include_deleted
        )

    def dm_messages(self, user_id: int, **kwargs: bool) -> list[Message]:
        cid = self.store.state.dm_channel_by_user.get(user_id)
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
            if dm_user_id is not None and msg.channel_id != self.store.state.dm_channel_by_user.get(
                dm_user_id
            ):
                return False
            return predicate is None or bool(predicate(msg))

        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        entry = (matches, fut)
        self.events.message_waiters.append(entry)

        async def wait() -> Message:
            try:
                return await asyncio.wait_for(fut, timeout)
            finally:
                if entry in self.events.message_waiters:
                    self.events.message_waiters.remove(entry)

        return wait()

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return self.store.registered_commands(guild_id)

    def assert_no_spec_violations(self) -> None:
        """Fail (AssertionError listing each) if any request broke Discord's spec."""
        if self.spec_violations:
            found = "\n".join(f"  {v}" for v in self.spec_violations)
            raise AssertionError(
                f"{len(self.spec_violations)} request(s) broke Discord's API spec:\n{found}")

    @property
    def connected(self) -> bool:
        return bool(self.events.live_sessions())

    async def wait_for_connection(self, timeout: float = 5.0) -> None:
        """Wait until a bot has identified (or resumed) on the gateway."""
        await asyncio.wait_for(self.events.connected.wait(), timeout)

    async def drain(self) -> None:
        """Wait until every queued gateway frame has been written to the sockets."""
        await self.events.drain()
