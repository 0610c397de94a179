"""Interaction callbacks and the interaction webhook (follow-ups, @original)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..interactions import InteractionResult
from ..state import FLAG_EPHEMERAL, FLAG_LOADING, Message
from .context import APP, TOKEN, Resource, Route
from .responses import Req, error_response, json_response, no_content
from .validation import validate_choices, validate_message, validate_modal


class Interactions(Resource):
    def routes(self) -> list[Route]:
        webhook_message = rf"/webhooks/{APP}/{TOKEN}/messages/(?P<mid>@original|\d+)"
        return [
            (
                "POST",
                r"/interactions/(?P<iid>\d+)/" + TOKEN + r"/callback",
                self.interaction_callback,
            ),
            ("POST", rf"/webhooks/{APP}/{TOKEN}", self.webhook_execute),
            ("GET", webhook_message, self.webhook_get),
            ("PATCH", webhook_message, self.webhook_edit),
            ("DELETE", webhook_message, self.webhook_delete),
        ]

    def _interaction(self, token: str, app: str | None = None) -> InteractionResult | None:
        res = self.store.state.interactions.get(token)
        if res is None or (app is not None and int(app) != self.store.application_id):
            return None
        return res

    async def interaction_callback(self, req: Req, iid: str, token: str) -> web.Response:
        res = self._interaction(token)
        if res is None or res.id != int(iid) or res.expired(self.ctx.interaction_deadline):
            return error_response(404, 10062, "Unknown interaction")
        if res.response_type is not None:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        body = req.json or {}
        rtype = body.get("type")
        data = body.get("data") or {}
        channel = self.store.state.channels[res.channel_id]
        message: Message | None = None

        if rtype == 4:
            problem = validate_message(data, req.files)
            if problem is not None:
                return problem
            message = self.events.create_message(
                channel,
                data,
                req.files,
                type=20 if res.type == 2 else 0,
                interaction=res.metadata(),
                webhook_id=self.store.application_id,
            )
        elif rtype == 5:
            placeholder = {
                "content": "",
                "flags": FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL),
            }
            message = self.events.create_message(
                channel,
                placeholder,
                [],
                type=20 if res.type == 2 else 0,
                interaction=res.metadata(),
                webhook_id=self.store.application_id,
            )
        elif rtype in (6, 7):
            if res.source_message_id is None:
                return error_response(
                    400, 40043, "This interaction type cannot be used to update a message"
                )
            message = self.store.state.messages[res.source_message_id]
            if rtype == 7:
                problem = validate_message(data, req.files, partial=True)
                if problem is not None:
                    return problem
                self.events.edit_message(message, data, req.files)
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

        res.set_response(rtype, data, message)
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
                resource["message"] = self.store.message_json(message)
        return json_response({"interaction": interaction, "resource": resource})

    async def webhook_execute(self, req: Req, app: str, token: str) -> web.Response:
        res = self._interaction(token, app)
        if res is None or res.response_type is None:
            return error_response(404, 10015, "Unknown Webhook")
        payload = req.json or {}
        problem = validate_message(payload, req.files)
        if problem is not None:
            return problem
        original = self.store.state.messages.get(res.original_message_id or 0)
        if res.response_type == 5 and original is not None and original.flags & FLAG_LOADING:
            # The first follow-up after a deferred reply replaces the "thinking" message.
            edit = {k: v for k, v in payload.items() if k != "flags"}
            self.events.edit_message(original, edit, req.files)
            message = original
        else:
            channel = self.store.state.channels[res.channel_id]
            message = self.events.create_message(
                channel,
                payload,
                req.files,
                interaction=res.metadata(),
                webhook_id=self.store.application_id,
            )
        res.add_followup(message)
        if req.query.get("wait") in ("true", "1", "True"):
            return json_response(self.store.message_json(message))
        return no_content()

    def _webhook_message(self, res: InteractionResult, mid: str) -> Message | None:
        if mid == "@original":
            message_id = res.original_message_id
        else:
            message_id = int(mid)
        msg = self.store.state.messages.get(message_id or 0)
        if msg is None or msg.deleted or msg.channel_id != res.channel_id:
            return None
        return msg

    def _webhook_target(
        self, app: str, token: str, mid: str
    ) -> tuple[InteractionResult, Message] | web.Response:
        """The interaction and its message a webhook route names, or Discord's 404 for it."""
        res = self._interaction(token, app)
        if res is None:
            return error_response(404, 10015, "Unknown Webhook")
        msg = self._webhook_message(res, mid)
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        return res, msg

    async def webhook_get(self, req: Req, app: str, token: str, mid: str) -> web.Response:
        target = self._webhook_target(app, token, mid)
        if isinstance(target, web.Response):
            return target
        res, msg = target
        return json_response(self.store.message_json(msg))

    async def webhook_edit(self, req: Req, app: str, token: str, mid: str) -> web.Response:
        target = self._webhook_target(app, token, mid)
        if isinstance(target, web.Response):
            return target
        res, msg = target
        problem = validate_message(req.json or {}, req.files, partial=True)
        if problem is not None:
            return problem
        self.events.edit_message(msg, req.json or {}, req.files)
        res.notify()
        return json_response(self.store.message_json(msg))

    async def webhook_delete(self, req: Req, app: str, token: str, mid: str) -> web.Response:
        target = self._webhook_target(app, token, mid)
        if isinstance(target, web.Response):
            return target
        res, msg = target
        self.events.delete_message(msg)
        res.notify()
        return no_content()
