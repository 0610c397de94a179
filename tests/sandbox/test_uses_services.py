"""The sandbox reads the bot's data through services, never through repositories or SQL."""

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "bot" / "sandbox"


def test_sandbox_imports_no_repository():
    offenders = []
    for path in sorted(SANDBOX.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("bot.db")]
    assert offenders == []
