"""Application commands: global and per-server, bulk overwrite and create."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .context import APP, GID, Resource, Route
from .responses import FormErrors, Req, error_response, json_response
from .validation import validate_command, validate_unique_names


class Commands(Resource):
    def routes(self) -> list[Route]:
        return [
            ("GET", rf"/applications/{APP}/commands", self.get_commands),
            ("PUT", rf"/applications/{APP}/commands", self.put_commands),
            ("POST", rf"/applications/{APP}/commands", self.post_command),
            ("GET", rf"/applications/{APP}/guilds/{GID}/commands", self.get_commands),
            ("PUT", rf"/applications/{APP}/guilds/{GID}/commands", self.put_commands),
            ("POST", rf"/applications/{APP}/guilds/{GID}/commands", self.post_command),
        ]

    def _command_store(self, app: str, gid: str | None) -> dict[int, dict[str, Any]] | None:
        if int(app) != self.store.application_id:
            return None
        if gid is None:
            return self.store.state.global_commands
        if int(gid) not in self.store.state.guilds:
            return None
        return self.store.state.guild_commands.setdefault(int(gid), {})

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
        validate_unique_names(definitions, [], errors)
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
            previous.get((command["name"], command["type"])) or self.store.ids.next()
        )
        command["application_id"] = str(self.store.application_id)
        command["version"] = str(self.store.ids.next())
        if gid is not None:
            command["guild_id"] = gid
        return command
