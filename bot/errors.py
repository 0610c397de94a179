"""Expected failures carry the sentence a member reads; anything else is a bug."""

from __future__ import annotations

import logging
import time


class UserFacingError(Exception):
    """Raised by services and cogs when the member asked for something we can't do.
    The message is shown to them as is, privately."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserFacingError):
    """An id that does not exist, or is not theirs: the two look the same on purpose."""


class InvalidInput(UserFacingError):
    """An option the member typed that we can't accept."""


class NotAllowed(UserFacingError):
    """A command the member may not use here."""


class FailureLog:
    """Logs a failure with its traceback the first time, then repeats of the same failure as
    one line with a count, at most every `every` seconds, until it has been quiet for `window`
    seconds. A failing disk or dependency answers every member the same way; the log keeps
    one traceback for it instead of one per interaction."""

    def __init__(self, logger: logging.Logger, *, window: float = 60.0, every: float = 10.0):
        self.logger = logger
        self.window = window
        self.every = every
        # key -> [first seen, last seen, last logged, times in the current run]
        self._seen: dict[tuple[str, str], list[float]] = {}

    def log(self, level: int, message: str, error: BaseException, *args: object,
            each: bool = False) -> None:
        """`each`: every repeat gets its own line (`message` and the count, no traceback), for
        failures whose lines carry something to look up, like the code a member was shown."""
        key = (type(error).__name__, str(error))
        now = time.monotonic()
        if len(self._seen) > 256:   # a bot runs for months: forget runs that have ended
            self._seen = {k: v for k, v in self._seen.items() if now - v[1] <= self.window}
        seen = self._seen.get(key)
        if seen is None or now - seen[1] > self.window:
            self._seen[key] = [now, now, now, 1]
            self.logger.log(level, message, *args, exc_info=error)
            return
        seen[1] = now
        seen[3] += 1
        if each or now - seen[2] >= self.every:
            seen[2] = now
            minutes = max(1, round((now - seen[0]) / 60))
            span = "the last minute" if minutes == 1 else f"the last {minutes} minutes"
            prefix = (message % args + ": ") if each else ""
            self.logger.log(level, "%s%s: %s again (%d times in %s)", prefix,
                            type(error).__name__, error, int(seen[3]), span)
