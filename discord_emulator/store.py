"""Changes to the state: ids, arranging objects, creating/editing/deleting messages,
permissions, and the JSON shapes that need more than one object. Dispatches nothing
(that is `events`)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from .state import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BOT_ROLE_PERMISSIONS,
    DISCORD_EPOCH_MS,
    DM,
    EVERYONE_PERMISSIONS,
    FLAG_LOADING,
    GUILD_TEXT,
    NEEDS_SEND_MESSAGES,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Attachment,
    Channel,
    EmulatorError,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    State,
    User,
    resolve_attachments,
)


class Snowflakes:
    """Time-based, strictly increasing ids, like Discord's."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        # Strictly increasing even within one millisecond or if the clock moves back.
        value = max(value, self._last + 1)
        self._last = value
        return value


def base_permissions(guild: Guild, user_id: int) -> int:
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Discord's documented overwrite algorithm: @everyone, then roles, then member."""
    perms = base_permissions(guild, user_id)
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    everyone = channel.overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        ow = channel.overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = channel.overwrites.get(user_id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    if not perms & SEND_MESSAGES:
        perms &= ~NEEDS_SEND_MESSAGES
    return perms if perms & VIEW_CHANNEL else 0


class Store:
    """The state plus the operations that change it."""

    def __init__(self, bot_name: str = "Onward") -> None:
        self.state = State()
        self.ids = Snowflakes()
        self.application_id = self.ids.next()
        # Modern applications share their id with their bot user.
        self.bot_user_id = self.application_id
        self.state.users[self.bot_user_id] = User(self.bot_user_id, bot_name, bot=True)
        self.app_owner_id = self.add_user("app-owner")
        # Where attachments are served (the front sets it once the server listens).
        self.http_base = ""

    # ------------------------------------------------------------- arranging

    def add_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> int:
        uid = user_id or self.ids.next()
        self.state.users[uid] = User(uid, name, bot=bot)
        return uid

    def new_guild(self, name: str, owner_id: int | None, guild_id: int | None) -> Guild:
        gid = guild_id or self.ids.next()
        owner_id = owner_id or self.add_user(f"{name}-owner")
        bot_role = Role(
            self.ids.next(),
            self.state.users[self.bot_user_id].name,
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
        self.state.guilds[gid] = guild
        return guild

    def new_channel(
        self, guild: Guild, name: str, *, topic: str | None, channel_id: int | None
    ) -> Channel:
        cid = channel_id or self.ids.next()
        channel = Channel(
            cid, GUILD_TEXT, name, guild.id, position=len(guild.channel_ids), topic=topic
        )
        self.state.channels[cid] = channel
        guild.channel_ids.append(cid)
        self.state.channel_messages[cid] = []
        return channel

    def new_role(self, guild: Guild, name: str, permissions: int) -> Role:
        role = Role(self.ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def set_overwrite(
        self, channel: Channel, target_id: int, allow: int, deny: int, type: int | None
    ) -> None:
        guild = self.guild(channel.guild_id)
        if type is None:
            type = 0 if target_id in guild.roles else 1
        if allow == 0 and deny == 0:
            channel.overwrites.pop(target_id, None)
        else:
            channel.overwrites[target_id] = Overwrite(target_id, type, allow, deny)

    def delete_channel(self, channel: Channel) -> None:
        channel.deleted = True
        guild = self.state.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is not None:
            guild.channel_ids.remove(channel.id)

    def remove_bot(self, guild: Guild) -> None:
        guild.bot_present = False
        guild.members.pop(self.bot_user_id, None)

    def add_bot(self, guild: Guild) -> None:
        guild.bot_present = True
        guild.members[self.bot_user_id] = Member(self.bot_user_id, [guild.bot_role_id])

    def set_dms_closed(self, user_id: int, closed: bool) -> None:
        if closed:
            self.state.dms_closed.add(user_id)
        else:
            self.state.dms_closed.discard(user_id)

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        return channel_permissions(self.guild(channel.guild_id), channel, user_id)

    # ------------------------------------------------------------- reading

    def channel_messages(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[Message]:
        """Messages the bot posted in a channel, oldest first, with edits applied."""
        result = []
        for mid in self.state.channel_messages.get(channel_id, []):
            msg = self.state.messages[mid]
            if (msg.ephemeral and not include_ephemeral) or (msg.deleted and not include_deleted):
                continue
            result.append(msg)
        return result

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        store = (
            self.state.global_commands
            if guild_id is None
            else self.state.guild_commands.get(guild_id, {})
        )
        return list(store.values())

    def find_attachment(self, attachment_id: int) -> Attachment | None:
        """A stored file by id: on a message, or given as an interaction's option."""
        for msg in self.state.messages.values():
            for att in msg.stored_attachments:
                if att.id == attachment_id:
                    return att
        for res in self.state.interactions.values():
            att = res.option_attachments.get(attachment_id)
            if att is not None:
                return att
        return None

    # ------------------------------------------------------------- lookups

    def guild(self, guild_id: int | None) -> Guild:
        guild = self.state.guilds.get(int(guild_id)) if guild_id is not None else None
        if guild is None:
            raise EmulatorError(f"unknown guild {guild_id}")
        return guild

    def channel(self, channel_id: int) -> Channel:
        channel = self.state.channels.get(int(channel_id))
        if channel is None:
            raise EmulatorError(f"unknown channel {channel_id}")
        return channel

    def role_with(self, guild: Guild, name: str, permissions: int) -> tuple[Role, bool]:
        """The guild's role of that name and permissions, and whether it was created now."""
        for role in guild.roles.values():
            if role.name == name and role.permissions == permissions:
                return role, False
        return self.new_role(guild, name, permissions), True

    def dm_channel(self, user_id: int) -> Channel:
        cid = self.state.dm_channel_by_user.get(user_id)
        if cid is None:
            cid = self.ids.next()
            self.state.channels[cid] = Channel(cid, DM, recipient_id=user_id)
            self.state.channel_messages[cid] = []
            self.state.dm_channel_by_user[user_id] = cid
        return self.state.channels[cid]

    def visible_guilds(self) -> list[Guild]:
        return [g for g in self.state.guilds.values() if g.bot_present]

    def guild_channels(self, guild: Guild) -> list[Channel]:
        return [self.state.channels[c] for c in guild.channel_ids]

    def bot_permissions(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return EVERYONE_PERMISSIONS
        return channel_permissions(self.state.guilds[channel.guild_id], channel, self.bot_user_id)

    def commands_for(self, guild_id: int | None) -> list[dict[str, Any]]:
        """Commands visible in a place: guild ones first (they shadow global ones)."""
        result: list[dict[str, Any]] = []
        if guild_id is not None:
            result.extend(self.state.guild_commands.get(guild_id, {}).values())
        result.extend(self.state.global_commands.values())
        return result

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        recipient = self.state.users.get(channel.recipient_id) if channel.recipient_id else None
        return channel.to_json(recipient)

    def guild_create_payload(self, guild: Guild, *, joined: bool = False) -> dict[str, Any]:
        data = guild.to_json(self.state.users, self.guild_channels(guild))
        if joined:
            # A fresh join has no "unavailable" key; that is how clients tell joins
            # apart from guilds becoming available after READY.
            del data["unavailable"]
        return data

    def application_json(self) -> dict[str, Any]:
        bot = self.state.users[self.bot_user_id]
        return {
            "id": str(self.application_id),
            "name": bot.name,
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.state.users[self.app_owner_id].to_json(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": bot.to_json(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "integration_types_config": {"0": {}, "1": {}},
            "approximate_guild_count": len(self.visible_guilds()),
        }

    def attachment_json(self, channel_id: int, att: Attachment) -> dict[str, Any]:
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

    def message_json(self, msg: Message) -> dict[str, Any]:
        users = self.state.users
        data: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "author": self.state.users[msg.author_id].to_json(),
            "content": msg.content,
            "timestamp": msg.timestamp,
            "edited_timestamp": msg.edited_timestamp,
            "tts": msg.tts,
            "mention_everyone": False,
            "mentions": [
                users[u].to_json() for u in msg.mentioned_user_ids if u in users
            ],
            "mention_roles": [],
            "attachments": [
                self.attachment_json(msg.channel_id, a) for a in msg.stored_attachments
            ],
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

    def make_attachments(self, files: list[tuple[str, bytes, str | None]]) -> list[Attachment]:
        return [
            Attachment(self.ids.next(), name, data, content_type=ctype)
            for name, data, ctype in files
        ]

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
        uploads = self.make_attachments(files)
        listed = payload.get("attachments")
        attachments = (
            resolve_attachments(listed, uploads, [], self.ids.next) if listed else uploads
        )
        msg = Message(
            id=self.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=author_id or self.bot_user_id,
            payload=payload,
            attachments=attachments,
            type=type,
            interaction=interaction,
            webhook_id=webhook_id,
        )
        self.state.messages[msg.id] = msg
        self.state.channel_messages.setdefault(channel.id, []).append(msg.id)
        if not msg.ephemeral:
            channel.last_message_id = msg.id
        return msg

    def edit_message(
        self, msg: Message, payload: dict[str, Any], files: list[tuple[str, bytes, str | None]]
    ) -> bool:
        """Apply an edit; True when it ended a deferred reply's "thinking" state."""
        was_loading = bool(msg.flags & FLAG_LOADING)
        msg.apply_edit(payload, self.make_attachments(files), self.ids.next)
        return was_loading

    def delete_message(self, msg: Message) -> None:
        msg.deleted = True
