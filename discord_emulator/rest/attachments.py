"""The CDN side: serves the bytes of stored attachments at the URLs messages carry."""

from __future__ import annotations

from aiohttp import web

from .context import Resource, Route


class Attachments(Resource):
    def routes(self) -> list[Route]:
        return []  # served outside the API prefix; see RestApi.serve_attachment

    async def serve(self, request: web.Request) -> web.Response:
        att = self.store.find_attachment(int(request.match_info["attachment_id"]))
        if att is None:
            return web.Response(status=404)
        return web.Response(
            body=att.data, content_type=att.content_type or "application/octet-stream"
        )
