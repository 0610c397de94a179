"""What a member types at the sandbox prompt, read the way Discord's client reads it.

`/rejection log company:Acme role:"Backend Engineer" stage:onsite` becomes the command path
("rejection log") and options converted to the types the bot registered: numbers, booleans,
members (`member:@bob` or `member:bob`), channels (`channel:#support`), with the checks
Discord's client makes before sending (required options, choices, lengths and ranges).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
TYPE_NAMES = {
    STRING: "text", INTEGER: "whole number", BOOLEAN: "true/false", USER: "member",
    CHANNEL: "channel", ROLE: "role", MENTIONABLE: "member or role", NUMBER: "number",
    ATTACHMENT: "file path",
}
TRUE_WORDS = {"true", "yes", "on", "1", "y"}
FALSE_WORDS = {"false", "no", "off", "0", "n"}


class CommandLineError(Exception):
    """Something typed that Discord's client would not send; the message says what to fix."""


class Directory(Protocol):
    """Names in the place the member is typing: members, channels and roles by name."""

    def user_id(self, name: str) -> int | None: ...
    def channel_id(self, name: str) -> int | None: ...
    def role_id(self, name: str) -> int | None: ...
    def user_names(self) -> list[str]: ...
    def channel_names(self) -> list[str]: ...


@dataclass
class SlashLine:
    """A parsed slash command: its path, the leaf's option definitions, and the options."""

    path: list[str]
    option_defs: list[dict[str, Any]]
    raw_options: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return " ".join(self.path)


def split_words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:       # "No closing quotation"
        raise CommandLineError(f"Can't read that line: {exc}.") from None


def _subcommands(defs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in defs if d.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]


def find_command(definitions: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for definition in definitions:
        if definition.get("type", 1) == 1 and definition["name"] == name:
            return definition
    known = ", ".join(sorted("/" + d["name"] for d in definitions if d.get("type", 1) == 1))
    raise CommandLineError(f"There is no /{name} here. Commands: {known}.")


def parse_slash(line: str, definitions: list[dict[str, Any]]) -> SlashLine:
    """Split `/command sub option:value …` into its path and raw option text (not converted)."""
    words = split_words(line)
    if not words or not words[0].startswith("/") or words[0] == "/":
        raise CommandLineError("A command starts with /, like /rejection log company:Acme.")
    definition = find_command(definitions, words[0][1:])
    path = [definition["name"]]
    defs = definition.get("options") or []
    rest = words[1:]
    while _subcommands(defs):
        subs = _subcommands(defs)
        names = [s["name"] for s in subs]
        if not rest or rest[0] not in names:
            got = f" (not {rest[0]!r})" if rest else ""
            raise CommandLineError(
                f"/{' '.join(path)} needs one of: {', '.join(names)}{got}.")
        sub = next(s for s in subs if s["name"] == rest[0])
        path.append(sub["name"])
        defs = sub.get("options") or []
        rest = rest[1:]
    parsed = SlashLine(path, defs)
    known = {d["name"] for d in defs}
    for word in rest:
        name, colon, value = word.partition(":")
        if not colon:
            raise CommandLineError(
                f"Options are written name:value (got {word!r}). "
                f"/{parsed.command} takes: {_option_list(defs)}.")
        if name not in known:
            raise CommandLineError(
                f"/{parsed.command} has no option {name!r}. It takes: {_option_list(defs)}.")
        if name in parsed.raw_options:
            raise CommandLineError(f"{name} is given twice.")
        parsed.raw_options[name] = value
    return parsed


def _option_list(defs: list[dict[str, Any]]) -> str:
    if not defs:
        return "no options"
    return ", ".join(d["name"] + ("" if d.get("required") else "?") for d in defs)


def convert_options(parsed: SlashLine, directory: Directory, *, check_required: bool = True
                    ) -> dict[str, Any]:
    by_name = {d["name"]: d for d in parsed.option_defs}
    if check_required:
        missing = [d["name"] for d in parsed.option_defs
                   if d.get("required") and d["name"] not in parsed.raw_options]
        if missing:
            raise CommandLineError(
                f"/{parsed.command} needs {', '.join(m + ':…' for m in missing)}")
    return {name: convert(by_name[name], raw, directory)
            for name, raw in parsed.raw_options.items()}


def convert(definition: dict[str, Any], raw: str, directory: Directory) -> Any:
    """One option's text → the value Discord would send, or a CommandLineError saying why not."""
    name, otype = definition["name"], definition["type"]
    choices = definition.get("choices")
    if choices:
        for choice in choices:
            if raw == str(choice["value"]) or raw.lower() == str(choice["name"]).lower():
                return choice["value"]
        listed = ", ".join(str(c["value"]) for c in choices)
        raise CommandLineError(f"{name} is one of: {listed} (not {raw!r}).")
    if otype == STRING:
        low, high = definition.get("min_length"), definition.get("max_length")
        if low is not None and len(raw) < low:
            raise CommandLineError(f"{name} needs at least {low} characters.")
        if high is not None and len(raw) > high:
            raise CommandLineError(f"{name} allows at most {high} characters (got {len(raw)}).")
        return raw
    if otype in (INTEGER, NUMBER):
        try:
            value: int | float = int(raw) if otype == INTEGER else float(raw)
        except ValueError:
            raise CommandLineError(
                f"{name} is a {TYPE_NAMES[otype]} (not {raw!r}).") from None
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise CommandLineError(f"{name} is between {low} and {high}.")
        return value
    if otype == BOOLEAN:
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
        raise CommandLineError(f"{name} is true or false (not {raw!r}).")
    if otype in (USER, MENTIONABLE):
        found = directory.user_id(_strip_mention(raw, "@"))
        if found is None and otype == MENTIONABLE:
            found = directory.role_id(_strip_mention(raw, "@&"))
        if found is None:
            raise CommandLineError(
                f"{name}: no member {raw!r} here. Members: "
                f"{', '.join('@' + n for n in directory.user_names())}.")
        return found
    if otype == CHANNEL:
        found = directory.channel_id(_strip_mention(raw, "#"))
        if found is None:
            raise CommandLineError(
                f"{name}: no channel {raw!r} here. Channels: "
                f"{', '.join('#' + n for n in directory.channel_names())}.")
        return found
    if otype == ROLE:
        found = directory.role_id(_strip_mention(raw, "@&"))
        if found is None:
            raise CommandLineError(f"{name}: no role {raw!r} here.")
        return found
    if otype == ATTACHMENT:
        path = Path(raw).expanduser()
        if not path.is_file():
            raise CommandLineError(f"{name} is a file to attach; {raw!r} is not a file.")
        return (path.name, path.read_bytes())
    raise CommandLineError(f"{name}: options of type {otype} can't be typed here.")


def _strip_mention(raw: str, marker: str) -> str:
    """`<@123>`, `@bob` and `bob` all name bob (likewise `<#1>`, `#support`, `support`)."""
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].lstrip("@&#!")
    return text.removeprefix(marker).removeprefix(marker[:1])


