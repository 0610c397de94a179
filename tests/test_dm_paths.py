"""Every DM goes through the outbox: no other module of the bot can open a DM or send to one.

Read from the source (AST), so a new code path that DMs a member around the outbox fails here
before it ever reaches a member. tests/e2e/test_outbox.py checks the other side: every DM the
emulator recorded carries the nonce of an outbox row."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADAPTER = ROOT / "bot" / "scheduling" / "outbox.py"
# Whoever these name is a person: `.send` on them is a DM.
PEOPLE = {"user", "member", "author", "owner", "recipient", "target"}
DM_ATTRIBUTES = {"create_dm", "dm_channel"}
DM_NAMES = {"DMChannel"}


def sources() -> list[Path]:
    return [p for folder in ("bot", "cogs") for p in (ROOT / folder).rglob("*.py")]


def _names_a_person(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in PEOPLE or node.attr.endswith(("_user", "_member", "owner"))
    if isinstance(node, ast.Name):
        return node.id in PEOPLE or node.id.endswith(("_user", "_member", "owner"))
    if isinstance(node, ast.Call):         # (await bot.fetch_user(id)).send(...)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in ("fetch_user", "get_user", "fetch_member", "get_member")
    if isinstance(node, ast.Await):
        return _names_a_person(node.value)
    return False


def dm_paths(path: Path, root: Path = ROOT) -> list[str]:
    """Every place in this file that opens a DM or sends to one ("file:line: what")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and node.attr in DM_ATTRIBUTES:
            found.append(f"{where}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in DM_NAMES:
            found.append(f"{where}: {node.id}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "send" and _names_a_person(node.func.value)):
            found.append(f"{where}: .send on a person")
    return found


def test_only_the_outbox_adapter_opens_or_sends_to_a_dm():
    offenders = [hit for path in sources() if path != ADAPTER for hit in dm_paths(path)]
    assert offenders == [], "DMs must go through bot.outbox.enqueue:\n" + "\n".join(offenders)


def test_the_check_sees_each_way_of_sending_a_dm(tmp_path):
    # The check itself is checked: each line but the last is a DM around the outbox.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "async def f(bot, interaction, guild, user_id, channel):\n"
        "    await bot.create_dm(user_id)\n"
        "    await interaction.user.send('hi')\n"
        "    await guild.owner.send('report')\n"
        "    await (await bot.fetch_user(user_id)).send('hi')\n"
        "    isinstance(channel, DMChannel)\n"
        "    await interaction.followup.send('fine: a reply')\n"
    )
    hits = sorted(dm_paths(sample, tmp_path))
    assert hits == ["sample.py:2: .create_dm", "sample.py:3: .send on a person",
                    "sample.py:4: .send on a person", "sample.py:5: .send on a person",
                    "sample.py:6: DMChannel"]


def test_the_adapter_is_where_dms_are_sent():
    assert any(".create_dm" in hit for hit in dm_paths(ADAPTER))
