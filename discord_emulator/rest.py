"""The REST API: route table, request parsing/recording and handlers."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from . import openapi
from .state import (
    ATTACH_FILES,
    DM,
    EMBED_LINKS,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    EmulatorError,
    Message,
    RecordedRequest,
    iter_components,
)

if TYPE_CHECKING:
    from .actors import InteractionResult
    from .emulator import DiscordEmulator

log = logging.getLogger(__name__)

FLAG_COMPONENTS_V2 = 1 << 15
COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py parses bodies only when Content-Type is exactly application/json.
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def error_response(
    status: int, code: int, message: str, errors: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


def no_content() -> web.Response:
    return web.Response(status=204)


class FormErrors:
    """Collects field errors in Discord's nested ``errors`` shape (code 50035)."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def response(self) -> web.Response | None:
        if not self.errors:
            return None
        return error_response(400, 50035, "Invalid Form Body", self.errors)


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes, str | None]] = field(default_factory=list)


Handler = Callable[..., Awaitable[web.Response]]


class RestApi:
    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        snowflake = r"(?P<{}>\d+)"
        cid, gid, uid, mid = (snowflake.format(n) for n in ("cid", "gid", "uid", "mid"))
        app = r"(?P<app>\d+)"
        token = r"(?P<token>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self.get_me),
            ("GET", rf"/users/{uid}", self.get_user),
            ("POST", r"/users/@me/channels", self.create_dm),
            ("GET", r"/oauth2/applications/@me", self.get_application),
            ("GET", r"/applications/@me", self.get_application),
            ("GET", r"/gateway", self.get_gateway),
            ("GET", r"/gateway/bot", self.get_gateway_bot),
            ("GET", rf"/applications/{app}/commands", self.get_commands),
            ("PUT", rf"/applications/{app}/commands", self.put_commands),
            ("POST", rf"/applications/{app}/commands", self.post_command),
            ("GET", rf"/applications/{app}/guilds/{gid}/commands", self.get_commands),
            ("PUT", rf"/applications/{app}/guilds/{gid}/commands", self.put_commands),
            ("POST", rf"/applications/{app}/guilds/{gid}/commands", self.post_command),
            (
                "POST",
                r"/interactions/(?P<iid>\d+)/" + token + r"/callback",
                self.interaction_callback,
            ),
            ("POST", rf"/webhooks/{app}/{token}", self.webhook_execute),
            ("GET", rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)", self.webhook_get),
            (
                "PATCH",
                rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)",
                self.webhook_edit,
            ),
            (
                "DELETE",
                rf"/webhooks/{app}/{token}/messages/(?P<mid>@original|\d+)",
                self.webhook_delete,
            ),
            ("GET", rf"/channels/{cid}", self.get_channel),
            ("POST", rf"/channels/{cid}/messages", self.post_message),
            ("GET", rf"/channels/{cid}/messages", self.list_messages),
            ("GET", rf"/channels/{cid}/messages/{mid}", self.get_message),
            ("PATCH", rf"/channels/{cid}/messages/{mid}", self.edit_message),
            ("DELETE", rf"/channels/{cid}/messages/{mid}", self.delete_message),
            ("PUT", rf"/channels/{cid}/messages/{mid}/reactions/(?P<emoji>[^/]+)/@me", self.react),
            (
                "DELETE",
                rf"/channels/{cid}/messages/{mid}/reactions/(?P<emoji>[^/]+)/@me",
                self.unreact,
            ),
            ("POST", rf"/channels/{cid}/typing", self.typing),
            ("GET", rf"/guilds/{gid}", self.get_guild),
            ("GET", rf"/guilds/{gid}/channels", self.get_guild_channels),
            ("GET", rf"/guilds/{gid}/roles", self.get_guild_roles),
            ("GET", rf"/guilds/{gid}/members/{uid}", self.get_member),
        ]
        self.routes = [(m, re.compile(p + r"/?"), h) for m, p, h in table]

    # ------------------------------------------------------------------ plumbing

    async def handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        req = await self._parse(request, path)
        record = RecordedRequest(
            req.method,
            path,
            req.json,
            time.time(),
            dict(request.query),
            [(f, d) for f, d, _ in req.files],
        )
        self.emu.requests.append(record)
        # Interaction endpoints are exempt from the global limit on Discord.
        is_bot_call = not path.startswith(("/interactions/", "/webhooks/"))
        response = self.emu._check_rate_limits(req.method, path, is_bot_call)
        if response is None:
            response = self._check_spec(req) or await self._route(req, record)
            if response.status < 300:
                response = self.emu._failed_after(req.method, path) or response
        record.status = response.status
        return response

    def _check_spec(self, req: Req) -> web.Response | None:
        """Refuse a body that breaks Discord's published request schema (or a documented limit)
        as Discord does, and keep the violation for the test to see."""
        if not self.emu.validate_requests or req.json is None:
            return None
        violations = openapi.spec().check(req.method, req.path, req.json)
        if not violations:
            return None
        self.emu.spec_violations.extend(violations)
        for violation in violations:
            log.error("emulator: request refused by Discord's spec: %s", violation)
        return error_response(400, 50035, "Invalid Form Body", openapi.form_errors(violations))

    async def _route(self, req: Req, record: RecordedRequest) -> web.Response:
        for method, pattern, handler in self.routes:
            if method != req.method:
                continue
            match = pattern.fullmatch(req.path)
            if match:
                try:
                    return await handler(req, **match.groupdict())
                except Exception as exc:  # an emulator bug; fail fast instead of a retried 500
                    log.exception("emulator error handling %s %s", req.method, req.path)
                    return error_response(400, 0, f"emulator error: {exc!r}")
        log.warning("emulator: unknown route %s %s", req.method, req.path)
        self.emu.unknown_requests.append(record)
        return error_response(404, 0, "404: Not Found")

    async def _parse(self, request: web.Request, path: str) -> Req:
        req = Req(request.method, path, dict(request.query), None)
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue        # Discord's multipart bodies are flat
                if part.name == "payload_json":
                    req.json = json.loads(await part.text())
                elif part.filename is not None:
                    data = await part.read(decode=False)
                    ctype = part.headers.get("Content-Type")
                    req.files.append(
                        (
                            part.filename,
                            bytes(data),
                            None if ctype == "application/octet-stream" else ctype,
                        )
                    )
        elif request.can_read_body:
            text = await request.text()
            if text:
                req.json = json.loads(text)
        return req

    async def serve_attachment(self, request: web.Request) -> web.Response:
        att_id = int(request.match_info["attachment_id"])
        for msg in self.emu.messages.values():
            for att in msg._attachments:
                if att.id == att_id:
                    return web.Response(
                        body=att.data, content_type=att.content_type or "application/octet-stream"
                    )
        for res in self.emu._interactions.values():
            option_att = res._option_attachments.get(att_id)
            if option_att is not None:
                return web.Response(
                    body=option_att.data,
                    content_type=option_att.content_type or "application/octet-stream",
                )
        return web.Response(status=404)

    # ------------------------------------------------------------------ users / app

    async def get_me(self, req: Req) -> web.Response:
        bot = self.emu.users[self.emu.bot_user_id]
        return json_response(
            bot.to_json()
            | {"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}
        )

    async def get_user(self, req: Req, uid: str) -> web.Response:
        user = self.emu.users.get(int(uid))
        if user is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(user.to_json())

    async def create_dm(self, req: Req) -> web.Response:
        # discord.py may send the id as an int.
        recipient = str((req.json or {}).get("recipient_id", ""))
        if not recipient.isdigit() or int(recipient) not in self.emu.users:
            return error_response(400, 50033, "Invalid Recipient(s)")
        channel = self.emu._dm_channel(int(recipient))
        return json_response(self.emu._channel_json(channel))

    async def get_application(self, req: Req) -> web.Response:
        return json_response(self.emu._application_json())

    async def get_gateway(self, req: Req) -> web.Response:
        return json_response({"url": self.emu.gateway_url})

    async def get_gateway_bot(self, req: Req) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {"url": self.emu.gateway_url, "shards": self.emu.shard_count,
             "session_start_limit": limit}
        )

    # ------------------------------------------------------------------ commands

    def _command_store(self, app: str, gid: str | None) -> dict[int, dict[str, Any]] | None:
        if int(app) != self.emu.application_id:
            return None
        if gid is None:
            return self.emu._global_commands
        if int(gid) not in self.emu.guilds:
            return None
        return self.emu._guild_commands.setdefault(int(gid), {})

    async def get_commands(self, req: Req, app: str, gid: str | None = None) -> web.Response:
        store = self._command_store(app, gid)
        if store is None:
            return error_response(403, 50001, "Missing Access")
        return json_response(list(store.values()))

    async def put_commands(self, req: Req, app: str, gid: str | None = None) -> web.Response:
        store = self._command_store(app, gid)
        if store is None:
            return error_response(403, 50001, "Missing Access")
        definitions = req.json or []
        errors = FormErrors()
        for index, definition in enumerate(definitions):
            validate_command(definition, [index], errors)
        if (refusal := errors.response()) is not None:
            return refusal
        previous = {(c["name"], c.get("type", 1)): c["id"] for c in store.values()}
        store.clear()
        for definition in definitions:
            command = self._complete_command(definition, gid, previous)
            store[int(command["id"])] = command
        return json_response(list(store.values()))

    async def post_command(self, req: Req, app: str, gid: str | None = None) -> web.Response:
        store = self._command_store(app, gid)
        if store is None:
            return error_response(403, 50001, "Missing Access")
        errors = FormErrors()
        validate_command(req.json or {}, [], errors)
        if (refusal := errors.response()) is not None:
            return refusal
        previous = {(c["name"], c.get("type", 1)): c["id"] for c in store.values()}
        command = self._complete_command(req.json, gid, previous)
        store[int(command["id"])] = command
        return json_response(
            command, 200 if (command["name"], command["type"]) in previous else 201
        )

    def _complete_command(
        self, definition: dict[str, Any], gid: str | None, previous: dict
    ) -> dict[str, Any]:
        command = dict(definition)
        command.setdefault("type", 1)
        command.setdefault("description", "")
        command.setdefault("options", [])
        command.setdefault("default_member_permissions", None)
        command.setdefault("nsfw", False)
        # Discord keeps a command's id when a bulk overwrite re-sends the same name.
        command["id"] = str(
            previous.get((command["name"], command["type"])) or self.emu._ids.next()
        )
        command["application_id"] = str(self.emu.application_id)
        command["version"] = str(self.emu._ids.next())
        if gid is not None:
            command["guild_id"] = gid
        return command

    # ------------------------------------------------------------------ interactions

    def _interaction(self, token: str, app: str | None = None) -> InteractionResult | None:
        res = self.emu._interactions.get(token)
        if res is None or (app is not None and int(app) != self.emu.application_id):
            return None
        return res

    async def interaction_callback(self, req: Req, iid: str, token: str) -> web.Response:
        res = self._interaction(token)
        if res is None or res.id != int(iid) or res._expired(self.emu.interaction_deadline):
            return error_response(404, 10062, "Unknown interaction")
        if res.response_type is not None:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        body = req.json or {}
        rtype = body.get("type")
        data = body.get("data") or {}
        channel = self.emu.channels[res.channel_id]
        message: Message | None = None

        if rtype == 4:
            problem = validate_message(data, req.files)
            if problem is not None:
                return problem
            message = self.emu._create_message(
                channel,
                data,
                req.files,
                type=20 if res.type == 2 else 0,
                interaction=res._metadata(),
                webhook_id=self.emu.application_id,
            )
        elif rtype == 5:
            placeholder = {
                "content": "",
                "flags": FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL),
            }
            message = self.emu._create_message(
                channel,
                placeholder,
                [],
                type=20 if res.type == 2 else 0,
                interaction=res._metadata(),
                webhook_id=self.emu.application_id,
            )
        elif rtype in (6, 7):
            if res.source_message_id is None:
                return error_response(
                    400, 40043, "This interaction type cannot be used to update a message"
                )
            message = self.emu.messages[res.source_message_id]
            if rtype == 7:
                problem = validate_message(data, req.files, partial=True)
                if problem is not None:
                    return problem
                self.emu._edit_message(message, data, req.files)
        elif rtype == 8:
            if res.type != 4:
                return error_response(400, 40043, "This interaction type cannot use autocomplete")
            problem = validate_choices(data.get("choices") or [])
            if problem is not None:
                return problem
        elif rtype == 9:
            if res.type in (4, 5):
                return error_response(400, 40043, "This interaction type cannot open a modal")
            problem = validate_modal(data)
            if problem is not None:
                return problem
        else:
            return error_response(400, 50035, "Invalid Form Body")

        res._set_response(rtype, data, message)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        interaction: dict[str, Any] = {
            "id": str(res.id),
            "type": res.type,
            "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(message is not None and message.ephemeral),
        }
        resource: dict[str, Any] = {"type": rtype}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            if rtype in (4, 5, 7):
                resource["message"] = self.emu._message_json(message)
        return json_response({"interaction": interaction, "resource": resource})

    async def webhook_execute(self, req: Req, app: str, token: str) -> web.Response:
        res = self._interaction(token, app)
        if res is None or res.response_type is None:
            return error_response(404, 10015, "Unknown Webhook")
        payload = req.json or {}
        problem = validate_message(payload, req.files)
        if problem is not None:
            return problem
        original = self.emu.messages.get(res.original_message_id or 0)
        if res.response_type == 5 and original is not None and original.flags & FLAG_LOADING:
            # The first follow-up after a deferred reply replaces the "thinking" message.
            edit = {k: v for k, v in payload.items() if k != "flags"}
            self.emu._edit_message(original, edit, req.files)
            message = original
        else:
            channel = self.emu.channels[res.channel_id]
            message = self.emu._create_message(
                channel,
                payload,
                req.files,
                interaction=res._metadata(),
                webhook_id=self.emu.application_id,
            )
        res._add_followup(message)
        if req.query.get("wait") in ("true", "1", "True"):
            return json_response(self.emu._message_json(message))
        return no_content()

    def _webhook_message(self, res: InteractionResult, mid: str) -> Message | None:
        if mid == "@original":
            message_id = res.original_message_id
        else:
            message_id = int(mid)
        msg = self.emu.messages.get(message_id or 0)
        if msg is None or msg.deleted or msg.channel_id != res.channel_id:
            return None
        return msg

    async def webhook_get(self, req: Req, app: str, token: str, mid: str) -> web.Response:
        res = self._interaction(token, app)
        if res is None:
            return error_response(404, 10015, "Unknown Webhook")
        msg = self._webhook_message(res, mid)
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        return json_response(self.emu._message_json(msg))

    async def webhook_edit(self, req: Req, app: str, token: str, mid: str) -> web.Response:
        res = self._interaction(token, app)
        if res is None:
            return error_response(404, 10015, "Unknown Webhook")
        msg = self._webhook_message(res, mid)
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        problem = validate_message(req.json or {}, req.files, partial=True)
        if problem is not None:
            return problem
        self.emu._edit_message(msg, req.json or {}, req.files)
        res._notify()
        return json_response(self.emu._message_json(msg))

    async def webhook_delete(self, req: Req, app: str, token: str, mid: str) -> web.Response:
        res = self._interaction(token, app)
        if res is None:
            return error_response(404, 10015, "Unknown Webhook")
        msg = self._webhook_message(res, mid)
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        self.emu._delete_message(msg)
        res._notify()
        return no_content()

    # ------------------------------------------------------------------ channels / messages

    def _readable_channel(self, cid: str) -> tuple[Channel | None, web.Response | None]:
        channel = self.emu.channels.get(int(cid))
        if channel is None or channel.deleted:
            return None, error_response(404, 10003, "Unknown Channel")
        if channel.guild_id is not None:
            guild = self.emu.guilds[channel.guild_id]
            if not guild.bot_present or not self.emu._bot_permissions(channel) & VIEW_CHANNEL:
                return None, error_response(403, 50001, "Missing Access")
        return channel, None

    async def get_channel(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return problem
        assert channel is not None
        return json_response(self.emu._channel_json(channel))

    async def post_message(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return problem
        assert channel is not None
        if channel.type == DM:
            recipient = (self.emu.users.get(channel.recipient_id)
                         if channel.recipient_id is not None else None)
            if channel.recipient_id in self.emu._dms_closed or recipient is None or recipient.bot:
                return error_response(403, 50007, "Cannot send messages to this user")
        else:
            perms = self.emu._bot_permissions(channel)
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
        earlier = self.emu._nonce_message(channel.id, payload)
        if earlier is not None:
            return json_response(self.emu._message_json(earlier))
        message = self.emu._create_message(
            channel, payload, req.files, type=19 if payload.get("message_reference") else 0
        )
        self.emu._remember_nonce(message, payload)
        return json_response(self.emu._message_json(message))

    async def list_messages(self, req: Req, cid: str) -> web.Response:
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return problem
        assert channel is not None
        messages = self.emu.channel_messages(channel.id)
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
        return json_response([self.emu._message_json(m) for m in newest_first])

    def _readable_message(self, cid: str, mid: str) -> tuple[Message | None, web.Response | None]:
        """A message the bot may see in that channel, or the error Discord would answer."""
        channel, problem = self._readable_channel(cid)
        if problem is not None:
            return None, problem
        assert channel is not None
        msg = self.emu.messages.get(int(mid))
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != channel.id:
            return None, error_response(404, 10008, "Unknown Message")
        return msg, None

    async def get_message(self, req: Req, cid: str, mid: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        return json_response(self.emu._message_json(msg))

    async def edit_message(self, req: Req, cid: str, mid: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        if msg.author_id != self.emu.bot_user_id:
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        problem = validate_message(req.json or {}, req.files, partial=True)
        if problem is not None:
            return problem
        self.emu._edit_message(msg, req.json or {}, req.files)
        return json_response(self.emu._message_json(msg))

    async def delete_message(self, req: Req, cid: str, mid: str) -> web.Response:
        msg, problem = self._readable_message(cid, mid)
        if problem is not None:
            return problem
        assert msg is not None
        self.emu._delete_message(msg)
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

    # ------------------------------------------------------------------ guilds

    def _bot_guild(self, gid: str):
        guild = self.emu.guilds.get(int(gid))
        if guild is None:
            return None, error_response(404, 10004, "Unknown Guild")
        if not guild.bot_present:
            return None, error_response(403, 50001, "Missing Access")
        return guild, None

    async def get_guild(self, req: Req, gid: str) -> web.Response:
        guild, problem = self._bot_guild(gid)
        if problem is not None:
            return problem
        data = self.emu._guild_create_payload(guild)
        for key in (
            "members",
            "channels",
            "threads",
            "voice_states",
            "presences",
            "joined_at",
            "large",
        ):
            data.pop(key, None)
        if req.query.get("with_counts") in ("true", "1"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return json_response(data)

    async def get_guild_channels(self, req: Req, gid: str) -> web.Response:
        guild, problem = self._bot_guild(gid)
        if problem is not None:
            return problem
        return json_response([c.to_json() for c in self.emu._guild_channels(guild)])

    async def get_guild_roles(self, req: Req, gid: str) -> web.Response:
        guild, problem = self._bot_guild(gid)
        if problem is not None:
            return problem
        return json_response([r.to_json() for r in guild.roles.values()])

    async def get_member(self, req: Req, gid: str, uid: str) -> web.Response:
        guild, problem = self._bot_guild(gid)
        if problem is not None:
            return problem
        member = guild.members.get(int(uid))
        if member is None:
            return error_response(404, 10007, "Unknown Member")
        return json_response(member.to_json(self.emu.users[member.user_id]))


# ---------------------------------------------------------------------- validation
# A subset of Discord's documented limits, so that payloads production would reject
# fail here too instead of passing silently.


def validate_message(
    payload: dict[str, Any], files: list[Any], *, partial: bool = False
) -> web.Response | None:
    errors = FormErrors()
    content = payload.get("content")
    if content is not None and len(str(content)) > 2000:
        errors.add(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors.add(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        total += _validate_embed(embed, ["embeds", i], errors)
    if total > 6000:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    _validate_components(payload.get("components") or [], int(payload.get("flags") or 0), errors)
    if errors.errors:
        return errors.response()
    if not partial:
        has_body = (
            content or embeds or payload.get("components") or files or payload.get("sticker_ids")
        )
        if not has_body and not payload.get("poll"):
            return error_response(400, 50006, "Cannot send an empty message")
    return None


def _validate_embed(embed: dict[str, Any], path: list[Any], errors: FormErrors) -> int:
    limits = {"title": 256, "description": 4096}
    size = 0
    for key, limit in limits.items():
        value = embed.get(key) or ""
        size += len(value)
        if len(value) > limit:
            errors.add([*path, key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.add([*path, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for j, fld in enumerate(fields):
        name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
        size += len(name) + len(value)
        if not name or len(name) > 256:
            errors.add(
                [*path, "fields", j, "name"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 256 in length.",
            )
        if not value or len(value) > 1024:
            errors.add(
                [*path, "fields", j, "value"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 1024 in length.",
            )
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    size += len(footer) + len(author)
    if len(footer) > 2048:
        errors.add(
            [*path, "footer", "text"], "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."
        )
    if len(author) > 256:
        errors.add(
            [*path, "author", "name"], "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."
        )
    return size


def _validate_components(components: list[dict[str, Any]], flags: int, errors: FormErrors) -> None:
    if not flags & FLAG_COMPONENTS_V2:
        if len(components) > 5:
            errors.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errors.add(
                    ["components", i],
                    "UNION_TYPE_CHOICES",
                    "Top-level components must be action rows.",
                )
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errors.add(
                    ["components", i, "components"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                )
    seen: set[str] = set()
    for comp in iter_components(components):
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if len(custom_id) > 100:
                errors.add(
                    ["components"],
                    "BASE_TYPE_MAX_LENGTH",
                    "custom_id must be 100 or fewer in length.",
                )
            if custom_id in seen:
                errors.add(
                    ["components"],
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if comp.get("type") == 2 and len(comp.get("label") or "") > 80:
            errors.add(
                ["components"],
                "BASE_TYPE_MAX_LENGTH",
                "Button label must be 80 or fewer in length.",
            )


def validate_choices(choices: list[dict[str, Any]]) -> web.Response | None:
    errors = FormErrors()
    if len(choices) > 25:
        errors.add(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name") or "")) <= 100:
            errors.add(
                ["data", "choices", i, "name"], "BASE_TYPE_BAD_LENGTH", "Must be 1-100 long."
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors.add(
                ["data", "choices", i, "value"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or less."
            )
    return errors.response()


def validate_modal(data: dict[str, Any]) -> web.Response | None:
    errors = FormErrors()
    if not 1 <= len(data.get("title") or "") <= 45:
        errors.add(["data", "title"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    if not data.get("custom_id"):
        errors.add(["data", "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
    if not 1 <= len(data.get("components") or []) <= 5:
        errors.add(
            ["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    for comp in iter_components(data.get("components") or []):
        label = comp.get("label")
        if label is not None and len(label) > 45:
            errors.add(["data", "components"], "BASE_TYPE_MAX_LENGTH", "Labels must be 45 or less.")
    return errors.response()


def validate_command(definition: dict[str, Any], path: list[Any], errors: FormErrors) -> None:
    name = definition.get("name") or ""
    ctype = definition.get("type", 1)
    if ctype == 1 and (not COMMAND_NAME_RE.match(name) or name != name.lower()):
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if ctype == 1 and not 1 <= len(definition.get("description") or "") <= 100:
        errors.add(
            [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    _validate_options(definition.get("options") or [], [*path, "options"], errors)


def _validate_options(options: list[dict[str, Any]], path: list[Any], errors: FormErrors) -> None:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for i, opt in enumerate(options):
        here = [*path, i]
        name = opt.get("name") or ""
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            errors.add(
                [*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        if not 1 <= len(opt.get("description") or "") <= 100:
            errors.add(
                [*here, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if opt.get("type") in (1, 2):
            _validate_options(opt.get("options") or [], [*here, "options"], errors)
            continue
        if opt.get("required"):
            if seen_optional:
                errors.add(
                    [*here, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            errors.add([*here, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if choices and opt.get("autocomplete"):
            errors.add(
                [*here, "autocomplete"],
                "AUTOCOMPLETE_CHOICES_INCOMPATIBLE",
                "Autocomplete cannot be used with choices",
            )


__all__ = ["RestApi", "json_response", "error_response", "EmulatorError"]
