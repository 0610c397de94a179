"""Local Discord emulator used by the end-to-end tests (see emulator.py)."""

from .actors import Actor, InteractionResult
from .emulator import DiscordEmulator
from .state import EmulatorError, Guild, Message, RecordedRequest

__all__ = [
    "Actor",
    "DiscordEmulator",
    "EmulatorError",
    "Guild",
    "InteractionResult",
    "Message",
    "RecordedRequest",
]
