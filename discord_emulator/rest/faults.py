"""Faults Discord can answer with, injected by tests or modelled: failures before or after a
request is carried out, idempotent nonces, the global rate limit, and the spec check."""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .. import openapi
from ..state import Message
from .responses import Req, error_response, json_response

log = logging.getLogger(__name__)

NONCE_WINDOW_SECONDS = 300


@dataclass
class FailRule:
    """An injected failure: the next ``remaining`` matching requests get ``status``."""

    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    json: Any = None
    retry_after: float = 0.05

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and self.method in ("*", method)
            and self.pattern.search(path) is not None
        )


class Faults:
    def __init__(self, validate_requests: bool = True) -> None:
        self.fail_rules: list[FailRule] = []
        # Injected failures answered after the request was carried out (see fail_after_create).
        self.fail_after_rules: list[FailRule] = []
        # (author, channel, nonce) -> (message id, monotonic time) for enforce_nonce.
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.global_rate_limit: int | None = None
        self.rate_window: deque[float] = deque()
        # Request bodies are checked against Discord's OpenAPI spec; what broke it is kept here.
        self.validate_requests = validate_requests
        self.spec_violations: list[openapi.SpecViolation] = []

    def fail_next(
        self, method: str, path_regex: str, status: int, times: int, json: Any, retry_after: float
    ) -> FailRule:
        rule = FailRule(method.upper(), re.compile(path_regex), status, times, json, retry_after)
        self.fail_rules.append(rule)
        return rule

    def fail_after_create(
        self, method: str, path_regex: str, status: int, times: int, json: Any
    ) -> FailRule:
        rule = FailRule(method.upper(), re.compile(path_regex), status, times, json)
        self.fail_after_rules.append(rule)
        return rule

    def check_spec(self, req: Req) -> web.Response | None:
        """Refuse a body that breaks Discord's published request schema (or a documented limit)
        as Discord does, and keep the violation for the test to see."""
        if not self.validate_requests or req.json is None:
            return None
        violations = openapi.spec().check(req.method, req.path, req.json)
        if not violations:
            return None
        self.spec_violations.extend(violations)
        for violation in violations:
            log.error("emulator: request refused by Discord's spec: %s", violation)
        return error_response(400, 50035, "Invalid Form Body", openapi.form_errors(violations))

    def failed_after(self, method: str, path: str) -> web.Response | None:
        """The injected error for a request already carried out, if a rule matches."""
        for rule in self.fail_after_rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.json is not None:
                    return json_response(rule.json, rule.status)
                if rule.status >= 500:
                    return json_response(
                        {"message": "Internal Server Error", "code": 0}, rule.status
                    )
                return error_response(rule.status, 0, HTTPStatus(rule.status).phrase)
        return None

    def nonce_message(
        self, author_id: int, channel_id: int, payload: dict[str, Any]
    ) -> int | None:
        """Discord: with enforce_nonce, a nonce used by the same author in the same channel
        within the last few minutes returns that message (its id here) instead of creating
        another."""
        nonce = payload.get("nonce")
        if nonce is None or not payload.get("enforce_nonce"):
            return None
        seen = self.nonces.get((author_id, channel_id, str(nonce)))
        if seen is None or time.monotonic() - seen[1] > NONCE_WINDOW_SECONDS:
            return None
        return seen[0]

    def remember_nonce(self, message: Message, payload: dict[str, Any]) -> None:
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            now = time.monotonic()
            if len(self.nonces) > 10_000:
                self.nonces = {k: v for k, v in self.nonces.items()
                                if now - v[1] <= NONCE_WINDOW_SECONDS}
            key = (message.author_id, message.channel_id, str(nonce))
            self.nonces[key] = (message.id, now)

    def check(self, method: str, path: str, is_bot_call: bool) -> web.Response | None:
        for rule in self.fail_rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                if rule.status == 429:
                    body = rule.json or {
                        "message": "You are being rate limited.",
                        "retry_after": rule.retry_after,
                        "global": False,
                    }
                    return json_response(
                        body, 429, headers=rate_limit_headers(rule.retry_after, False)
                    )
                if rule.json is not None:
                    return json_response(rule.json, rule.status)
                if rule.status >= 500:
                    return json_response(
                        {"message": "Internal Server Error", "code": 0}, rule.status
                    )
                return error_response(rule.status, 0, HTTPStatus(rule.status).phrase)

        if self.global_rate_limit and is_bot_call:
            now = time.monotonic()
            while self.rate_window and now - self.rate_window[0] >= 1.0:
                self.rate_window.popleft()
            if len(self.rate_window) >= self.global_rate_limit:
                retry_after = round(max(0.001, 1.0 - (now - self.rate_window[0])), 3)
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": True,
                }
                return json_response(body, 429, headers=rate_limit_headers(retry_after, True))
            self.rate_window.append(now)
        return None


def rate_limit_headers(retry_after: float, is_global: bool) -> dict[str, str]:
    # discord.py retries a 429 only when it carries a Via header (Discord's edge adds one).
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, int(retry_after + 0.999))),
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return headers
