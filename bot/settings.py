"""Configuration from the environment and an optional .env file."""

from __future__ import annotations

import math

from pydantic import Field, SecretStr, model_validator
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
    # Scale-out: SHARD_COUNT shards in all, this process serving SHARD_IDS (e.g. "0,1"). Unset:
    # one process serving every shard (as many as Discord recommends).
    shard_count: int | None = Field(default=None, ge=1, le=16384)
    shard_ids: str | None = None
    # The part of Discord's 50 requests/s this process may use (0-1]. Unset: 1 / the number
    # of processes. Set 1 when every process goes through one proxy (DISCORD_API_BASE) that
    # keeps the bot as a whole under the limit.
    discord_global_rate_share: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        self.shards()       # raises ValueError with a sentence for the operator
        return self

    def shards(self) -> tuple[int, ...] | None:
        """The shard ids this process serves (None: every shard). Raises ValueError when
        SHARD_IDS is malformed, lacks SHARD_COUNT, or names a shard past it."""
        if self.shard_ids is None or not self.shard_ids.strip():
            return None
        if self.shard_count is None:
            raise ValueError(
                "SHARD_IDS needs SHARD_COUNT, the number of shards across all processes "
                "(e.g. SHARD_COUNT=4 with SHARD_IDS=0,1 in one process and 2,3 in another).")
        parts = [part.strip() for part in self.shard_ids.split(",")]
        if not all(part.isdigit() for part in parts):
            raise ValueError(
                f"SHARD_IDS must be shard numbers separated by commas, e.g. 0,1 "
                f"(got {self.shard_ids!r}).")
        ids = [int(part) for part in parts]
        for shard in ids:
            if shard >= self.shard_count:
                raise ValueError(
                    f"SHARD_IDS names shard {shard}, but with SHARD_COUNT={self.shard_count} "
                    f"shards are numbered 0 to {self.shard_count - 1}.")
            if ids.count(shard) > 1:
                raise ValueError(f"SHARD_IDS names shard {shard} more than once.")
        return tuple(sorted(ids))

    def serves_every_shard(self) -> bool:
        """Whether this process is the only one (it serves every shard)."""
        ids = self.shards()
        return ids is None or len(ids) == self.shard_count

    def processes(self) -> int:
        """How many processes share the bot: SHARD_COUNT / this one's shards, rounded up."""
        ids = self.shards()
        if ids is None or self.shard_count is None:
            return 1
        return math.ceil(self.shard_count / len(ids))

    def rate_share(self) -> float:
        """The part of Discord's global rate limit this process paces itself to."""
        if self.discord_global_rate_share is not None:
            return self.discord_global_rate_share
        return 1.0 / self.processes()
