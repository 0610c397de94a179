"""Servers as the bot sees them: the server, its channels, roles and members."""

from __future__ import annotations

from aiohttp import web

from .context import GID, UID, Resource, Route
from .responses import Req, error_response, json_response


class Guilds(Resource):
    def routes(self) -> list[Route]:
        return [
            ("GET", rf"/guilds/{GID}", self.get_guild),
            ("GET", rf"/guilds/{GID}/channels", self.get_guild_channels),
            ("GET", rf"/guilds/{GID}/roles", self.get_guild_roles),
            ("GET", rf"/guilds/{GID}/members/{UID}", self.get_member),
        ]

    def _bot_guild(self, gid: str):
        guild = self.store.state.guilds.get(int(gid))
        if guild is None:
            return None, error_response(404, 10004, "Unknown Guild")
        if not guild.bot_present:
            return None, error_response(403, 50001, "Missing Access")
        return guild, None

    async def get_guild(self, req: Req, gid: str) -> web.Response:
        guild, problem = self._bot_guild(gid)
        if problem is not None:
            return problem
        data = self.store.guild_create_payload(guild)
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
        return json_response([c.to_json() for c in self.store.guild_channels(guild)])

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
        return json_response(member.to_json(self.store.state.users[member.user_id]))
