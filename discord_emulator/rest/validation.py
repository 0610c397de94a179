"""A subset of Discord's documented limits, so that payloads production would reject fail
here too instead of passing silently."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from aiohttp import web

from ..state import iter_components
from .responses import FormErrors, error_response

FLAG_COMPONENTS_V2 = 1 << 15
COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
# Discord's locales (AvailableLocalesEnum): the keys a *_localizations object may have.
LOCALES = frozenset({
    "ar", "bg", "cs", "da", "de", "el", "en-GB", "en-US", "es-419", "es-ES", "fi", "fr", "he",
    "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "nl", "no", "pl", "pt-BR", "ro", "ru",
    "sv-SE", "th", "tr", "uk", "vi", "zh-CN", "zh-TW",
})


def valid_localized_name(name: str) -> bool:
    """^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$, lowercase where there is case."""
    if not 1 <= len(name) <= 32 or name != name.lower():
        return False
    return all(
        ch in "-_'" or unicodedata.category(ch)[0] in "LN"
        or "\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f"
        for ch in name
    )


def _validate_localizations(
    item: dict[str, Any], path: list[Any], errors: FormErrors, *, name_limit: int | None
) -> None:
    """name_localizations (command names when name_limit is None, else choice names up to
    name_limit) and description_localizations: known locales, valid values."""
    for field in ("name_localizations", "description_localizations"):
        values = item.get(field) or {}
        if not isinstance(values, dict):
            errors.add([*path, field], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        for locale, text in values.items():
            where = [*path, field, locale]
            if locale not in LOCALES:
                errors.add(where, "INVALID_LOCALE", "Invalid Locale")
            elif field == "name_localizations" and name_limit is None:
                if not isinstance(text, str) or not valid_localized_name(text):
                    errors.add(where, "APPLICATION_COMMAND_INVALID_NAME",
                               "Command name is invalid")
            elif not isinstance(text, str) or not 1 <= len(text) <= (name_limit or 100):
                errors.add(where, "BASE_TYPE_BAD_LENGTH",
                           f"Must be between 1 and {name_limit or 100} in length.")


def validate_unique_names(items: list[dict[str, Any]], path: list[Any],
                          errors: FormErrors) -> None:
    """Siblings (commands of one type, or options of one command) may not share a name in any
    locale: each locale's name is its localization, else the name itself."""
    for locale in LOCALES:
        seen: dict[tuple[Any, str], int] = {}
        for index, item in enumerate(items):
            shown = (item.get("name_localizations") or {}).get(locale) or item.get("name")
            key = (item.get("type", 1) if path == [] else None, str(shown))
            if key in seen:
                errors.add([*path, index, "name_localizations", locale],
                           "APPLICATION_COMMANDS_DUPLICATE_NAME",
                           "Application command names must be unique")
            seen.setdefault(key, index)


