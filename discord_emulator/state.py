"""In-memory model of the Discord objects the emulator serves (the lowest layer).

Everything here is plain data plus each object's own JSON shape; no I/O, no ids handed out,
no permission arithmetic (that is `store`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = 0x1F7FFFFFFFFFFF  # discord.Permissions.all() in discord.py 2.7

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS
# Lost with SEND_MESSAGES in a channel, whatever grants them (Discord's implicit permissions).
NEEDS_SEND_MESSAGES = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Channel types.
GUILD_TEXT = 0
DM = 1


class EmulatorError(Exception):
    """Misuse of the emulator by a test (unknown command, disabled button, ...)."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    global_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "bot": self.bot,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        return data


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        tags = {"bot_id": str(self.bot_id)} if self.bot_id else {}
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
            "tags": tags,
        }


@dataclass
class Member:
    user_id: int
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=now_iso)
    nick: str | None = None

    def to_json(self, user: User | None = None, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if user is not None:
            data["user"] = user.to_json()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class Channel:
    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_id: int | None = None  # DM channels only
    last_message_id: int | None = None
    deleted: bool = False

    def to_json(self, recipient: User | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": 0,
        }
        if self.type == DM:
            data["recipients"] = [recipient.to_json()] if recipient else []
            return data
        data.update(
            {
                "guild_id": str(self.guild_id),
                "name": self.name,
                "position": self.position,
                "parent_id": None,
                "topic": self.topic,
                "nsfw": False,
                "rate_limit_per_user": 0,
                "permission_overwrites": [o.to_json() for o in self.overwrites.values()],
            }
        )
        return data


@dataclass
class Guild:
    """A server. Returned by ``DiscordEmulator.add_guild``; ``.id`` is what tests need."""

    id: int
    name: str
    owner_id: int
    bot_role_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    bot_present: bool = True
    joined_at: str = field(default_factory=now_iso)
    preferred_locale: str = "en-US"     # the server's language in Discord

    @property
    def everyone_role_id(self) -> int:
        return self.id

    def to_json(self, users: dict[int, User], channels: list[Channel]) -> dict[str, Any]:
        """The GUILD_CREATE shape (GET /guilds/{id} uses a subset)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.preferred_locale,
            "vanity_url_code": None,
            "features": [],
            "roles": [r.to_json() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "joined_at": self.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [m.to_json(users[m.user_id]) for m in self.members.values()],
            "channels": [c.to_json() for c in channels],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    description: str | None = None
    content_type: str | None = None


def iter_components(components: list[dict[str, Any]]):
    """Walk every component, including ones nested in rows, containers, sections, labels."""
    for comp in components or []:
        yield comp
        yield from iter_components(comp.get("components") or [])
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                yield from iter_components([child])


class Message:
    """A message the bot sent (channel post, DM, interaction reply or follow-up).

    Mutable: edits are applied in place and every version is kept in ``history``.
    """

    def __init__(
        self,
        *,
        id: int,
        channel_id: int,
        guild_id: int | None,
        author_id: int,
        payload: dict[str, Any],
        attachments: list[Attachment],
        type: int = 0,
        interaction: dict[str, Any] | None = None,
        webhook_id: int | None = None,
    ) -> None:
        self.id = id
        self.channel_id = channel_id
        self.guild_id = guild_id
        self.author_id = author_id
        self.type = type
        self.interaction = interaction  # interaction_metadata for interaction replies
        self.webhook_id = webhook_id
        self.timestamp = now_iso()
        self.edited_timestamp: str | None = None
        self.deleted = False
        self.content: str = payload.get("content") or ""
        self.embeds: list[dict[str, Any]] = list(payload.get("embeds") or [])
        self.components: list[dict[str, Any]] = list(payload.get("components") or [])
        self.allowed_mentions: dict[str, Any] | None = payload.get("allowed_mentions")
        self.flags: int = int(payload.get("flags") or 0)
        self.tts: bool = bool(payload.get("tts", False))
        self.nonce = payload.get("nonce")
        self.message_reference = payload.get("message_reference")
        self._attachments = attachments
        self.reactions: list[str] = []  # emoji the bot reacted with
        self.history: list[dict[str, Any]] = [self.snapshot()]

    # -- convenient read access -------------------------------------------------

    @property
    def attachments(self) -> list[tuple[str, bytes]]:
        return [(a.filename, a.data) for a in self._attachments]

    @property
    def stored_attachments(self) -> list[Attachment]:
        return self._attachments

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def edits(self) -> list[dict[str, Any]]:
        """One snapshot per edit, oldest first (``history[0]`` is the original)."""
        return self.history[1:]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [
            {
                "label": c.get("label"),
                "custom_id": c.get("custom_id"),
                "style": c.get("style"),
                "disabled": bool(c.get("disabled", False)),
                "url": c.get("url"),
                "emoji": c.get("emoji"),
            }
            for c in iter_components(self.components)
            if c.get("type") == 2
        ]

    @property
    def selects(self) -> list[dict[str, Any]]:
        return [c for c in iter_components(self.components) if c.get("type") in (3, 5, 6, 7, 8)]

    @property
    def mentioned_user_ids(self) -> list[int]:
        """Users this message would actually ping, honouring allowed_mentions."""
        ids = [int(m) for m in re.findall(r"<@!?(\d+)>", self.content)]
        am = self.allowed_mentions
        if am is None:
            return ids
        if "users" in (am.get("parse") or []):
            return ids
        allowed = {int(u) for u in am.get("users") or []}
        return [i for i in ids if i in allowed]

    def snapshot(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "embeds": list(self.embeds),
            "components": copy.deepcopy(self.components),
            "flags": self.flags,
            "attachments": [a.filename for a in self._attachments],
            "edited_timestamp": self.edited_timestamp,
        }

    # -- mutation -----------------------------------------------------------------

    def apply_edit(self, payload: dict[str, Any], new_files: list[Attachment], next_id) -> None:
        if "content" in payload:
            self.content = payload["content"] or ""
        if "embeds" in payload:
            self.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            self.components = list(payload["components"] or [])
        if "allowed_mentions" in payload:
            self.allowed_mentions = payload["allowed_mentions"]
        if "flags" in payload and payload["flags"] is not None:
            # Edits cannot toggle ephemeral; any edit ends the "thinking" state.
            self.flags = (self.flags & FLAG_EPHEMERAL) | (
                int(payload["flags"]) & ~(FLAG_EPHEMERAL | FLAG_LOADING)
            )
        self.flags &= ~FLAG_LOADING
        if "attachments" in payload and payload["attachments"] is not None:
            self._attachments = resolve_attachments(
                payload["attachments"], new_files, self._attachments, next_id
            )
        elif new_files:
            self._attachments = self._attachments + new_files
        self.edited_timestamp = now_iso()
        self.history.append(self.snapshot())

    def __repr__(self) -> str:
        return (
            f"<Message id={self.id} channel_id={self.channel_id} "
            f"content={self.content!r} flags={self.flags}>"
        )


def resolve_attachments(
    listed: list[dict[str, Any]],
    uploaded: list[Attachment],
    existing: list[Attachment],
    next_id,
) -> list[Attachment]:
    """Map an ``attachments`` payload to stored attachments.

    New files are listed by their upload index (``files[n]``); kept ones by their id.
    """
    by_id = {a.id: a for a in existing}
    result: list[Attachment] = []
    for entry in listed:
        ref = int(entry.get("id", -1))
        if ref in by_id:
            result.append(by_id[ref])
        elif 0 <= ref < len(uploaded):
            att = uploaded[ref]
            if entry.get("filename"):
                att.filename = entry["filename"]
            att.description = entry.get("description")
            result.append(att)
    listed_uploads = {int(e.get("id", -1)) for e in listed}
    # Files uploaded but not listed are still attached, as Discord does.
    result.extend(a for i, a in enumerate(uploaded) if i not in listed_uploads)
    return result


@dataclass
class RecordedRequest:
    """One REST call as the emulator saw it. ``path`` is relative to ``api_base``."""

    method: str
    path: str
    json: Any
    time: float
    query: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    status: int | None = None


class State:
    """Every object the emulator knows, by id. Changed only through `store.Store`."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.dm_channel_by_user: dict[int, int] = {}
        self.dms_closed: set[int] = set()
        # Registered application commands: id -> definition as the bot PUT it (plus ids).
        self.global_commands: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}
        # Interactions sent to the bot, by token (values: interactions.InteractionResult).
        self.interactions: dict[str, Any] = {}
