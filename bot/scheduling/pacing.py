"""Client-side pacing for bursts of REST calls.

Discord allows a bot 50 requests per second in all (the global rate limit) and answers past
it with 429. discord.py waits and retries, but when thousands of servers' nudges fall in the
same minute every post is sent at once, most are refused, and they all retry together: the
fan-out ends later than it has to, and the 429s count towards the invalid-request limit
(10,000 in 10 minutes) past which Discord blocks the bot's address for an hour. Spacing the
posts out just below the limit avoids both.

The limit is the bot's, not a process's: processes sharing the bot each pace at their share
(Settings.rate_share: 1 / the number of processes, or DISCORD_GLOBAL_RATE_SHARE), or all go
through one proxy at DISCORD_API_BASE that keeps the whole bot under it (then set the share to 1).
"""

from __future__ import annotations

import asyncio

# Just under Discord's 50/s, leaving room for the bot's other calls (DMs, shares).
NUDGE_POSTS_PER_SECOND = 47.0
# Deliveries checked and claimed at the same time. On SQLite each holds the one write lock for
# a moment; a few at a time keep members' own commands from queueing behind thousands of them.
# PostgreSQL takes writes side by side, and each delivery waits on a few round trips to it: at
# 16 at a time a process under load fell to 11-15 posts/s against its share of 23.5/s.
NUDGE_CONCURRENCY = 16
NUDGE_CONCURRENCY_POSTGRESQL = 48


def nudge_concurrency(dialect: str) -> int:
    return NUDGE_CONCURRENCY_POSTGRESQL if dialect == "postgresql" else NUDGE_CONCURRENCY


def nudge_rate(share: float = 1.0) -> float:
    """Posts per second for a process using `share` (0-1] of the bot's global limit."""
    return NUDGE_POSTS_PER_SECOND * share


class Pacer:
    """Lets callers through at most `rate` per second, evenly spaced, in arrival order."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        turn = max(now, self._next)
        self._next = turn + self.interval      # reserved before sleeping: no lock needed
        if turn > now:
            await asyncio.sleep(turn - now)
