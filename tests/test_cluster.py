"""The cluster supervisor with a trivial child: shards split, a dead child started again,
SIGTERM passed on to every child, SQLite refused."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cluster import SQLITE_REFUSED, Supervisor, split_shards

ROOT = Path(__file__).resolve().parents[1]

# Writes "<pid> start <SHARD_COUNT> <SHARD_IDS>" when it starts, "<pid> stop" on SIGTERM.
CHILD = textwrap.dedent("""
    import os, signal, sys, time
    journal, mode = sys.argv[1], sys.argv[2]
    def write(line):
        with open(journal, "a") as f:
            f.write(f"{os.getpid()} {line}\\n")
    def stop(*_):
        write("stop")
        sys.exit(0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "stubborn" else stop)
    write(f"start {os.environ['SHARD_COUNT']} {os.environ['SHARD_IDS']}")
    if mode == "bad-settings":
        sys.exit(2)
    while True:
        time.sleep(0.05)
""")


def lines(journal: Path) -> list[list[str]]:
    return [line.split() for line in journal.read_text().splitlines()] if journal.exists() else []


def supervisor(journal: Path, mode: str = "normal", **options) -> Supervisor:
    options = {"processes": 2, "shard_count": 4, "backoff": (0.05,), "stop_grace": 5.0,
               **options}
    return Supervisor(command=[sys.executable, "-c", CHILD, str(journal), mode], **options)


async def until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def test_split_shards_evenly_and_consecutively():
    assert split_shards(4, 2) == [(0, 1), (2, 3)]
    assert split_shards(2, 2) == [(0,), (1,)]
    assert split_shards(5, 2) == [(0, 1, 2), (3, 4)]
    assert split_shards(1, 1) == [(0,)]
    with pytest.raises(ValueError, match="cannot be split"):
        split_shards(1, 2)


async def test_each_child_gets_its_shards_and_a_dead_one_is_started_again(tmp_path):
    journal = tmp_path / "journal"
    sup = supervisor(journal)
    running = asyncio.create_task(sup.run(handle_signals=False))
    try:
        first = [await sup.wait_started(i, 1) for i in range(2)]
        pids = [c.pid for c in first]
        await until(lambda: len(lines(journal)) == 2)
        started = {int(p): rest for p, *rest in lines(journal)}
        assert started == {pids[0]: ["start", "4", "0,1"], pids[1]: ["start", "4", "2,3"]}

        os.kill(pids[0], signal.SIGKILL)
        again = await sup.wait_started(0, 2)
        assert again.pid != pids[0]
        assert again.exits == [-signal.SIGKILL]
        await until(lambda: len(lines(journal)) == 3)
        assert lines(journal)[-1] == [str(again.pid), "start", "4", "0,1"]
        assert sup.children[1].starts == 1 and sup.children[1].pid == pids[1]
    finally:
        sup.stop()
        assert await asyncio.wait_for(running, 10) == 0
    # Both running children were asked to stop, and both did.
    stopped = {int(p) for p, word, *_ in lines(journal) if word == "stop"}
    assert stopped == {again.pid, pids[1]}
    assert all(c.proc is not None and c.proc.returncode == 0 for c in sup.children)


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    journal = tmp_path / "journal"
    sup = supervisor(journal, "stubborn", processes=1, shard_count=1, stop_grace=0.5)
    running = asyncio.create_task(sup.run(handle_signals=False))
    await sup.wait_started(0, 1)
    await until(lambda: len(lines(journal)) == 1)
    sup.stop()
    assert await asyncio.wait_for(running, 10) == 0
    assert sup.children[0].proc.returncode == -signal.SIGKILL
    assert sup.children[0].starts == 1       # not started again while stopping


async def test_invalid_settings_stop_the_cluster_instead_of_looping(tmp_path):
    sup = supervisor(tmp_path / "journal", "bad-settings")
    assert await asyncio.wait_for(sup.run(handle_signals=False), 10) == 2
    assert all(c.starts == 1 for c in sup.children)


async def test_sigterm_to_the_supervisor_stops_every_child_and_exits_0(tmp_path):
    journal = tmp_path / "journal"
    script = textwrap.dedent(f"""
        import asyncio, sys
        from bot.cluster import Supervisor
        sup = Supervisor(processes=2, shard_count=2, backoff=(0.05,),
                         command=[sys.executable, "-c", {CHILD!r}, {str(journal)!r}, "normal"])
        sys.exit(asyncio.run(sup.run()))
    """)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=ROOT)
    try:
        await until(lambda: len(lines(journal)) == 2, timeout=20)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    children = {p for p, word, *_ in lines(journal) if word == "start"}
    assert {p for p, word, *_ in lines(journal) if word == "stop"} == children
    assert len(children) == 2
    for pid in children:        # gone, not orphaned
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


def test_cluster_refuses_sqlite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'onward.db'}")
    with pytest.raises(SystemExit) as exited:
        main(["cluster", "--processes", "2"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip() == SQLITE_REFUSED
    assert not (tmp_path / "onward.db").exists()


def test_more_processes_than_shards_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "x")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(SystemExit) as exited:
        main(["cluster", "--processes", "3", "--shards", "2"])
    assert exited.value.code == 2
    assert "--shards 2 is fewer than --processes 3" in capsys.readouterr().err
