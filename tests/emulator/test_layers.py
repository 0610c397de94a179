"""discord_emulator is built in layers, each using only those below it.

The one statement of the order is LAYERS: bottom first; each layer lists its components (a
module, or a subpackage with all its modules), lowest first. A module may import from its own
component, from components listed before its own in its layer, and from layers below; never
from a layer above or from a later component of its own layer. Modules reach nothing private
of another module, and the imports form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import discord_emulator

PACKAGE = Path(discord_emulator.__file__).resolve().parent

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # plain data: users, guilds, channels, roles, messages, interactions; the spec reader
    ("state", ("state", "interactions", "openapi")),
    # changes to the state: ids, messages, permissions, JSON of objects
    ("store", ("store",)),
    # what gateway dispatches a change produces, per shard
    ("events", ("events",)),
    # the REST resources and faults, the gateway sessions, members acting
    ("edges", ("rest", "gateway", "actors")),
    # the test API
    ("front", ("emulator", "__init__")),
]


def modules() -> dict[str, Path]:
    """Dotted name inside the package (``rest.channels``, ``rest``) -> file."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def component(module: str) -> str:
    return module.split(".")[0]


def layer_of(module: str) -> int:
    return rank(module)[0]


def rank(module: str) -> tuple[int, int]:
    """(layer, position of the component within the layer)."""
    for index, (_, components) in enumerate(LAYERS):
        if component(module) in components:
            return index, components.index(component(module))
    raise AssertionError(f"discord_emulator.{module} is in no layer: add it to LAYERS")


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that `module` imports (relative or absolute)."""
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    if module == "__init__":
        base = []
    result: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("discord_emulator"):
                prefix = node.module.removeprefix("discord_emulator").lstrip(".")
            else:
                continue
            for alias in node.names:
                full = f"{prefix}.{alias.name}" if prefix else alias.name
                targets.append(full if full in known else prefix)
        elif isinstance(node, ast.Import):
            targets = [
                a.name.removeprefix("discord_emulator").lstrip(".")
                for a in node.names
                if a.name.startswith("discord_emulator.")
            ]
        result.update(t for t in targets if t in known and t != module)
    return result


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_module_has_a_layer():
    for name in modules():
        layer_of(name)


def test_no_module_imports_from_above():
    wrong = []
    for name, deps in graph().items():
        for dep in deps:
            if component(dep) != component(name) and rank(dep) > rank(name):
                mine, theirs = LAYERS[layer_of(name)][0], LAYERS[layer_of(dep)][0]
                wrong.append(f"{name} ({mine}) imports {dep} ({theirs}), which is above it")
    assert wrong == []


def test_imports_form_no_cycle():
    deps = graph()
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail, name]))
        if name in done:
            return
        for dep in sorted(deps[name]):
            visit(dep, [*trail, name])
        done.add(name)

    for name in sorted(deps):
        visit(name, [])


def test_no_module_reaches_into_another_ones_private_names():
    wrong = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(), str(path))
        own_classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or "discord_emulator" in (
                node.module or ""
            )):
                wrong += [f"{name} imports {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in {"self", "cls", *own_classes}:
                    continue
                wrong.append(f"{name}:{node.lineno} uses {ast.unparse(node)}")
    assert wrong == []


def test_the_checks_see_the_package():
    deps = graph()
    assert "store" in deps["events"]
    assert {"events", "store"} <= deps["rest.context"]
    assert "rest.context" in deps["rest.channels"]
    assert {"store", "events", "interactions"} <= deps["actors"]
