"""`python -m bot sandbox`: try Onward in the terminal, with no token and no network.

Reads commands from the keyboard (readline editing and Tab completion), from `--script FILE`,
or from standard input when it is not a terminal; the session itself is in session.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO, runtime_checkable

from bot.clock import Clock, FixedClock
from discord_emulator.state import EmulatorError

from .commandline import CommandLineError
from .session import Console, Sandbox

log = logging.getLogger(__name__)


# Where lines come from -------------------------------------------------------------------------

@runtime_checkable
class Readable(Protocol):
    def readline(self) -> str: ...


class ScriptLines:
    """Commands from a file or a pipe, echoed after the prompt so the output reads as a
    transcript. Form fields take the following lines."""

    interactive = False

    def __init__(self, stream: Readable) -> None:
        self.stream = stream

    async def read(self, prompt: str, out: Console) -> str | None:
        line = await asyncio.to_thread(self.stream.readline)
        if not line:
            return None
        line = line.rstrip("\r\n")
        out.write(f"{prompt}{line}")
        return line


class TerminalLines:
    """Typed lines, with readline editing and completion. input() blocks, so it runs in a
    daemon thread (leaving never waits on it) while the bot keeps running on the loop."""

    interactive = True

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._requests: queue.Queue[tuple[str, asyncio.Future[str | None]]] = queue.Queue()
        threading.Thread(target=self._work, name="sandbox-input", daemon=True).start()

    def _work(self) -> None:
        while True:
            prompt, future = self._requests.get()
            try:
                line: str | None = input(prompt)
            except (EOFError, OSError, ValueError):     # end of input, or a closed terminal
                line = None
            self.loop.call_soon_threadsafe(_resolve, future, line)

    async def read(self, prompt: str, out: Console) -> str | None:
        future: asyncio.Future[str | None] = self.loop.create_future()
        out.prompt = prompt
        self._requests.put((prompt, future))
        try:
            return await future
        finally:
            out.prompt = None


def _resolve(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


# Terminal completion (readline) ----------------------------------------------------------------

def _word_start(line: str) -> int:
    """Where the word under the cursor starts: after the last space outside quotes."""
    start, quote = 0, None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char.isspace():
            start = i + 1
    return start


def install_completion(sandbox: Sandbox, loop: asyncio.AbstractEventLoop, out: TextIO) -> None:
    """Tab completes sandbox commands, slash commands, options and their values, asking the
    bot for its autocomplete suggestions (shown with their descriptions)."""
    try:
        import readline
    except ImportError:
        return
    matches: list[str] = []

    def complete(text: str, state: int) -> str | None:
        nonlocal matches
        if state == 0:
            line = readline.get_line_buffer()[: readline.get_endidx()]
            begin = readline.get_begidx()
            try:
                words = asyncio.run_coroutine_threadsafe(
                    sandbox.complete(line), loop).result(timeout=3)
            except (TimeoutError, RuntimeError, EmulatorError, CommandLineError):
                words = []      # no suggestions rather than a broken prompt
            # Candidates are whole words; readline replaces only from `begin`.
            cut = begin - _word_start(line)
            matches = [w[cut:] for w in words] if cut >= 0 else []
            if len(matches) == 1 and not matches[0].endswith(":"):
                matches[0] += " "
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t\n")
    readline.set_completer(complete)
    libedit = "libedit" in (readline.__doc__ or "")
    readline.parse_and_bind("bind ^I rl_complete" if libedit else "tab: complete")
    readline.parse_and_bind("set show-all-if-ambiguous on")
    try:
        import ctypes

        redraw = ctypes.CDLL(readline.__file__).rl_forced_update_display
    except (OSError, AttributeError):
        return          # readline's own listing, without the descriptions

    def show(substitution: str, found: Sequence[str], longest: int) -> None:
        lines = []
        for word in found:
            whole = next((w for w in sandbox._described if w.endswith(word.strip())), None)
            described = sandbox._described.get(whole) if whole else None
            lines.append(f"  {word.strip()}" + (f"    {described}" if described else ""))
        out.write("\n" + "\n".join(lines) + "\n")
        out.flush()
        redraw()

    readline.set_completion_display_matches_hook(show)


# Entry points ----------------------------------------------------------------------------------

def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot sandbox",
        description="Try Onward in the terminal: the real bot against a local Discord "
                    "emulator with a demo server. No token, no network.")
    parser.add_argument("--db", type=Path, metavar="PATH", help="keep the database in this file "
                        "(default: a temporary one, removed at the end)")
    parser.add_argument("--script", type=Path, metavar="FILE",
                        help="read commands from this file instead of the keyboard")
    parser.add_argument("--clock", type=_instant, metavar="WHEN",
                        help="start the bot's clock at this moment, e.g. 2026-06-16T14:30 "
                             "(UTC unless it names an offset); it then moves only with wait")
    return parser.parse_args(argv)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"can't read {text!r} as a moment: use e.g. 2026-06-16T14:30") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def run(
    lines: Iterable[str] | TextIO | None = None, out: TextIO | None = None, *,
    db_path: Path | None = None, workdir: Path | None = None, color: bool | None = None,
    clock: Clock | None = None,
) -> int:
    """Run a sandbox session. `lines` (a file, or an iterable of lines) makes it a script;
    None reads the terminal. `clock` is the bot's clock (the real time by default). `workdir`
    holds the temporary database and the files the bot sends; without one a temporary folder
    is used and tidied at the end. Returns the exit code."""
    out = out or sys.stdout
    interactive = lines is None
    own_workdir = workdir is None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="onward-sandbox-"))
    if color is None:
        color = interactive and out.isatty() and not os.environ.get("NO_COLOR")
    console = Console(out, redraw=interactive)
    width = min(shutil.get_terminal_size((88, 24)).columns, 100) if interactive else 88
    sandbox = Sandbox(console, workdir=workdir, db_path=db_path, color=color, width=width,
                      clock=clock)
    loop = asyncio.get_running_loop()
    try:
        try:
            await sandbox.start()
        except Exception as failure:
            console.write(f"The sandbox could not start: {failure}")
            log.exception("sandbox start failed")
            return 1
        source: TerminalLines | ScriptLines
        if interactive:
            source = TerminalLines(loop)
            install_completion(sandbox, loop, out)
            # Not every event loop can take signal handlers (Windows); Ctrl-C then just stops.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGINT, lambda: console.write(
                    "(type quit, or press Ctrl-D, to leave)"))
        else:
            assert lines is not None, "no lines means the terminal"
            source = ScriptLines(lines if isinstance(lines, Readable) else _Lines(lines))
        await sandbox.run(source)
        return 0
    finally:
        await sandbox.stop()
        if interactive:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
        if sandbox.saved_files:
            console.write(f"Files the bot sent are kept in {sandbox.files_dir}.")
        if own_workdir:
            _tidy(workdir, sandbox)


class _Lines:
    """An iterable of lines read like a file."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)

    def readline(self) -> str:
        line = next(self._lines, None)
        return "" if line is None else line.rstrip("\n") + "\n"


