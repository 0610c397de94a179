"""Where the gateway is, and how many shards it recommends."""

from __future__ import annotations

from aiohttp import web

from .context import Resource, Route
from .responses import Req, json_response


class GatewayInfo(Resource):
    def routes(self) -> list[Route]:
        return [
            ("GET", r"/gateway", self.get_gateway),
            ("GET", r"/gateway/bot", self.get_gateway_bot),
        ]

    async def get_gateway(self, req: Req) -> web.Response:
        return json_response({"url": self.ctx.gateway_url()})

    async def get_gateway_bot(self, req: Req) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {"url": self.ctx.gateway_url(), "shards": self.ctx.shard_count,
             "session_start_limit": limit}
        )
