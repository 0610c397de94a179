"""Bot messages as a terminal shows them: Discord markup made readable, embeds drawn as boxes,
buttons numbered so they can be pressed with `click N`, attachments listed with their size."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_SLASH = re.compile(r"</([\w -]+):\d+>")
_CUSTOM_EMOJI = re.compile(r"<a?(:\w+:)\d+>")
# One markdown token at a time: an escaped character, a code fence, an inline code span,
# or a bold / underline / strike marker.
_MARKDOWN = re.compile(r"\\(.)|```(?:\w*\n)?(.*?)```|`([^`\n]+)`|(\*\*|__|~~)", re.DOTALL)


@dataclass(frozen=True)
class Names:
    """How ids read in the terminal: user, channel and role names by id."""

    users: Callable[[int], str | None]
    channels: Callable[[int], str | None]
    roles: Callable[[int], str | None] = lambda _id: None


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size / (1024 * 1024):.1f} MB"


def relative(moment: datetime, now: datetime) -> str:
    """"in 3 hours" / "2 days ago", the way Discord shows <t:…:R>."""
    delta = moment - now
    future = delta >= timedelta(0)
    seconds = abs(delta.total_seconds())
    # A unit is used from 95% of it on, so a timer set for 24 h reads "in 1 day" a moment later.
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400),  # noqa: B007
                       ("hour", 3600), ("minute", 60)):
        if seconds >= 0.95 * size:
            count = max(1, round(seconds / size))
            break
    else:
        return "in a few seconds" if future else "a few seconds ago"
    words = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {words}" if future else f"{words} ago"


def format_timestamp(seconds: int, style: str, now: datetime) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    if style == "R":
        return relative(moment, now)
    formats = {
        "t": "%H:%M", "T": "%H:%M:%S", "d": "%Y-%m-%d", "D": "%d %B %Y",
        "f": "%d %B %Y %H:%M", "F": "%A, %d %B %Y %H:%M",
    }
    text = moment.strftime(formats.get(style, formats["f"]))
    return text if style in ("d", "D") else f"{text} UTC"


class Renderer:
    def __init__(self, names: Names, *, width: int = 88, color: bool = False) -> None:
        self.names = names
        self.width = max(40, width)
        self.color = color

    # Text -------------------------------------------------------------------------------------

    def text(self, raw: str, now: datetime) -> str:
        """Discord markup → plain terminal text (bold kept as ANSI bold when colour is on)."""
        text = _TIMESTAMP.sub(lambda m: format_timestamp(int(m[1]), m[2] or "f", now), raw)
        text = _USER.sub(lambda m: "@" + (self.names.users(int(m[1])) or m[1]), text)
        text = _ROLE.sub(lambda m: "@" + (self.names.roles(int(m[1])) or m[1]), text)
        text = _CHANNEL.sub(lambda m: "#" + (self.names.channels(int(m[1])) or m[1]), text)
        text = _SLASH.sub(lambda m: "/" + m[1], text)
        text = _CUSTOM_EMOJI.sub(lambda m: m[1], text)
        return self._markdown(text)

    def _markdown(self, text: str) -> str:
        out: list[str] = []
        bold = False
        position = 0
        for match in _MARKDOWN.finditer(text):
            out.append(text[position:match.start()])
            position = match.end()
            escaped, fence, code, marker = match.groups()
            if escaped is not None:
                out.append(escaped)
            elif fence is not None:
                body = fence.strip("\n")
                out.append("\n".join("    " + line for line in body.split("\n")))
            elif code is not None:
                out.append(code)
            elif marker == "**" and self.color:
                bold = not bold
                out.append(BOLD if bold else RESET)
        out.append(text[position:])
        if bold:
            out.append(RESET)
        lines = []
        for line in "".join(out).split("\n"):
            # Subtext and headings read fine without their markers.
            lines.append(re.sub(r"^(-# |#{1,3} )", "", line))
        return "\n".join(lines)

    def wrap(self, text: str, indent: str) -> list[str]:
        room = self.width - len(indent)
        lines: list[str] = []
        for line in text.split("\n"):
            if len(line) <= room:
                lines.append(indent + line)
                continue
            # Keep a quote or bullet marker on the continuation lines' indentation.
            marker = re.match(r"^(\s*(?:> |• |- |\d+\. )?)", line)
            lead = marker[1] if marker else ""
            lines.extend(textwrap.wrap(line, room, initial_indent=indent,
                                       subsequent_indent=indent + " " * len(lead),
                                       break_on_hyphens=False, drop_whitespace=True) or [indent])
        return lines

    # Messages ---------------------------------------------------------------------------------

    def message(
        self, *, number: int, place: str, note: str | None, content: str,
        embeds: list[dict[str, Any]], buttons: list[dict[str, Any]],
        selects: list[dict[str, Any]], files: Sequence[tuple[str, int, Path | str | None]],
        now: datetime,
    ) -> str:
        """One message: a header line, then its content, embeds, files and buttons, indented.
        `files` are (filename, size, saved path or None)."""
        header = f"[{number}] {place}" + (f" {note}" if note else "")
        lines = [self._style(header, BOLD)]
        indent = "    "
        if content:
            lines += self.wrap(self.text(content, now), indent)
        for embed in embeds:
            lines += self.embed(embed, now, indent)
        for filename, size, saved in files:
            where = f" → {saved}" if saved else ""
            lines.append(f"{indent}📎 {filename} ({human_size(size)}){where}")
        if buttons:
            lines += self.wrap(self.buttons(buttons), indent)
        for menu in selects:
            options = ", ".join(o.get("label", "?") for o in menu.get("options") or [])
            placeholder = menu.get("placeholder") or "choose"
            lines.append(f"{indent}▾ {placeholder}: {options}")
        return "\n".join(lines)

    def buttons(self, buttons: list[dict[str, Any]]) -> str:
        shown = []
        for i, button in enumerate(buttons, 1):
            label = button.get("label") or (button.get("emoji") or {}).get("name") or "button"
            if button.get("url"):
                shown.append(f"[{i} {label} ↗ {button['url']}]")
            elif button.get("disabled"):
                shown.append(f"[{i} {label} (disabled)]")
            else:
                shown.append(f"[{i} {label}]")
        return "  ".join(shown)

    def embed(self, embed: dict[str, Any], now: datetime, indent: str) -> list[str]:
        inner = indent + "│ "
        title = self.text(embed.get("title") or "", now)
        top_room = max(4, self.width - len(indent) - len(title) - 4)
        lines = [indent + "┌─ " + self._style(title, BOLD) + " " + "─" * min(top_room, 30)
                 if title else indent + "┌" + "─" * 34]
        if embed.get("author", {}).get("name"):
            lines += self.wrap(self.text(embed["author"]["name"], now), inner)
        if embed.get("description"):
            lines += self.wrap(self.text(embed["description"], now), inner)
        for field in embed.get("fields") or []:
            name = self.text(field.get("name") or "", now)
            value = self.text(field.get("value") or "", now)
            lines += self.wrap(self._style(name, BOLD), inner)
            lines += self.wrap(value, inner + "  ")
        image = (embed.get("image") or {}).get("url")
        if image:
            shown = image.removeprefix("attachment://")
            lines.append(f"{inner}🖼  {shown}" + (" (attached below)" if shown != image else ""))
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines += self.wrap(self._style(self.text(footer, now), DIM), inner)
        lines.append(indent + "└" + "─" * 34)
        return lines

    def modal_intro(self, modal: dict[str, Any]) -> str:
        return self._style(f"┌─ {modal.get('title') or 'Form'}", BOLD)

    def _style(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text


def text_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields of a modal in order, each with its label (classic action rows hold the label
    on the input; label components (type 18) wrap it)."""
    fields = []
    for part in modal.get("components") or []:
        if part.get("type") == 1:
            for child in part.get("components") or []:
                if child.get("type") == 4:
                    fields.append(dict(child))
        elif part.get("type") == 18:
            child = part.get("component") or {}
            if child.get("type") == 4:
                fields.append({**child, "label": part.get("label"),
                               "description": part.get("description")})
    return fields
