"""Request bodies checked against Discord's published OpenAPI spec (`spec/openapi.json`).

Each body is validated (JSON Schema Draft 2020-12) against the request schema of the spec's
route it was sent to, with the spec README's conventions: a field typed integer accepts a string
that parses as one, and `oneOf` unions are validated as `anyOf`. Discord also takes snowflakes
as numbers (discord.py sends some that way). Limits the spec lacks but Discord's documentation
gives are checked after the schema: message content <= 2,000 characters, <= 10 embeds, one
embed's text <= 6,000 characters, and all of a message's embeds together <= 6,000 too.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord-openapi"
CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
EMBED_TEXT_LIMIT = 6000
SEEN_BODIES = 256
_INTEGER = re.compile(r"-?\d+")
_PARAM = re.compile(r"\{[^/}]+\}")
# Routes whose JSON body (or `data`, for an interaction callback) is a message.
_MESSAGE_ROUTES = {
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
}
_CALLBACK_ROUTE = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
_MESSAGE_CALLBACK_TYPES = (4, 7)          # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE


@dataclass(frozen=True)
class SpecViolation:
    """One rule a request body broke: where (route and JSON pointer into the body) and which."""

    method: str
    path: str          # the path as sent
    route: str         # the spec's path template
    pointer: str       # JSON pointer into the body ("" for the whole body)
    rule: str          # the limit or rule, e.g. "maxLength 100"
    message: str

    def __str__(self) -> str:
        return (f"{self.method} {self.route} at {self.pointer or '/'}: {self.message} "
                f"(rule: {self.rule})")


def _is_integer(checker: Any, instance: Any) -> bool:
    if isinstance(instance, str):
        return _INTEGER.fullmatch(instance) is not None
    return Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer")


_ANY_OF = Draft202012Validator.VALIDATORS["anyOf"]
_JSON_TYPES = ("null", "boolean", "object", "array", "number", "string", "integer")


def _any_of(validator: Any, any_of: list[Any], instance: Any, schema: dict[str, Any]):
    """`anyOf`, without trying every branch where that is decided sooner: the spec's unions
    nest (command options, components) and are long (enums written as unions of `const`), and
    trying each branch at each level made validation slow. A union of constants is a lookup;
    when the value's JSON type and its `type` field leave one branch that could fit, only that
    branch is validated (the others would fail on those alone), and its errors, which say
    better what is wrong, are the union's; when they leave none, the union fails on them."""
    plan = schema.get("x-union")
    if plan is None:
        yield from _ANY_OF(validator, any_of, instance, schema)
        return
    if plan["consts"] is not None:
        if any(validator.evolve(schema={"const": c}).is_valid(instance) for c in plan["consts"]):
            return
        yield from _ANY_OF(validator, any_of, instance, schema)
        return
    tag = _tag(instance.get("type")) if isinstance(instance, dict) else None
    kind_fits = [kinds is None or any(validator.is_type(instance, k) for k in kinds)
                 for kinds in plan["kinds"]]
    fitting = [index for index, tags in enumerate(plan["tags"])
               if kind_fits[index] and (tag is None or tags is None or tag in tags)]
    if len(fitting) == 1:
        yield from validator.descend(instance, any_of[fitting[0]], schema_path=fitting[0])
    elif fitting:
        yield from _ANY_OF(validator, any_of, instance, schema)
    elif not any(kind_fits):
        kinds = sorted({k for kinds in plan["kinds"] for k in kinds})
        yield from validator.descend(instance, {"type": kinds})
    else:
        tags = sorted({t for tags in plan["tags"] for t in tags}, key=str)
        yield from validator.descend(instance, {"properties": {"type": {"enum": tags}}})


def _tag(value: Any) -> Any:
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def _union_plan(branches: list[Any]) -> dict[str, Any]:
    """What decides a union early: its constants, if it is an enum written as a union; else,
    per branch, the JSON types it can be and the values its required `type` field may take
    (None: not known, so any)."""
    if all(isinstance(b, dict) and "const" in b and set(b) <= {"const", "title", "description"}
           for b in branches):
        return {"consts": [b["const"] for b in branches]}
    kinds, tags = [], []
    for branch in branches:
        declared = branch.get("type") if isinstance(branch, dict) else None
        if isinstance(declared, str):
            declared = [declared]
        kinds.append(declared if isinstance(declared, list)
                     and all(k in _JSON_TYPES for k in declared) else None)
        values = None
        if isinstance(branch, dict) and "type" in branch.get("required", ()):
            enum = branch.get("properties", {}).get("type", {}).get("enum")
            if isinstance(enum, list) and enum and all(_tag(v) is not None for v in enum):
                values = frozenset(_tag(v) for v in enum)
        tags.append(values)
    return {"consts": None, "kinds": kinds, "tags": tags}


