"""What the gateway dispatches when the state changes, per shard, and who hears about it.

Sessions register here (the `gateway` layer above owns the sockets); this layer only needs
each one's `identified`, `closed`, `intents`, `shard`, `dispatch()` and `drain()`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from .state import FLAG_LOADING, Channel, EmulatorError, Guild, Member, Message, Role
from .store import Store

INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12


class Session(Protocol):
    identified: bool
    closed: bool
    intents: int
    shard: tuple[int, int]

    def dispatch(self, event: str, data: Any) -> None: ...

    def send(self, op: int, d: Any = None, t: str | None = None) -> None: ...

    async def drain(self) -> None: ...


def shard_handles(shard: tuple[int, int], guild_id: int | None) -> bool:
    """Whether a connection of `shard` receives the server's events (DMs: shard 0)."""
    shard_id, count = shard
    if guild_id is None:
        return shard_id == 0
    return (guild_id >> 22) % count == shard_id


def event_guild(event: str, data: Any) -> int | None:
    """The server an event belongs to (None: not a server's, e.g. a DM), for its shard."""
    if not isinstance(data, dict):
        return None
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        return int(data["id"])
    guild_id = data.get("guild_id")
    return int(guild_id) if guild_id is not None else None


class Events:
    """Connected sessions, dispatching to them, and test-side waiters for bot messages."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions: list[Session] = []
        # Session id -> shard, so that a RESUME lands on the shard it identified for.
        self.shards_by_session: dict[str, tuple[int, int]] = {}
        self.message_waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []
        self.connected = asyncio.Event()

    # ------------------------------------------------------------- sessions

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.identified and not s.closed]

    def session_opened(self, session: Session) -> None:
        self.sessions.append(session)

    def session_identified(self, session: Session) -> None:
        # The newest connection receives interactions, like a restarted bot would.
        if session in self.sessions:
            self.sessions.remove(session)
        self.sessions.append(session)
        self.connected.set()

    def session_closed(self, session: Session) -> None:
        if session in self.sessions:
            self.sessions.remove(session)
        if not self.live_sessions():
            self.connected.clear()

    def interaction_session(self, guild_id: int | None = None) -> Session:
        """The newest connection of the shard the interaction's server (or DM) belongs to."""
        live = [s for s in self.live_sessions() if shard_handles(s.shard, guild_id)]
        if not live:
            raise EmulatorError("no bot is connected to the gateway")
        return live[-1]

    async def drain(self) -> None:
        for session in list(self.sessions):
            await session.drain()

    def cancel_waiters(self) -> None:
        for _, fut in self.message_waiters:
            fut.cancel()
        self.message_waiters.clear()

    # ------------------------------------------------------------- dispatching

    def dispatch(self, event: str, data: Any, *, intent: int | None = None) -> None:
        guild_id = event_guild(event, data)
        for session in self.live_sessions():
            if (intent is None or session.intents & intent) and shard_handles(
                session.shard, guild_id
            ):
                session.dispatch(event, data)

    def guild_available(self, guild: Guild) -> None:
        self.dispatch("GUILD_CREATE", self.store.guild_create_payload(guild, joined=True))

    def guild_left(self, guild: Guild) -> None:
        self.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    def channel_changed(self, event: str, channel: Channel) -> None:
        """CHANNEL_CREATE / _UPDATE / _DELETE, when the bot is in the channel's server."""
        guild = self.store.state.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is not None and guild.bot_present:
            self.dispatch(event, channel.to_json())

    def role_changed(self, event: str, guild: Guild, role: Role) -> None:
        """GUILD_ROLE_CREATE / _UPDATE."""
        if guild.bot_present:
            self.dispatch(event, {"guild_id": str(guild.id), "role": role.to_json()})

    def member_changed(self, event: str, guild: Guild, member: Member) -> None:
        """GUILD_MEMBER_ADD / _UPDATE, to clients with the members intent."""
        if guild.bot_present:
            user = self.store.state.users[member.user_id]
            data = member.to_json(user) | {"guild_id": str(guild.id)}
            self.dispatch(event, data, intent=INTENT_GUILD_MEMBERS)

    # ------------------------------------------------------------- messages

    def create_message(
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
        """The store's new message, then MESSAGE_CREATE and the waiters."""
        msg = self.store.create_message(
            channel,
            payload,
            files,
            type=type,
            interaction=interaction,
            webhook_id=webhook_id,
            author_id=author_id,
        )
        if not msg.ephemeral:
            self._dispatch_message_event("MESSAGE_CREATE", msg)
        if not msg.flags & FLAG_LOADING:
            self.announce(msg)
        return msg

    def edit_message(
        self, msg: Message, payload: dict[str, Any], files: list[tuple[str, bytes, str | None]]
    ) -> None:
        was_loading = self.store.edit_message(msg, payload, files)
        if not msg.ephemeral:
            self._dispatch_message_event("MESSAGE_UPDATE", msg)
        if was_loading:
            # A deferred reply becomes visible to waiters once it has content.
            self.announce(msg)

    def delete_message(self, msg: Message) -> None:
        self.store.delete_message(msg)
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id:
                data["guild_id"] = str(msg.guild_id)
            self.dispatch(
                "MESSAGE_DELETE",
                data,
                intent=INTENT_GUILD_MESSAGES if msg.guild_id else INTENT_DIRECT_MESSAGES,
            )

    def announce(self, msg: Message) -> None:
        for matches, fut in list(self.message_waiters):
            if not fut.done() and matches(msg):
                fut.set_result(msg)

    def _dispatch_message_event(self, event: str, msg: Message) -> None:
        # Only clients that asked for message events get them, as on Discord.
        intent = INTENT_GUILD_MESSAGES if msg.guild_id else INTENT_DIRECT_MESSAGES
        if any(s.intents & intent for s in self.live_sessions()):
            data = self.store.message_json(msg)
            if msg.guild_id:
                guild = self.store.state.guilds.get(msg.guild_id)
                member = guild.members.get(msg.author_id) if guild else None
                if member is not None:
                    data["member"] = member.to_json()
            self.dispatch(event, data, intent=intent)
