"""A Discord emulator on loopback: gateway and REST for the real discord.py client.

Its own package: it never imports `bot` or `discord`."""

from .actors import Actor, InteractionResult
from .emulator import DiscordEmulator
from .openapi import SpecViolation
from .state import EmulatorError, Guild, Message, RecordedRequest

__all__ = [
    "Actor",
    "DiscordEmulator",
    "EmulatorError",
    "Guild",
    "InteractionResult",
    "Message",
    "RecordedRequest",
    "SpecViolation",
]