def validate_message(
    payload: dict[str, Any], files: list[Any], *, partial: bool = False
) -> web.Response | None:
    errors = FormErrors()
    content = payload.get("content")
    if content is not None and len(str(content)) > 2000:
        errors.add(["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors.add(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        total += _validate_embed(embed, ["embeds", i], errors)
    if total > 6000:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    _validate_components(payload.get("components") or [], int(payload.get("flags") or 0), errors)
    if errors.errors:
        return errors.response()
    if not partial:
        has_body = (
            content or embeds or payload.get("components") or files or payload.get("sticker_ids")
        )
        if not has_body and not payload.get("poll"):
            return error_response(400, 50006, "Cannot send an empty message")
    return None


def _validate_embed(embed: dict[str, Any], path: list[Any], errors: FormErrors) -> int:
    limits = {"title": 256, "description": 4096}
    size = 0
    for key, limit in limits.items():
        value = embed.get(key) or ""
        size += len(value)
        if len(value) > limit:
            errors.add([*path, key], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.add([*path, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for j, fld in enumerate(fields):
        name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
        size += len(name) + len(value)
        if not name or len(name) > 256:
            errors.add(
                [*path, "fields", j, "name"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 256 in length.",
            )
        if not value or len(value) > 1024:
            errors.add(
                [*path, "fields", j, "value"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 1024 in length.",
            )
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    size += len(footer) + len(author)
    if len(footer) > 2048:
        errors.add(
            [*path, "footer", "text"], "BASE_TYPE_MAX_LENGTH", "Must be 2048 or fewer in length."
        )
    if len(author) > 256:
        errors.add(
            [*path, "author", "name"], "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."
        )
    return size


def _validate_components(components: list[dict[str, Any]], flags: int, errors: FormErrors) -> None:
    if not flags & FLAG_COMPONENTS_V2:
        if len(components) > 5:
            errors.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errors.add(
                    ["components", i],
                    "UNION_TYPE_CHOICES",
                    "Top-level components must be action rows.",
                )
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errors.add(
                    ["components", i, "components"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                )
    seen: set[str] = set()
    for comp in iter_components(components):
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if len(custom_id) > 100:
                errors.add(
                    ["components"],
                    "BASE_TYPE_MAX_LENGTH",
                    "custom_id must be 100 or fewer in length.",
                )
            if custom_id in seen:
                errors.add(
                    ["components"],
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)
        if comp.get("type") == 2 and len(comp.get("label") or "") > 80:
            errors.add(
                ["components"],
                "BASE_TYPE_MAX_LENGTH",
                "Button label must be 80 or fewer in length.",
            )


def validate_choices(choices: list[dict[str, Any]]) -> web.Response | None:
    errors = FormErrors()
    if len(choices) > 25:
        errors.add(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name") or "")) <= 100:
            errors.add(
                ["data", "choices", i, "name"], "BASE_TYPE_BAD_LENGTH", "Must be 1-100 long."
            )
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors.add(
                ["data", "choices", i, "value"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or less."
            )
    return errors.response()


def validate_modal(data: dict[str, Any]) -> web.Response | None:
    errors = FormErrors()
    if not 1 <= len(data.get("title") or "") <= 45:
        errors.add(["data", "title"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    if not data.get("custom_id"):
        errors.add(["data", "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
    if not 1 <= len(data.get("components") or []) <= 5:
        errors.add(
            ["data", "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    for comp in iter_components(data.get("components") or []):
        label = comp.get("label")
        if label is not None and len(label) > 45:
            errors.add(["data", "components"], "BASE_TYPE_MAX_LENGTH", "Labels must be 45 or less.")
    return errors.response()


def validate_command(definition: dict[str, Any], path: list[Any], errors: FormErrors) -> None:
    name = definition.get("name") or ""
    ctype = definition.get("type", 1)
    if ctype == 1 and (not COMMAND_NAME_RE.match(name) or name != name.lower()):
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if ctype == 1 and not 1 <= len(definition.get("description") or "") <= 100:
        errors.add(
            [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    _validate_localizations(definition, path, errors, name_limit=None)
    _validate_options(definition.get("options") or [], [*path, "options"], errors)


def _validate_options(options: list[dict[str, Any]], path: list[Any], errors: FormErrors) -> None:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    validate_unique_names(options, path, errors)
    for i, opt in enumerate(options):
        here = [*path, i]
        _validate_localizations(opt, here, errors, name_limit=None)
        for c, choice in enumerate(opt.get("choices") or []):
            _validate_localizations(choice, [*here, "choices", c], errors, name_limit=100)
        name = opt.get("name") or ""
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            errors.add(
                [*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        if not 1 <= len(opt.get("description") or "") <= 100:
            errors.add(
                [*here, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if opt.get("type") in (1, 2):
            _validate_options(opt.get("options") or [], [*here, "options"], errors)
            continue
        if opt.get("required"):
            if seen_optional:
                errors.add(
                    [*here, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            errors.add([*here, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if choices and opt.get("autocomplete"):
            errors.add(
                [*here, "autocomplete"],
                "AUTOCOMPLETE_CHOICES_INCOMPATIBLE",
                "Autocomplete cannot be used with choices",
            )