# Completion ----------------------------------------------------------------------------------

@dataclass
class Completing:
    """What the word under the cursor is: a command, a subcommand, an option name, or the value
    of `option` (the other options typed so far are in `line.raw_options`)."""

    kind: str                        # command | subcommand | option | value
    candidates: list[str] = field(default_factory=list)
    line: SlashLine | None = None
    option: dict[str, Any] | None = None
    prefix: str = ""                 # what is typed of the value so far


def quote_if_needed(value: str) -> str:
    return shlex.quote(value) if any(c.isspace() or c in "'\"" for c in value) else value


def completing(before_cursor: str, definitions: list[dict[str, Any]]) -> Completing:
    """Classify the word being typed at the end of `before_cursor` (a slash command line)."""
    try:
        words = shlex.split(before_cursor)
    except ValueError:
        # An open quote: the value being typed contains spaces; complete what is there.
        words = shlex.split(before_cursor + '"')
    if not before_cursor or before_cursor[-1].isspace():
        words.append("")
    current = words[-1]
    if len(words) == 1:
        return Completing("command", [
            "/" + d["name"] for d in definitions if d.get("type", 1) == 1
            and ("/" + d["name"]).startswith(current)])
    try:
        definition = find_command(definitions, words[0][1:])
    except CommandLineError:
        return Completing("command")
    path, defs = [definition["name"]], definition.get("options") or []
    for word in words[1:-1]:
        subs = {s["name"]: s for s in _subcommands(defs)}
        if word not in subs:
            break
        path.append(word)
        defs = subs[word].get("options") or []
    if _subcommands(defs):
        return Completing("subcommand", [s["name"] for s in _subcommands(defs)
                                         if s["name"].startswith(current)])
    line = SlashLine(path, defs)
    for word in words[len(path):-1]:
        name, colon, value = word.partition(":")
        if colon:
            line.raw_options[name] = value
    name, colon, value = current.partition(":")
    if not colon:
        return Completing("option", [d["name"] + ":" for d in defs
                                     if d["name"] not in line.raw_options
                                     and d["name"].startswith(name)], line)
    option = next((d for d in defs if d["name"] == name), None)
    return Completing("value", line=line, option=option, prefix=value)
