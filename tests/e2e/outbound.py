"""What the bot sent, read from the emulator's request log: every message it created or
edited, with the exact JSON Discord would have received (including `allowed_mentions`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from discord_emulator.emulator import RecordedRequest

CHANNEL_POST = re.compile(r"^/channels/(\d+)/messages$")
CHANNEL_EDIT = re.compile(r"^/channels/(\d+)/messages/(\d+)$")
CALLBACK = re.compile(r"^/interactions/(\d+)/[^/]+/callback$")
FOLLOWUP = re.compile(r"^/webhooks/\d+/[^/]+$")
WEBHOOK_EDIT = re.compile(r"^/webhooks/\d+/[^/]+/messages/[^/]+$")
# Interaction callbacks that carry a message: 4 = reply, 7 = update the clicked message.
MESSAGE_CALLBACKS = (4, 7)
UNEXPECTED = "Something went wrong on my side"


@dataclass(frozen=True)
class Outbound:
    request: RecordedRequest
    payload: dict[str, Any]
    kind: str          # "post", "edit", "reply", "update", "followup"

    @property
    def text(self) -> str:
        """All the words a reader could see: content, embeds, component labels."""
        parts = [str(self.payload.get("content") or "")]
        for embed in self.payload.get("embeds") or []:
            parts += [str(embed.get(k) or "") for k in ("title", "description", "url")]
            parts += [str((embed.get(k) or {}).get(sub) or "")
                      for k, sub in (("footer", "text"), ("author", "name"))]
            for fld in embed.get("fields") or []:
                parts += [str(fld.get("name") or ""), str(fld.get("value") or "")]
        parts += _component_text(self.payload.get("components") or [])
        return "\n".join(p for p in parts if p)

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & 64)

    @property
    def channel_id(self) -> int | None:
        match = CHANNEL_POST.match(self.request.path) or CHANNEL_EDIT.match(self.request.path)
        return int(match.group(1)) if match else None


def _component_text(components: Iterable[dict[str, Any]]) -> list[str]:
    out = []
    for comp in components:
        for key in ("label", "placeholder", "content", "value"):
            if isinstance(comp.get(key), str):
                out.append(comp[key])
        out += _component_text(comp.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                out += _component_text([comp[key]])
    return out


def outbound(requests: Iterable[RecordedRequest]) -> Iterator[Outbound]:
    """Every request that creates or changes a message, with its message payload."""
    for req in requests:
        body = req.json if isinstance(req.json, dict) else None
        if body is None:
            continue
        path = req.path.split("?")[0]
        if req.method == "POST" and CHANNEL_POST.match(path):
            yield Outbound(req, body, "post")
        elif req.method == "PATCH" and CHANNEL_EDIT.match(path):
            yield Outbound(req, body, "edit")
        elif req.method == "POST" and CALLBACK.match(path):
            if body.get("type") in MESSAGE_CALLBACKS:
                yield Outbound(req, body.get("data") or {},
                               "reply" if body["type"] == 4 else "update")
        elif req.method == "POST" and FOLLOWUP.match(path):
            yield Outbound(req, body, "followup")
        elif req.method == "PATCH" and WEBHOOK_EDIT.match(path):
            yield Outbound(req, body, "edit")


def ping_problems(sent: Outbound, allowed_users: Iterable[int] = ()) -> list[str]:
    """Why this message could ping someone it shouldn't (empty when it can't).
    A new message must carry allowed_mentions with nothing parsed; an edit that changes the
    text must too. Only the listed users may be named in `users`."""
    if sent.kind in ("edit", "update") and "content" not in sent.payload \
            and "embeds" not in sent.payload:
        return []
    mentions = sent.payload.get("allowed_mentions")
    if mentions is None:
        return [f"{sent.kind} {sent.request.path}: no allowed_mentions"]
    problems = []
    if mentions.get("parse"):
        problems.append(f"{sent.kind} {sent.request.path}: parse={mentions['parse']}")
    if mentions.get("roles"):
        problems.append(f"{sent.kind} {sent.request.path}: roles={mentions['roles']}")
    if mentions.get("replied_user"):
        problems.append(f"{sent.kind} {sent.request.path}: replied_user")
    users = {int(u) for u in mentions.get("users") or []}
    if users - set(allowed_users):
        problems.append(f"{sent.kind} {sent.request.path}: users={sorted(users)}")
    return problems


def _token(path: str) -> str | None:
    for pattern in (r"^/interactions/\d+/([^/]+)/callback$", r"^/webhooks/\d+/([^/]+)$",
                    r"^/webhooks/\d+/([^/]+)/messages/[^/]+$"):
        match = re.match(pattern, path)
        if match:
            return match.group(1)
    return None


def audience(emu, sent: Outbound) -> tuple[str, int | None]:
    """Who can read this message: ("public", channel_id) for a post anyone in the server
    sees, ("user", user_id) for a DM or a reply only that member sees."""
    channel_id = sent.channel_id
    if channel_id is not None:
        channel = emu.channels[channel_id]
        if channel.recipient_id:
            return "user", channel.recipient_id
        return "public", channel_id
    token = _token(sent.request.path.split("?")[0])
    result = emu._interactions.get(token) if token else None
    assert result is not None, f"no interaction for {sent.request.path}"
    if sent.kind in ("reply", "followup"):
        private = sent.ephemeral or result.guild_id is None
        if sent.kind == "followup" and result.response_type == 5 and result.message is not None:
            private = private or result.message.ephemeral
    else:
        # An edit or update keeps the edited message's audience.
        edited = result.message if sent.kind == "edit" else emu.messages.get(
            result.source_message_id or 0)
        private = edited is None or edited.ephemeral or edited.guild_id is None
        if edited is not None and edited.guild_id is None:
            channel = emu.channels[edited.channel_id]
            return "user", channel.recipient_id
    if private:
        return "user", result.user_id
    return "public", result.channel_id
