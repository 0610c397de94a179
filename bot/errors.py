"""Expected failures carry the sentence a member reads; anything else is a bug."""

from __future__ import annotations


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
