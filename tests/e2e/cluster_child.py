"""One Onward process of the end-to-end cluster test, started by the cluster supervisor:
`python -m tests.e2e.cluster_child`.

The real bot with its real start and stop (`bot.__main__.run`: SIGTERM finishes the work in
hand), settings from the environment (SHARD_COUNT and SHARD_IDS come from the supervisor), and
its clock read from a file the test writes (ONWARD_TEST_CLOCK_FILE), so bot time moves only
when the test moves it. When the file changes, the process runs the catch-up the bot offers
(due timers, then every served server's group posts) and reports it. Reports are JSON lines
appended to ONWARD_TEST_EVENTS."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.__main__ import run
from bot.client import Onward
from bot.clock import Clock, to_db
from bot.settings import Settings

POLL_SECONDS = 0.05


def write_clock(path: Path, at: datetime) -> None:
    """Move the children's clock (the test side): written whole, then swapped in."""
    part = path.with_suffix(".part")
    part.write_text(to_db(at))
    os.replace(part, path)


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def report(event: str, **fields) -> None:
    line = json.dumps({"event": event, "pid": os.getpid(), **fields}) + "\n"
    # One short O_APPEND write per line: lines of the two processes never interleave.
    fd = os.open(os.environ["ONWARD_TEST_EVENTS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


class FileClock(Clock):
    """The instant written in a file, re-read when the file is replaced."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._at: datetime | None = None

    def now(self) -> datetime:
        stat = os.stat(self.path)
        version = (stat.st_ino, stat.st_mtime_ns)
        if version != self._seen or self._at is None:
            self._at = datetime.fromisoformat(Path(self.path).read_text().strip())
            self._seen = version
        return self._at

    def advance(self, delta) -> None:
        raise RuntimeError("only the test moves this clock")


class ClusterChild(Onward):
    async def setup_hook(self) -> None:
        await super().setup_hook()
        asyncio.get_running_loop().create_task(self._follow_clock(), name="follow-clock")

    async def on_ready(self) -> None:
        shards = sorted(getattr(self, "shards", None) or ())
        report("ready", shards=shards, guilds=sorted(g.id for g in self.guilds))

    async def _follow_clock(self) -> None:
        await self.wait_until_ready()
        seen = self.clock.now()
        while not self.is_closed():
            await asyncio.sleep(POLL_SECONDS)
            now = self.clock.now()
            if now == seen:
                continue
            seen = now
            # Side by side, as the timer engine and the group posts' jobs run in the bot.
            support = self.get_cog("Support")
            _, outcomes = await asyncio.gather(self.engine.catch_up(),
                                               support.scheduler.catch_up_all())
            report("caught_up", at=to_db(now),
                   outcomes={f"{g}:{k}": o.status for (g, k), o in outcomes.items()})


def make_bot(settings: Settings) -> Onward:
    options = {"clock": FileClock(os.environ["ONWARD_TEST_CLOCK_FILE"]),
               "guild_ready_timeout": 0.05}
    if "identify_spacing" in inspect.signature(Onward.__init__).parameters:
        options["identify_spacing"] = 0.0      # the emulator takes identifies at once
    return ClusterChild(settings, **options)


def main() -> None:
    logging.basicConfig(level=os.environ.get("ONWARD_TEST_LOG_LEVEL", "WARNING"),
                        stream=sys.stderr,
                        format=f"%(asctime)s {os.getpid()} %(levelname)s %(name)s: %(message)s")
    settings = Settings(_env_file=None)
    report("start", shard_ids=os.environ.get("SHARD_IDS"))
    asyncio.run(run(settings, make_bot))
    report("stopped")


if __name__ == "__main__":
    main()
