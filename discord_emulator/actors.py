"""Members acting on the bot: slash commands, autocomplete, buttons, selects, modals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .events import Events
from .interactions import InteractionResult, integration_owners
from .state import (
    ALL_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    Attachment,
    EmulatorError,
    Message,
    iter_components,
)
from .store import Store, channel_permissions

__all__ = ["Actor", "InteractionResult"]

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Interaction types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


class Actor:
    """A user acting in a guild channel, or in their DM with the bot."""

    def __init__(
        self,
        store: Store,
        events: Events,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        *,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> None:
        self.store = store
        self.events = events
        self.user_id = user_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.locale = locale
        self.timeout = timeout
        # Files given as attachment options, served until the interaction is sent.
        self._pending_attachments: list[Attachment] = []

    def in_channel(self, channel_id: int) -> Actor:
        return Actor(
            self.store,
            self.events,
            self.user_id,
            self.guild_id,
            channel_id,
            locale=self.locale,
            timeout=self.timeout,
        )

    # ---------------------------------------------------------------- public actions

    async def slash(self, command: str, /, **options: Any) -> InteractionResult:
        """Run ``/command [group] [subcommand]`` with options given by name.

        Returns once the bot has sent its interaction callback."""
        data = self._command_payload(command, options)
        return await self._send(APPLICATION_COMMAND, data, name=command)

    async def slash_raw(self, data: dict[str, Any], /) -> InteractionResult:
        """Send a command interaction whose ``data`` is given as is, unchecked against the
        registered commands: what a Discord client still showing an older version of a
        command sends (an unknown subcommand, an option that no longer exists)."""
        return await self._send(APPLICATION_COMMAND, data, name=str(data.get("name") or ""))

    async def autocomplete(
        self, command: str, option: str, value: str, /, **options: Any
    ) -> list[dict[str, Any]]:
        """Type ``value`` into ``option`` of ``command``; returns the bot's choices."""
        data = self._command_payload(command, {**options, option: value}, focused=option)
        result = await self._send(AUTOCOMPLETE, data, name=command)
        return result.choices

    async def click(
        self,
        target: Message | InteractionResult,
        /,
        custom_id: str | None = None,
        label: str | None = None,
    ) -> InteractionResult:
        """Press a button (by custom_id or label; the only button if neither is given)."""
        message = await self._target_message(target)
        button = self._find_component(
            message, lambda c: c.get("type") == 2, custom_id, label, "button"
        )
        if button.get("url") or button.get("style") == 5:
            raise EmulatorError("link buttons open a URL; they do not send interactions")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        if "id" in button:
            data["id"] = button["id"]
        return await self._send(MESSAGE_COMPONENT, data, message=message)

    async def select(
        self,
        target: Message | InteractionResult,
        /,
        values: list[str],
        custom_id: str | None = None,
        placeholder: str | None = None,
    ) -> InteractionResult:
        """Choose ``values`` in a string select menu."""
        message = await self._target_message(target)
        menu = self._find_component(
            message,
            lambda c: c.get("type") == 3,
            custom_id,
            placeholder,
            "string select",
            label_key="placeholder",
        )
        allowed = {o.get("value") for o in menu.get("options") or []}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise EmulatorError(
                f"values {unknown} are not options of select {menu.get('custom_id')!r}"
            )
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise EmulatorError(
                f"select {menu.get('custom_id')!r} takes {low}..{high} values, got {len(values)}"
            )
        data = {"custom_id": menu["custom_id"], "component_type": 3, "values": list(values)}
        return await self._send(MESSAGE_COMPONENT, data, message=message)

    async def submit_modal(
        self, opened_by: InteractionResult, values: dict[str, Any], /
    ) -> InteractionResult:
        """Fill in and submit the modal the bot opened in response to ``opened_by``.

        Keys of ``values`` are text input custom_ids or labels; the submitted
        components mirror the modal's structure (action rows or label components)."""
        modal = await opened_by.modal()
        remaining = dict(values)
        components = [self._submit_component(c, remaining) for c in modal.get("components") or []]
        components = [c for c in components if c is not None]
        if remaining:
            raise EmulatorError(
                f"modal {modal.get('custom_id')!r} has no inputs named {sorted(remaining)}"
            )
        data = {"custom_id": modal["custom_id"], "components": components}
        message = self.store.state.messages.get(opened_by.source_message_id or 0)
        return await self._send(
            MODAL_SUBMIT, data, message=message, channel_id=opened_by.channel_id
        )

    # ---------------------------------------------------------------- building payloads

    def _command_payload(
        self, command: str, options: dict[str, Any], *, focused: str | None = None
    ) -> dict[str, Any]:
        """``data`` of a command interaction: subcommand groups/subcommands become
        nested options, with option types taken from the registered definition."""
        words = command.split()
        if not words:
            raise EmulatorError("empty command name")
        definition = self._find_command(words[0])
        data: dict[str, Any] = {
            "id": definition["id"],
            "name": definition["name"],
            "type": 1,
            "options": [],
        }
        if definition.get("guild_id"):
            data["guild_id"] = definition["guild_id"]
        target = data["options"]
        option_defs = definition.get("options") or []
        for word in words[1:]:
            subs = [o for o in option_defs if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            sub = next((o for o in subs if o["name"] == word), None)
            if sub is None:
                known = [o["name"] for o in subs]
                raise EmulatorError(f"/{command}: no subcommand {word!r} (known: {known})")
            node = {"name": sub["name"], "type": sub["type"], "options": []}
            target.append(node)
            target = node["options"]
            option_defs = sub.get("options") or []
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in option_defs):
            names = [o["name"] for o in option_defs]
            raise EmulatorError(f"/{command} needs a subcommand: {names}")
        resolved: dict[str, Any] = {}
        target.extend(self._build_options(option_defs, options, resolved, autocomplete=focused))
        # Discord sends no resolved data with autocomplete.
        if resolved and focused is None:
            data["resolved"] = resolved
        return data

    def _find_command(self, name: str) -> dict[str, Any]:
        candidates = [
            c
            for c in self.store.commands_for(self.guild_id)
            if c.get("type", 1) == 1 and c["name"] == name
        ]
        if not candidates:
            known = sorted({c["name"] for c in self.store.commands_for(self.guild_id)})
            raise EmulatorError(f"no slash command /{name} registered here (registered: {known})")
        definition = candidates[0]
        contexts = definition.get("contexts")
        if self.guild_id is None:
            if definition.get("guild_id") or definition.get("dm_permission") is False:
                raise EmulatorError(f"/{name} is not available in DMs")
            if contexts is not None and 1 not in contexts:
                raise EmulatorError(f"/{name} is not available in DMs (contexts={contexts})")
        else:
            if contexts is not None and 0 not in contexts:
                raise EmulatorError(f"/{name} is not available in servers (contexts={contexts})")
            required = definition.get("default_member_permissions")
            if required is not None:
                perms = self._member_permissions()
                if (perms & int(required)) != int(required) and perms != ALL_PERMISSIONS:
                    raise EmulatorError(
                        f"/{name} is hidden from this member (needs permissions {required})"
                    )
        return definition

    def _build_options(
        self,
        defs: list[dict[str, Any]],
        given: dict[str, Any],
        resolved: dict[str, Any],
        *,
        autocomplete: str | None,
    ) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in defs}
        unknown = [k for k in given if k not in by_name]
        if unknown:
            raise EmulatorError(f"unknown options {unknown} (known: {list(by_name)})")
        if autocomplete is None:
            missing = [d["name"] for d in defs if d.get("required") and d["name"] not in given]
            if missing:
                raise EmulatorError(f"missing required options {missing}")
        result = []
        for name, value in given.items():
            definition = by_name[name]
            if name == autocomplete:
                if not definition.get("autocomplete"):
                    raise EmulatorError(f"option {name!r} has no autocomplete")
                result.append(
                    {"name": name, "type": definition["type"], "value": str(value), "focused": True}
                )
                continue
            result.append(
                {
                    "name": name,
                    "type": definition["type"],
                    "value": self._option_value(definition, value, resolved),
                }
            )
        return result

    def _option_value(
        self, definition: dict[str, Any], value: Any, resolved: dict[str, Any]
    ) -> Any:
        otype = definition["type"]
        choices = definition.get("choices")
        allowed = [c["value"] for c in choices or []]
        if choices and value not in allowed:
            raise EmulatorError(f"{value!r} is not a choice of {definition['name']!r}: {allowed}")
        if otype == STRING:
            return str(value)
        if otype == INTEGER:
            return int(value)
        if otype == NUMBER:
            return float(value)
        if otype == BOOLEAN:
            return bool(value)
        if otype == ATTACHMENT:
            if isinstance(value, Attachment):      # from emu.upload(...)
                att = value
            else:
                filename, content = value
                att = Attachment(self.store.ids.next(), filename, content)
            self._pending_attachments.append(att)
            resolved.setdefault("attachments", {})[str(att.id)] = self.store.attachment_json(
                self.channel_id, att
            )
            return str(att.id)
        snowflake = int(getattr(value, "id", value))
        if otype == USER or (otype == MENTIONABLE and snowflake in self.store.state.users):
            self._resolve_user(snowflake, resolved)
        elif otype == CHANNEL:
            self._resolve_channel(snowflake, resolved)
        elif otype in (ROLE, MENTIONABLE):
            self._resolve_role(snowflake, resolved)
        return str(snowflake)

    def _resolve_user(self, user_id: int, resolved: dict[str, Any]) -> None:
        user = self.store.state.users.get(user_id)
        if user is None:
            raise EmulatorError(f"unknown user {user_id}")
        resolved.setdefault("users", {})[str(user_id)] = user.to_json()
        guild = self.store.state.guilds.get(self.guild_id) if self.guild_id else None
        member = guild.members.get(user_id) if guild else None
        if guild is not None and member is not None:
            channel = self.store.state.channels[self.channel_id]
            perms = channel_permissions(guild, channel, user_id)
            resolved.setdefault("members", {})[str(user_id)] = member.to_json(permissions=perms)

    def _resolve_channel(self, channel_id: int, resolved: dict[str, Any]) -> None:
        channel = self.store.state.channels.get(channel_id)
        if (channel is None or channel.deleted or channel.guild_id is None
                or channel.guild_id != self.guild_id):
            raise EmulatorError(f"channel {channel_id} is not in this guild")
        guild = self.store.state.guilds[channel.guild_id]
        data = channel.to_json() | {
            "permissions": str(channel_permissions(guild, channel, self.user_id))
        }
        resolved.setdefault("channels", {})[str(channel_id)] = data

    def _resolve_role(self, role_id: int, resolved: dict[str, Any]) -> None:
        guild = self.store.state.guilds.get(self.guild_id) if self.guild_id else None
        role = guild.roles.get(role_id) if guild else None
        if role is None:
            raise EmulatorError(f"role {role_id} is not in this guild")
        resolved.setdefault("roles", {})[str(role_id)] = role.to_json()

    async def _target_message(self, target: Message | InteractionResult) -> Message:
        if isinstance(target, InteractionResult):
            return await target.reply()
        if not isinstance(target, Message):
            raise EmulatorError(f"cannot interact with {target!r}")
        return self.store.state.messages[target.id]

    @staticmethod
    def _find_component(
        message: Message,
        kind: Callable[[dict[str, Any]], bool],
        custom_id: str | None,
        label: str | None,
        what: str,
        *,
        label_key: str = "label",
    ) -> dict[str, Any]:
        if message.deleted:
            raise EmulatorError(f"message {message.id} was deleted")
        candidates = [c for c in iter_components(message.components) if kind(c)]
        if custom_id is not None:
            candidates = [c for c in candidates if c.get("custom_id") == custom_id]
        if label is not None:
            candidates = [c for c in candidates if c.get(label_key) == label]
        if len(candidates) != 1:
            present = [
                (c.get(label_key), c.get("custom_id"))
                for c in iter_components(message.components)
                if kind(c)
            ]
            raise EmulatorError(
                f"expected one {what} matching custom_id={custom_id!r} {label_key}={label!r}; "
                f"message has {present}"
            )
        component = candidates[0]
        if component.get("disabled"):
            raise EmulatorError(f"{what} {component.get(label_key)!r} is disabled")
        return component

    @staticmethod
    def _submit_component(
        component: dict[str, Any], values: dict[str, Any]
    ) -> dict[str, Any] | None:
        ctype = component.get("type")
        if ctype == 1:
            children = [
                Actor._submit_input(c, c.get("label"), values)
                for c in component.get("components") or []
            ]
            children = [c for c in children if c is not None]
            return {"type": 1, "components": children} if children else None
        if ctype == 18:
            child = Actor._submit_input(
                component.get("component") or {}, component.get("label"), values
            )
            if child is None:
                return None
            label: dict[str, Any] = {"type": 18, "component": child}
            if "id" in component:
                label["id"] = component["id"]
            return label
        return None  # text displays and other static parts are not submitted

    @staticmethod
    def _submit_input(
        component: dict[str, Any], label: str | None, values: dict[str, Any]
    ) -> dict[str, Any] | None:
        custom_id = component.get("custom_id")
        if custom_id is None:
            return None
        key = custom_id if custom_id in values else label if label in values else None
        ctype = component.get("type")
        submitted: dict[str, Any] = {"type": ctype, "custom_id": custom_id}
        if "id" in component:
            submitted["id"] = component["id"]
        if ctype == 4:
            value = values.pop(key) if key is not None else component.get("value") or ""
            if component.get("required", True) and not value:
                raise EmulatorError(f"text input {label or custom_id!r} is required")
            max_length = component.get("max_length")
            if max_length is not None and len(value) > max_length:
                raise EmulatorError(
                    f"text input {label or custom_id!r} allows {max_length} characters"
                )
            submitted["value"] = str(value)
        else:
            chosen = values.pop(key) if key is not None else []
            submitted["values"] = [
                str(v) for v in (chosen if isinstance(chosen, (list, tuple)) else [chosen])
            ]
        return submitted

    # ---------------------------------------------------------------- sending

    def _member_permissions(self, channel_id: int | None = None) -> int:
        if self.guild_id is None:
            return EVERYONE_PERMISSIONS
        guild = self.store.state.guilds[self.guild_id]
        channel = self.store.state.channels[channel_id or self.channel_id]
        return channel_permissions(guild, channel, self.user_id)

    async def _send(
        self,
        itype: int,
        data: dict[str, Any],
        *,
        name: str | None = None,
        message: Message | None = None,
        channel_id: int | None = None,
    ) -> InteractionResult:
        store = self.store
        session = self.events.interaction_session(self.guild_id)
        if message is not None:
            channel_id = message.channel_id
            if (
                message.ephemeral
                and message.interaction
                and int(message.interaction["user"]["id"]) != self.user_id
            ):
                raise EmulatorError("only the user who received an ephemeral message can use it")
        channel_id = channel_id or self.channel_id
        channel = store.state.channels[channel_id]
        guild = store.state.guilds.get(channel.guild_id) if channel.guild_id else None
        if guild is not None and not guild.bot_present:
            raise EmulatorError(f"the bot is not in guild {guild.id}")

        result = InteractionResult(
            store.state,
            id=store.ids.next(),
            type=itype,
            user_id=self.user_id,
            guild_id=guild.id if guild else None,
            channel_id=channel_id,
            source_message_id=message.id if message is not None else None,
            name=name.split()[0] if name else None,
            timeout=self.timeout,
        )
        for att in self._pending_attachments:
            result.option_attachments[att.id] = att
        self._pending_attachments = []
        store.state.interactions[result.token] = result

        payload: dict[str, Any] = {
            "id": str(result.id),
            "application_id": str(store.application_id),
            "type": itype,
            "token": result.token,
            "version": 1,
            "data": data,
            "channel_id": str(channel_id),
            "channel": store.channel_json(channel),
            "locale": self.locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "authorizing_integration_owners": integration_owners(
                guild.id if guild else None, self.user_id
            ),
        }
        if guild is not None:
            perms = channel_permissions(guild, channel, self.user_id)
            member = guild.members[self.user_id]
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": guild.preferred_locale,
                                "features": []}
            payload["guild_locale"] = guild.preferred_locale
            payload["member"] = member.to_json(store.state.users[self.user_id], permissions=perms)
            payload["channel"]["permissions"] = str(perms)
            payload["app_permissions"] = str(store.bot_permissions(channel))
            payload["context"] = 0
        else:
            payload["user"] = store.state.users[self.user_id].to_json()
            payload["app_permissions"] = str(EVERYONE_PERMISSIONS)
            payload["context"] = 1
        if message is not None:
            payload["message"] = store.message_json(message)

        session.dispatch("INTERACTION_CREATE", payload)
        await result.wait_response()
        return result

