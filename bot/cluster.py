"""`python -m bot cluster --processes N [--shards M]`: N Onward processes on one machine, each
serving its share of Discord's shards, over one PostgreSQL database.

The supervisor starts every process with `SHARD_COUNT` (M, default N) and its own `SHARD_IDS`
(consecutive, split evenly), starts again one that exits unexpectedly (waiting longer after
each quick failure, and saying why in the log), and on SIGTERM or SIGINT passes the signal on,
waits for every process to finish its work (then SIGKILL past a deadline), and exits 0."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

log = logging.getLogger("bot.cluster")

# Seconds to wait before starting a process again after it failed this many times in a row.
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
# A process that ran this long before exiting counts as a fresh failure, not a repeat.
STABLE_AFTER = 60.0
# How long the processes get to finish their work after SIGTERM (each one's own grace is 15 s).
STOP_GRACE = 30.0
# Exit statuses of `python -m bot` that another start cannot fix: invalid settings.
FATAL = {2: "its settings are invalid"}

SQLITE_REFUSED = (
    "python -m bot cluster needs PostgreSQL: several processes cannot share a SQLite file. "
    "Copy the database over (python -m bot db copy sqlite:///data/onward.db "
    "postgresql://USER:PASSWORD@HOST/onward), set DATABASE_URL to the PostgreSQL URL, and "
    "start the cluster again."
)


def split_shards(shard_count: int, processes: int) -> list[tuple[int, ...]]:
    """Consecutive shard ids per process, as even as they go: 4 over 2 → (0, 1), (2, 3)."""
    if processes < 1:
        raise ValueError("at least one process")
    if shard_count < processes:
        raise ValueError(f"{shard_count} shards cannot be split over {processes} processes")
    size, extra = divmod(shard_count, processes)
    out, start = [], 0
    for index in range(processes):
        end = start + size + (1 if index < extra else 0)
        out.append(tuple(range(start, end)))
        start = end
    return out


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the supervisor itself dies, so a killed
    supervisor never leaves processes serving shards behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with status {code}"


@dataclass
class Child:
    index: int
    shard_ids: tuple[int, ...]
    proc: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    starts: int = 0
    failures: int = 0               # quick exits in a row
    exits: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"process {self.index} (shards {','.join(map(str, self.shard_ids))})"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


class Supervisor:
    """Runs `command` once per process with SHARD_COUNT and SHARD_IDS set in its environment.
    `command` is the argv of one process (default `python -m bot`); tests give their own."""

    def __init__(
        self, *, processes: int, shard_count: int | None = None,
        command: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
        backoff: Sequence[float] = BACKOFF, stable_after: float = STABLE_AFTER,
        stop_grace: float = STOP_GRACE, cwd: str | None = None,
        on_start: Callable[[Child], None] | None = None, output: IO[bytes] | None = None,
    ) -> None:
        """`output`: where the processes' stdout and stderr go (default: this process's)."""
        self.shard_count = shard_count or processes
        self.children = [Child(i, ids) for i, ids in
                         enumerate(split_shards(self.shard_count, processes))]
        self.command = list(command or [sys.executable, "-m", "bot"])
        self.env = dict(os.environ if env is None else env)
        self.backoff = tuple(backoff)
        self.stable_after = stable_after
        self.stop_grace = stop_grace
        self.cwd = cwd
        self.on_start = on_start
        self.output = output
        self.exit_code = 0
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()

    # Control ----------------------------------------------------------------------------------

    def stop(self, code: int = 0) -> None:
        """Stop every process (as on SIGTERM) and make `run` return `code`."""
        if not self._stopping.is_set():
            self.exit_code = code
            self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def wait_started(self, index: int, starts: int, timeout: float = 30.0) -> Child:
        """Until process `index` has been started `starts` times (tests, and the bench)."""
        child = self.children[index]
        async with asyncio.timeout(timeout):
            while child.starts < starts or child.proc is None:
                self._changed.clear()
                await self._changed.wait()
        return child

    # Running ----------------------------------------------------------------------------------

    async def run(self, *, handle_signals: bool = True) -> int:
        """Start every process, keep them running until stopped, stop them; the exit status."""
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT) if handle_signals else ()
        for sig in signals:
            loop.add_signal_handler(sig, self._on_signal, sig)
        log.info("starting %d processes over %d shards", len(self.children), self.shard_count)
        keepers = [asyncio.create_task(self._keep(child), name=f"onward-cluster-{child.index}")
                   for child in self.children]
        try:
            await self._stopping.wait()
            await self._stop_all()
        finally:
            for keeper in keepers:
                keeper.cancel()
            await asyncio.gather(*keepers, return_exceptions=True)
            for sig in signals:
                loop.remove_signal_handler(sig)
        log.info("every process has stopped")
        return self.exit_code

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("%s received: stopping every process", signal.Signals(sig).name)
        self.stop(0)

    async def _start(self, child: Child) -> None:
        env = dict(self.env, SHARD_COUNT=str(self.shard_count),
                   SHARD_IDS=",".join(map(str, child.shard_ids)))
        child.proc = await asyncio.create_subprocess_exec(
            *self.command, env=env, cwd=self.cwd, preexec_fn=_die_with_parent,
            stdin=asyncio.subprocess.DEVNULL, stdout=self.output, stderr=self.output)
        child.started_at = time.monotonic()
        child.starts += 1
        log.info("%s started (pid %d)", child.label, child.proc.pid)
        if self.on_start is not None:
            self.on_start(child)
        self._changed.set()

    async def _keep(self, child: Child) -> None:
        """Start the process, and start it again whenever it exits while not stopping."""
        while not self.stopping:
            try:
                await self._start(child)
            except OSError as exc:
                log.error("%s could not be started: %s", child.label, exc)
                code = 127
            else:
                assert child.proc is not None
                code = await child.proc.wait()
                child.exits.append(code)
                self._changed.set()
            if self.stopping:
                return
            if code in FATAL:
                log.error("%s %s: %s; stopping the cluster", child.label, describe_exit(code),
                          FATAL[code])
                self.stop(code)
                return
            ran = time.monotonic() - child.started_at
            child.failures = 1 if ran >= self.stable_after else child.failures + 1
            delay = self.backoff[min(child.failures, len(self.backoff)) - 1] if self.backoff \
                else 0.0
            log.warning("%s %s after %.0f s; starting it again in %.0f s", child.label,
                        describe_exit(code), ran, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _stop_all(self) -> None:
        running = [c for c in self.children if c.proc is not None and c.proc.returncode is None]
        for child in running:
            with contextlib.suppress(ProcessLookupError):
                child.proc.send_signal(signal.SIGTERM)        # type: ignore[union-attr]
        if not running:
            return
        waits = [asyncio.create_task(c.proc.wait()) for c in running]   # type: ignore[union-attr]
        _, late = await asyncio.wait(waits, timeout=self.stop_grace)
        if late:
            for child in running:
                if child.proc is not None and child.proc.returncode is None:
                    log.warning("%s still running %.0f s after SIGTERM: killing it",
                                child.label, self.stop_grace)
                    with contextlib.suppress(ProcessLookupError):
                        child.proc.kill()
            await asyncio.gather(*late, return_exceptions=True)


# The command line -----------------------------------------------------------------------------

def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot cluster",
        description="Run several Onward processes on this machine over one PostgreSQL "
                    "database, Discord's shards split between them.")
    parser.add_argument("--processes", type=int, required=True, metavar="N",
                        help="how many processes to run")
    parser.add_argument("--shards", type=int, metavar="M",
                        help="SHARD_COUNT in all (default: SHARD_COUNT, else one per process)")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")

    from bot.__main__ import load_settings
    from bot.db.backends import dialect_of
    from bot.db.connection import DatabaseUnavailable

    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        dialect = dialect_of(settings.database_url)
    except DatabaseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if dialect == "sqlite":
        print(SQLITE_REFUSED, file=sys.stderr)
        return 2
    shards = (args.shards or getattr(settings, "shard_count", None) or _shard_count_setting()
              or args.processes)
    if shards < args.processes:
        print(f"--shards {shards} is fewer than --processes {args.processes}: every process "
              "needs at least one shard.", file=sys.stderr)
        return 2
    supervisor = Supervisor(processes=args.processes, shard_count=shards)
    try:
        return asyncio.run(supervisor.run())
    except KeyboardInterrupt:
        return 0


def _shard_count_setting() -> int | None:
    value = os.environ.get("SHARD_COUNT", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None
