"""Channels and their messages: post (with nonces), list, get, edit, delete, react."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ..state import (
    ATTACH_FILES,
    DM,
    EMBED_LINKS,
    FLAG_EPHEMERAL,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    Message,
)
from .context import CID, MID, Resource, Route
from .responses import Req, error_response, json_response, no_content
from .validation import validate_message


class Channels(Resource):
    def routes(self) -> list[Route]:
        reaction = rf"/channels/{CID}/messages/{MID}/reactions/(?P<emoji>[^/]+)/@me"
        return [
            ("GET", rf"/channels/{CID}", self.get_channel),
            ("POST", rf"/channels/{CID}/messages", self.post_message),
            ("GET", rf"/channels/{CID}/messages", self.list_messages),
            ("GET", rf"/channels/{CID}/messages/{MID}", self.get_message),
            ("PATCH", rf"/channels/{CID}/messages/{MID}", self.edit_message),
            ("DELETE", rf"/channels/{CID}/messages/{MID}", self.delete_message),
            ("PUT", reaction, self.react),
            ("DELETE", reaction, self.unreact),
            ("POST", rf"/channels/{CID}/typing", self.typing),
        ]

    def _readable_channel(self, cid: str) -> tuple[Channel | None, web.Response | None]:
        channel = self.store.state.channels.get(int(cid))
        if channel is None or channel.deleted:
            return None, error_response(404, 10003, "Unknown Channel")
        if channel.guild_id is not None:
            guild = self.store.state.guilds[channel.guild_id]
            if not guild.bot_present or not self.store.bot_permissions(channel) & VIEW_CHANNEL:
                return None, error_response(403, 50001, "Missing Access")
        return channel, None

    async def get_channel(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return problem
        assert channel is not None
        return json_response(self.store.channel_json(channel))

    async def post_message(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return problem
        assert channel is not None
        if channel.type == DM:
            recipient = (self.store.state.users.get(channel.recipient_id)
                         if channel.recipient_id is not None else None)
            closed = channel.recipient_id in self.store.state.dms_closed
            if closed or recipient is None or recipient.bot:
                return error_response(403, 50007, "Cannot send messages to this user")
        else:
            perms = self.store.bot_permissions(channel)
            if not perms & SEND_MESSAGES or (req.files and not perms & ATTACH_FILES):
                return error_response(403, 50013, "Missing Permissions")
            if (req.json or {}).get("embeds") and not perms & EMBED_LINKS:
                return error_response(403, 50013, "Missing Permissions")
        payload = req.json or {}
        problem = validate_message(payload, req.files)
        if problem is not None:
            return problem
        if payload.get("flags", 0) & FLAG_EPHEMERAL:
            return error_response(400, 50035, "Invalid Form Body")
        earlier_id = self.faults.nonce_message(self.store.bot_user_id, channel.id, payload)
        earlier = self.store.state.messages.get(earlier_id) if earlier_id is not None else None
        if earlier is not None:
            return json_response(self.store.message_json(earlier))
        message = self.events.create_message(
            channel, payload, req.files, type=19 if payload.get("message_reference") else 0
        )
        self.faults.remember_nonce(message, payload)
        return json_response(self.store.message_json(message))

    async def list_messages(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return problem
        assert channel is not None
        messages = self.store.channel_messages(channel.id)
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        if "before" in req.query:
            messages = [m for m in messages if m.id < int(req.query["before"])]
        if "after" in req.query:
            messages = [m for m in messages if m.id > int(req.query["after"])]
            messages = messages[:limit]
        if "around" in req.query:
            around = int(req.query["around"])
            older = [m for m in messages if m.id <= around][-(limit // 2 + 1) :]
            newer = [m for m in messages if m.id > around][: limit - len(older)]
            messages = older + newer
        # Discord returns newest first.
        newest_first = list(reversed(messages))[:limit]
        return json_response([self.store.message_json(m) for m in newest_first])

    def _readable_message(self, cid: str, mid: str) -> tuple[Message | None, web.Response | None]:
        """A message the bot may see in that channel, or the error Discord would answer."""
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return None, problem
        assert channel is not None
        msg = self.store.state.messages.get(int(mid))
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
            return None, error_response(404, 10008, "Unknown Message")
        return msg, None

    async def get_message(self, req: Req, cid: str, mid: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        return json_response(self.store.message_json(msg))

    async def edit_message(self, req: Req, cid: str, mid: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        if msg.author_id != self.store.bot_user_id:
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        problem = validate_message(req.json or {}, req.files, partial=True)
        if problem is not None:
            return problem
        self.events.edit_message(msg, req.json or {}, req.files)
        return json_response(self.store.message_json(msg))

    async def delete_message(self, req: Req, cid: str, mid: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        self.events.delete_message(msg)
        return no_content()

    async def react(self, req: Req, cid: str, mid: str, emoji: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        name = unquote(emoji)
        if name not in msg.reactions:
            msg.reactions.append(name)
        return no_content()

    async def unreact(self, req: Req, cid: str, mid: str, emoji: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        name = unquote(emoji)
        if name in msg.reactions:
            msg.reactions.remove(name)
        return no_content()

    async def typing(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        return problem or no_content()
