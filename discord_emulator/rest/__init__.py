"""The REST API, one module per resource, plus the faults Discord can answer with.

`RestApi` parses and records each request, applies the faults and the spec check, and routes
it to the resource's handler."""

from __future__ import annotations

import json
import logging
import re
import time

from aiohttp import BodyPartReader, web

from ..state import RecordedRequest
from .attachments import Attachments
from .channels import Channels
from .commands import Commands
from .context import Context, Route
from .gateway_bot import GatewayInfo
from .guilds import Guilds
from .interactions import Interactions
from .responses import Req, error_response, json_response
from .users import Users

log = logging.getLogger(__name__)

__all__ = ["Context", "RestApi", "error_response", "json_response"]


class RestApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.attachments = Attachments(ctx)
        table: list[Route] = []
        for resource in (Users, GatewayInfo, Commands, Interactions, Channels, Guilds):
            table.extend(resource(ctx).routes())
        self.routes = [(m, re.compile(p + r"/?"), h) for m, p, h in table]

    async def serve_attachment(self, request: web.Request) -> web.Response:
        return await self.attachments.serve(request)

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
        self.ctx.requests.append(record)
        # Interaction endpoints are exempt from the global limit on Discord.
        is_bot_call = not path.startswith(("/interactions/", "/webhooks/"))
        response = self.ctx.faults.check(req.method, path, is_bot_call)
        if response is None:
            response = self.ctx.faults.check_spec(req) or await self._route(req, record)
            if response.status < 300:
                response = self.ctx.faults.failed_after(req.method, path) or response
        record.status = response.status
        return response

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
        self.ctx.unknown_requests.append(record)
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
