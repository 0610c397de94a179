"""discord_emulator stands on its own: it imports neither the bot nor discord.py, so what it
accepts is Discord's behaviour as written down, never the bot's own idea of it."""

from __future__ import annotations

import ast
from pathlib import Path

import discord_emulator

PACKAGE = Path(discord_emulator.__file__).parent
FORBIDDEN = {"bot", "cogs", "discord"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_emulator_imports_neither_the_bot_nor_discord_py():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 5
    offenders = {str(f.relative_to(PACKAGE)): sorted(imported_roots(f) & FORBIDDEN)
                 for f in files if imported_roots(f) & FORBIDDEN}
    assert offenders == {}