_Validator = validators.extend(
    Draft202012Validator,
    validators={"anyOf": _any_of},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _as_any_of(node: Any) -> Any:
    """`oneOf` → `anyOf`, everywhere (in place)."""
    if isinstance(node, dict):
        if "oneOf" in node:
            branches = node.pop("oneOf")
            if "anyOf" in node:
                node.setdefault("allOf", []).append({"anyOf": branches})
            else:
                node["anyOf"] = branches
        for value in node.values():
            _as_any_of(value)
    elif isinstance(node, list):
        for value in node:
            _as_any_of(value)
    return node


class Spec:
    """The spec, loaded once; a validator per (method, route), built on first use."""

    def __init__(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        snowflake = schemas["SnowflakeType"]
        schemas["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
        self.document = _as_any_of(document)
        resource = DRAFT202012.create_resource(self.document)
        self.registry = Registry().with_resource(SPEC_URI, resource).crawl()
        # Templates by segment count; literal segments (`@me`, `@original`) beat parameters.
        self._templates: dict[int, list[tuple[re.Pattern[str], str]]] = defaultdict(list)
        for template in self.document["paths"]:
            pattern = re.compile(_PARAM.sub(r"[^/]+", re.escape(template).replace(r"\{", "{")
                                            .replace(r"\}", "}")))
            self._templates[template.count("/")].append((pattern, template))
        for candidates in self._templates.values():
            candidates.sort(key=lambda item: _specificity(item[1]), reverse=True)
        self._validators: dict[tuple[str, str], Any] = {}
        # The rules the latest bodies broke, by body: a bot sends the same command list at
        # every start and the same few replies again and again.
        self._seen: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}

    def route(self, path: str) -> str | None:
        """The spec's path template a request path matches, e.g. `/channels/{channel_id}`."""
        path = path.rstrip("/") or "/"
        for pattern, template in self._templates.get(path.count("/"), ()):
            if pattern.fullmatch(path):
                return template
        return None

    def validator(self, method: str, route: str) -> Any | None:
        key = (method, route)
        if key not in self._validators:
            self._validators[key] = self._build(method, route)
        return self._validators[key]

    def _build(self, method: str, route: str) -> Any | None:
        operation = self.document["paths"].get(route, {}).get(method.lower())
        content = (operation or {}).get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        # Precompiled: every $ref the schema reaches is inlined once, so validating a body does
        # no reference lookups (a recursive one stays a reference into the spec).
        schema = _Inliner(self.document["components"]["schemas"]).inline(
            content["application/json"]["schema"])
        return _Validator(schema, registry=self.registry)

    def precompile(self) -> None:
        """Build every route's validator now rather than on its first request."""
        for route, operations in self.document["paths"].items():
            for method in operations:
                if method in ("get", "put", "post", "patch", "delete"):
                    self.validator(method.upper(), route)

    def check(self, method: str, path: str, body: Any) -> list[SpecViolation]:
        """Every rule `body` breaks on this route ([] when it keeps them all, or when the spec
        has no JSON request schema for it)."""
        route = self.route(path)
        if route is None or body is None:
            return []
        key = (method, route, json.dumps(body, sort_keys=True))
        broken = self._seen.get(key)
        if broken is None:
            broken = self._rules_broken(method, route, body)
            if len(self._seen) >= SEEN_BODIES:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = broken
        return [SpecViolation(method, path, route, *rule) for rule in broken]

    def _rules_broken(self, method: str, route: str, body: Any) -> list[tuple[str, str, str]]:
        found = []
        validator = self.validator(method, route)
        if validator is not None:
            for error in validator.iter_errors(body):
                leaf = _explain(error)
                found.append((_pointer(leaf.absolute_path), _rule(leaf), _message(leaf)))
        seen = {(pointer, rule) for pointer, rule, _ in found}
        found += [limit for limit in documented_limits(method, route, body)
                  if limit[:2] not in seen]     # where the spec has the limit too
        return found


class _Inliner:
    _PREFIX = "#/components/schemas/"

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.done: dict[str, Any] = {}
        self.open: set[str] = set()

    def inline(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(self._PREFIX):
            rest = {k: self.inline(v) for k, v in node.items() if k != "$ref"}
            target = self._schema(ref.removeprefix(self._PREFIX))
            return {"allOf": [target, rest]} if rest else target
        inlined = {k: self.inline(v) for k, v in node.items()}
        if isinstance(inlined.get("anyOf"), list):
            inlined["x-union"] = _union_plan(inlined["anyOf"])
        return inlined

    def _schema(self, name: str) -> Any:
        if name in self.done:
            return self.done[name]
        if name in self.open:
            return {"$ref": f"{SPEC_URI}{self._PREFIX}{name}"}
        self.open.add(name)
        inlined = self.inline(self.schemas[name])
        self.open.discard(name)
        self.done[name] = inlined
        return inlined


def _specificity(template: str) -> tuple[bool, ...]:
    return tuple(not part.startswith("{") for part in template.split("/"))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _pointer(path: Any) -> str:
    return "".join("/" + _escape(str(part)) for part in path)


def _explain(error: ValidationError) -> ValidationError:
    """The error that says what is wrong. Under a union (`anyOf`), the branches whose
    discriminator (`type`) or kind (object, null, ...) does not fit are set aside; of the rest,
    the branch with the fewest errors is the one meant, and its deepest error wins."""
    while error.context:
        branches: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        fitting = [errors for errors in branches.values() if not any(map(_misfit, errors))]
        closest = min(fitting or list(branches.values()), key=len)
        error = max(closest, key=lambda e: (len(e.absolute_path), not e.context))
    return error


def _misfit(error: ValidationError) -> bool:
    """Whether this error only says the value is another shape than the branch's."""
    relative = list(error.relative_path)
    if error.validator == "type" and not relative:
        return True
    return relative == ["type"] and error.validator in ("enum", "const", "anyOf")


def _rule(error: ValidationError) -> str:
    value = error.validator_value
    if error.validator == "required":
        return "required"
    if isinstance(value, (dict, list)) and error.validator not in ("type", "enum"):
        return str(error.validator)
    return f"{error.validator} {json.dumps(value)}"


def _message(error: ValidationError) -> str:
    text = error.message
    return text if len(text) <= 160 else text[:100] + " … " + text[-50:]


def documented_limits(method: str, route: str, body: Any) -> list[tuple[str, str, str]]:
    """(pointer, rule, message) for each documented message limit the spec does not carry."""
    if (method, route) == _CALLBACK_ROUTE:
        if not isinstance(body, dict) or body.get("type") not in _MESSAGE_CALLBACK_TYPES:
            return []
        message, base = body.get("data"), "/data"
    elif (method, route) in _MESSAGE_ROUTES:
        message, base = body, ""
    else:
        return []
    if not isinstance(message, dict):
        return []
    found = []
    content = message.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        found.append((f"{base}/content", f"maxLength {CONTENT_LIMIT}",
                      f"content is {len(content)} characters long (at most {CONTENT_LIMIT})"))
    embeds = message.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > EMBEDS_LIMIT:
            found.append((f"{base}/embeds", f"maxItems {EMBEDS_LIMIT}",
                          f"{len(embeds)} embeds (at most {EMBEDS_LIMIT})"))
        lengths = [embed_text_length(e) if isinstance(e, dict) else 0 for e in embeds]
        for index, total in enumerate(lengths):
            if total > EMBED_TEXT_LIMIT:
                found.append((f"{base}/embeds/{index}", f"embed text total {EMBED_TEXT_LIMIT}",
                              f"the embed's text is {total} characters (at most "
                              f"{EMBED_TEXT_LIMIT} across title, description, fields, footer "
                              f"and author)"))
        if sum(lengths) > EMBED_TEXT_LIMIT and max(lengths) <= EMBED_TEXT_LIMIT:
            found.append((f"{base}/embeds", f"embeds text total {EMBED_TEXT_LIMIT}",
                          f"the embeds' text is {sum(lengths)} characters together (at most "
                          f"{EMBED_TEXT_LIMIT} across all of a message's embeds)"))
    return found


def embed_text_length(embed: dict[str, Any]) -> int:
    """Characters counted towards Discord's 6,000 per embed."""
    def text(value: Any) -> int:
        return len(value) if isinstance(value, str) else 0

    total = text(embed.get("title")) + text(embed.get("description"))
    for part in ("footer",):
        total += text((embed.get(part) or {}).get("text"))
    total += text((embed.get("author") or {}).get("name"))
    for field in embed.get("fields") or []:
        if isinstance(field, dict):
            total += text(field.get("name")) + text(field.get("value"))
    return total


@cache
def spec() -> Spec:
    """The vendored spec, loaded (and its routes indexed) once per process."""
    raw = resources.files(__package__).joinpath("spec/openapi.json").read_bytes()
    return Spec(json.loads(raw))


def form_errors(violations: list[SpecViolation]) -> dict[str, Any]:
    """Discord's nested `errors` object of a 50035 answer, one entry per violation."""
    errors: dict[str, Any] = {}
    for violation in violations:
        node = errors
        for key in [p.replace("~1", "/").replace("~0", "~")
                    for p in violation.pointer.split("/")[1:]]:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({
            "code": _CODES.get(violation.rule.split(" ")[0], "BASE_TYPE_INVALID"),
            "message": f"{violation.message} (rule: {violation.rule}; route: "
                       f"{violation.method} {violation.route}; at {violation.pointer or '/'})",
        })
    return errors


_CODES = {
    "maxLength": "BASE_TYPE_BAD_LENGTH", "minLength": "BASE_TYPE_BAD_LENGTH",
    "maxItems": "BASE_TYPE_BAD_LENGTH", "minItems": "BASE_TYPE_BAD_LENGTH",
    "required": "BASE_TYPE_REQUIRED", "type": "BASE_TYPE_INVALID",
    "maximum": "NUMBER_TYPE_MAX", "minimum": "NUMBER_TYPE_MIN", "enum": "BASE_TYPE_CHOICES",
    "embed": "MAX_EMBED_SIZE_EXCEEDED",
}
