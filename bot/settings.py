"""Configuration from the environment and an optional .env file."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"


class Settings(BaseSettings):
    # Empty values in .env (as .env.example ships them) count as unset.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    discord_token: SecretStr = Field(description="The bot token from the Developer Portal.")
    database_url: str = "sqlite:///data/onward.db"
    # PostgreSQL only: connections per process, and how long to wait for a server still starting.
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_retry_seconds: float = Field(default=60.0, ge=0)
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    discord_api_base: str = DISCORD_API_BASE
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    nudge_grace_minutes: int = Field(default=60, ge=0, le=24 * 60)
    feedback_followup_days: int = Field(default=7, ge=1, le=60)
