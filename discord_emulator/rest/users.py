"""Users, DMs and the bot's application."""

from __future__ import annotations

from aiohttp import web

from .context import UID, Resource, Route
from .responses import Req, error_response, json_response


class Users(Resource):
    def routes(self) -> list[Route]:
        return [
            ("GET", r"/users/@me", self.get_me),
            ("GET", rf"/users/{UID}", self.get_user),
            ("POST", r"/users/@me/channels", self.create_dm),
            ("GET", r"/oauth2/applications/@me", self.get_application),
            ("GET", r"/applications/@me", self.get_application),
        ]

    async def get_me(self, req: Req) -> web.Response:
        bot = self.store.state.users[self.store.bot_user_id]
        return json_response(
            bot.to_json()
            | {"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}
        )

    async def get_user(self, req: Req, uid: str) -> web.Response:
        user = self.store.state.users.get(int(uid))
        if user is None:
            return error_response(404, 10013, "Unknown User")
        return json_response(user.to_json())

    async def create_dm(self, req: Req) -> web.Response:
        # discord.py may send the id as an int.
        recipient = str((req.json or {}).get("recipient_id", ""))
        if not recipient.isdigit() or int(recipient) not in self.store.state.users:
            return error_response(400, 50033, "Invalid Recipient(s)")
        channel = self.store.dm_channel(int(recipient))
        return json_response(self.store.channel_json(channel))

    async def get_application(self, req: Req) -> web.Response:
        return json_response(self.store.application_json())