def _tidy(workdir: Path, sandbox: Sandbox) -> None:
    """The temporary database goes; files the bot sent (charts, exports) stay for a look."""
    if sandbox.saved_files:
        for leftover in workdir.glob("onward.db*"):
            leftover.unlink(missing_ok=True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="onward-sandbox-"))
    # The bot's log goes to a file beside the temporary database; errors also to stderr.
    logging.basicConfig(
        level=logging.INFO, filename=workdir / "sandbox.log",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    errors = logging.StreamHandler(sys.stderr)
    errors.setLevel(logging.ERROR)
    logging.getLogger().addHandler(errors)
    with contextlib.suppress(AttributeError, ValueError):
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(errors="replace")
    script: TextIO | None = None
    try:
        if args.script is not None:
            script = args.script.open(encoding="utf-8")
            lines: Any = script
        elif not sys.stdin.isatty():
            lines = sys.stdin
        else:
            lines = None
        clock = FixedClock(args.clock) if args.clock is not None else None
        return asyncio.run(run(lines, sys.stdout, db_path=args.db, workdir=workdir,
                               clock=clock))
    except OSError as problem:
        print(f"Can't read the script: {problem}", file=sys.stderr)
        return 2
    finally:
        if script is not None:
            script.close()
        logging.shutdown()
        if not any((workdir / "files").glob("*")):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            for leftover in workdir.glob("onward.db*"):
                leftover.unlink(missing_ok=True)
