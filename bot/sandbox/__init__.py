"""The terminal sandbox (`python -m bot sandbox`): the real bot against discord_emulator."""
