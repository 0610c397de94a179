"""Finds texts a member would read that are not marked for translation: string constants (and
f-strings) that read like words, outside `_()`, `N_()`, `ngettext()`, `pgettext()` and `T_()`.

Not texts for members, so skipped: docstrings, logging calls, SQL, regular expressions and
date formats, `assert`, exceptions that are not UserFacingError subclasses (they are for
operators), custom_ids, and ALLOWED below (each with its reason).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from bot import errors

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("cogs", "bot/services", "bot/scheduling", "bot/tree.py", "bot/ui.py")
MARKERS = frozenset({"_", "N_", "ngettext", "pgettext", "T_", "locale_str"})
# Their string arguments name things in the code: cogs, attributes, types, classes.
NOT_TEXT_CALLS = frozenset({"get_cog", "getattr", "setattr", "hasattr", "TypeVar", "NewType",
                            "ContextVar", "getLogger", "create_task"})
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
REGEX_CALLS = frozenset({"compile", "search", "match", "fullmatch", "sub", "split", "findall",
                         "finditer", "strptime", "strftime"})
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|PRAGMA|BEGIN|"
                 r"COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b|\b(FROM|WHERE|JOIN|ORDER BY|GROUP BY|"
                 r"ON CONFLICT|VALUES|SET)\b.*\b[a-z_]+\b", re.DOTALL)
DATE_FORMAT = re.compile(r"^[%\w\s:./,-]*$")
# (file, the text) -> why it stays as it is.
ALLOWED: dict[tuple[str, str], str] = {
    ("bot/services/application_csv.py", "date applied"):
        "a column of the CSV file: /apply import reads the exported file back",
    ("bot/services/application_csv.py", "status changed on"):
        "a column of the CSV file: /apply import reads the exported file back",
    ("bot/services/chart.py", "upper center"): "where matplotlib puts the legend",
    ("cogs/help.py", "Onward"): "the bot's name reads the same in every language",
    ("cogs/rejection.py", "Rejection"): "the cog's name in code, never shown",
    ("cogs/feedback.py", "```text\n\n```"): "a code block around the draft: no words",
    ("bot/services/feedback.py", "interviewer's name"):
        "a field key: text.py words each field's problems in whole sentences",
    ("bot/services/text.py", "Cc"): "a Unicode category (control characters)",
    ("bot/services/text.py", "Cf"): "a Unicode category (format characters)",
    ("bot/services/outbox.py", "gave up: "): "an outbox row's detail, for operators only",
    ("bot/scheduling/outbox.py", " code "):
        "an outbox row's detail and log line, for operators only",
    ("bot/scheduling/outbox.py", "no answer"): "an outbox row's detail, for operators only",
}
# An IANA timezone name ("Europe/Berlin") reads the same in every language.
TIMEZONE = re.compile(r"^[A-Z][A-Za-z_]+(/[A-Za-z_+-]+)+$")


def reads_like_words(text: str) -> bool:
    """A letter and a space, or a capitalised word: what a person reads, not an identifier."""
    if not re.search(r"[^\W\d_]", text):
        return False
    return bool(re.search(r"[^\W\d_]\s|\s[^\W\d_]", text) or re.search(r"\b[A-Z][a-z]+", text))


def user_facing_errors() -> set[str]:
    names = set()
    todo = [errors.UserFacingError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _receiver(node: ast.AST) -> str:
    return _name(node.value) if isinstance(node, ast.Attribute) else ""


class _Scan(ast.NodeVisitor):
    def __init__(self, path: str, facing: set[str]) -> None:
        self.path = path
        self.facing = facing | self._local_subclasses
        self.findings: list[Finding] = []

    _local_subclasses: set[str] = set()

    def scan(self, tree: ast.Module) -> list[Finding]:
        # Classes of this file that derive from a user-facing error are user-facing too.
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    _name(b) in self.facing for b in node.bases):
                self.facing = self.facing | {node.name}
        self.visit(tree)
        return self.findings

    # What is skipped whole --------------------------------------------------------------------

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return          # a docstring, or a bare string that shows nowhere
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        return

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            lookup = isinstance(key, ast.Constant) and isinstance(key.value, str) \
                and key.value == key.value.lower()
            if key is not None and not lookup:
                self.visit(key)          # a lower-case key is looked up, never shown
            self.visit(value)

    def visit_arg(self, node: ast.arg) -> None:
        return              # its annotation: a type, never shown

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for item in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults):
            if item is not None:
                self.visit(item)
        for statement in node.body:
            self.visit(statement)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        called = exc.func if isinstance(exc, ast.Call) else exc
        if exc is not None and _name(called) not in self.facing:
            if isinstance(exc, ast.Call):
                return      # an exception for operators: not translated
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in MARKERS:
            return
        receiver = _receiver(node.func).lower()
        if name in LOG_METHODS and ("log" in receiver or "failures" in receiver):
            return
        if name in REGEX_CALLS or name in NOT_TEXT_CALLS:
            return
        if name == "cast" and node.args:
            # cast("Encourage", ...): a type's name
            for arg in node.args[1:]:
                self.visit(arg)
            return
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == "custom_ids":
            return
        for keyword in node.keywords:
            if keyword.arg in {"custom_id", "name"} and isinstance(keyword.value, ast.Constant):
                continue
            self.visit(keyword.value)
        self.visit(node.func)
        for arg in node.args:
            self.visit(arg)

    # What is looked at ------------------------------------------------------------------------

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._check(node, node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        literal = "".join(v.value for v in node.values
                          if isinstance(v, ast.Constant) and isinstance(v.value, str))
        self._check(node, literal, shown=ast.unparse(node))
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value.value)

    def _check(self, node: ast.AST, text: str, shown: str | None = None) -> None:
        if not reads_like_words(text) or SQL.search(text):
            return
        if "%" in text and DATE_FORMAT.match(text) or TIMEZONE.match(text):
            return
        if (self.path, text) in ALLOWED:
            return
        self.findings.append(Finding(self.path, getattr(node, "lineno", 0), shown or text))


def scan_source(source: str, path: str = "<source>") -> list[Finding]:
    return _Scan(path, user_facing_errors()).scan(ast.parse(source))


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for part in SCANNED:
        where = ROOT / part
        files += [where] if where.is_file() else sorted(where.rglob("*.py"))
    return files


def scan_code() -> list[Finding]:
    findings: list[Finding] = []
    for path in scanned_files():
        findings += scan_source(path.read_text(encoding="utf-8"),
                                str(path.relative_to(ROOT)))
    return findings
