"""Every name and description Discord shows for Onward's commands, options and choices is a
text marked for the translation catalogs, so each can be translated."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.i18n import LANGUAGE_NAMES

ROOT = Path(__file__).resolve().parents[2]
MARKERS = {"_", "N_", "T_", "ngettext", "pgettext"}


def marked_texts() -> set[str]:
    """The literal texts passed to a marker in the cogs and the shared UI modules (what the
    catalog extraction finds)."""
    found: set[str] = set()
    for path in [*ROOT.joinpath("cogs").glob("*.py"), ROOT / "bot" / "ui.py",
                 ROOT / "bot" / "tree.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS):
                found.update(arg.value for arg in node.args
                             if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return found


def texts_of(command: dict[str, Any]) -> Iterator[str]:
    yield command["name"]
    yield command["description"]
    for option in command.get("options") or []:
        yield from texts_of(option)
        for choice in option.get("choices") or []:
            yield choice["name"]


async def test_every_command_option_and_choice_text_is_marked(world):
    marked = marked_texts()
    shown = [text for command in world.emu.registered_commands() for text in texts_of(command)]
    assert len(shown) > 100
    # The language choices name each language in itself, the same in every language.
    unmarked = [text for text in shown if text not in marked]
    assert [text for text in unmarked if text not in LANGUAGE_NAMES.values()] == []
