"""The real `python -m bot` process under faults: no token, a damaged or locked database, a
kill in the middle of heavy use, and a polite stop. Nothing acknowledged may be lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from bot.db.postgres import PgDatabase
from discord_emulator.emulator import DiscordEmulator
from tests.backend import (
    ON_POSTGRESQL,
    drop_database,
    fresh_postgresql_url,
    integrity_problems,
    sqlite_only,
)

START_TIMEOUT = 30
MEMBERS = 6
WORKERS_PER_MEMBER = 2


def bot_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "DATABASE_", "LOG_LEVEL", "DEV_GUILD"))}
    env.update(values)
    return env


class BotProcess:
    """`python -m bot` pointed at an emulator running in this test's event loop."""

    def __init__(self, emu: DiscordEmulator, db_path: Path, workdir: Path,
                 database_url: str | None = None) -> None:
        self.emu = emu
        self.db_path = db_path
        self.database_url = database_url  # None: SQLite at db_path
        self.workdir = workdir
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr = b""

    async def start(self, *, wait_ready: bool = True) -> None:
        env = bot_env(
            DISCORD_TOKEN=self.emu.token,
            DATABASE_URL=self.database_url or f"sqlite:///{self.db_path}",
            DISCORD_API_BASE=self.emu.api_base, DISCORD_GATEWAY_URL=self.emu.gateway_url,
            LOG_LEVEL="WARNING",
        )
        # The working folder has no .env, so only the variables above count.
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.workdir, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read_stderr())
        if wait_ready:
            deadline = time.monotonic() + START_TIMEOUT
            while not (self.emu.connected and self.emu.registered_commands()):
                if self.proc.returncode is not None or time.monotonic() > deadline:
                    await self.wait(5)
                    raise AssertionError(f"the bot did not start: {self.stderr.decode()}")
                await asyncio.sleep(0.05)

    async def _read_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        while chunk := await self.proc.stderr.read(65536):
            self.stderr += chunk

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await self._reader
        return code

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def emulator():
    emu = DiscordEmulator()
    await emu.start()
    guild = emu.add_guild("Job Hunt Circle")
    emu.add_channel(guild.id, "general")
    emu.add_channel(guild.id, "support")
    emu.members = [emu.add_member(guild.id, name=f"member{i}") for i in range(MEMBERS)]
    emu.guild_id = guild.id
    try:
        yield emu
    finally:
        await emu.stop()
    emu.assert_no_spec_violations()


@pytest.fixture
async def bot_process(emulator, tmp_path):
    url = await fresh_postgresql_url() if ON_POSTGRESQL else None
    process = BotProcess(emulator, tmp_path / "data" / "onward.db", tmp_path, url)
    try:
        yield process
    finally:
        await process.ensure_dead()
        if url:
            await drop_database(url)


def assert_closed_cleanly(process: BotProcess) -> None:
    """SQLite's last connection checkpointed and removed the write-ahead log."""
    if process.database_url is None:
        assert not Path(f"{process.db_path}-wal").exists()


async def stored_rows(process: BotProcess) -> dict[tuple[int, int], tuple[int, str]]:
    """(member, their entry number) → (member, company) of every stored entry."""
    if process.database_url:
        db = await PgDatabase.open(process.database_url, pool_size=1)
        try:
            assert await integrity_problems(db) == []
            return {(row[0], row[1]): (row[0], row[2]) for row in await db.fetchall(
                "SELECT user_id, number, company FROM rejections")}
        finally:
            await db.close()
    conn = sqlite3.connect(process.db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {(row[0], row[1]): (row[0], row[2])
                for row in conn.execute("SELECT user_id, number, company FROM rejections")}
    finally:
        conn.close()


class Load:
    """Members logging entries as fast as the bot answers, each in their own lane."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.acknowledged: dict[tuple[int, int], tuple[int, str]] = {}
        self.declined = 0
        self.unanswered = 0
        self.late = 0
        self.errors: list[str] = []
        self.sent = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        for member in self.emu.members:
            for lane in range(WORKERS_PER_MEMBER):
                self._tasks.append(asyncio.create_task(self._work(member, lane)))

    async def _work(self, member: int, lane: int) -> None:
        actor = self.emu.actor(member, guild_id=self.emu.guild_id if lane == 0 else None,
                               timeout=3)
        n = 0
        while not self._stop.is_set():
            n += 1
            company = f"Co-{member}-{lane}-{n}"
            self.sent += 1
            try:
                reply = await (await actor.slash("rejection log", company=company)).reply()
            except TimeoutError:
                self.unanswered += 1
                continue
            except Exception as exc:  # the bot went away mid-request
                if self._stop.is_set() or "no bot is connected" in str(exc):
                    return
                raise
            found = re.search(r"Logged \*\*#(\d+)\*\*", reply.content)
            if found:
                self.acknowledged[(member, int(found.group(1)))] = (member, company)
            elif "restarting" in reply.content:
                self.declined += 1
                return  # a member told to come back in a minute does so
            else:
                self.errors.append(reply.content)

    async def until(self, acknowledged: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < acknowledged:
            assert time.monotonic() < deadline, "the bot stopped answering"
            for task in self._tasks:
                if task.done() and task.exception():
                    raise task.exception()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._stop.set()
        done, pending = await asyncio.wait(self._tasks, timeout=10)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception():
                raise task.exception()
        self._count_late_answers()

    def _count_late_answers(self) -> None:
        """A member stops waiting after a few seconds, but on a loaded machine the bot's
        answer may come after that: what the bot answered is read from what Discord received
        (every interaction callback), so an entry acknowledged late still counts as
        acknowledged, and only one never answered counts as unanswered."""
        for request in self.emu.requests:
            if request.status != 200 or not isinstance(request.json, dict):
                continue
            if request.method == "POST" and request.path.endswith("/callback"):
                content = (request.json.get("data") or {}).get("content") or ""
            elif request.method == "PATCH" and request.path.startswith("/webhooks/"):
                content = request.json.get("content") or ""
            else:
                continue
            found = re.search(r"Logged \*\*#(\d+)\*\*: (Co-(\d+)-\d+-\d+)", content)
            key = (int(found.group(3)), int(found.group(1))) if found else None
            if found and key not in self.acknowledged:
                self.acknowledged[key] = (int(found.group(3)), found.group(2))
                self.late += 1
                self.unanswered -= 1


async def test_without_a_token_it_says_so_and_exits_2(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=bot_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("DISCORD_TOKEN is not set")
    assert "Traceback" not in err.decode() and out == b""


async def test_an_empty_token_in_env_file_is_the_same_as_none(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\nLOG_LEVEL=INFO\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=bot_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert err.decode().strip().startswith("DISCORD_TOKEN is not set")


def assert_one_clear_line(stderr: bytes, words: str) -> None:
    text = stderr.decode()
    assert "Traceback" not in text, text
    ours = [line for line in text.splitlines() if words in line]
    assert len(ours) == 1, text
    assert text.strip().splitlines()[-1] == ours[0], text


@sqlite_only
async def test_a_damaged_database_stops_the_start_and_is_left_alone(bot_process):
    path = bot_process.db_path
    path.parent.mkdir(parents=True)
    damaged = b"SQLite format 3\x00" + b"\xde\xad\xbe\xef" * 2000
    path.write_bytes(damaged)
    await bot_process.start(wait_ready=False)
    code = await bot_process.wait(30)
    assert code != 0
    assert_one_clear_line(bot_process.stderr, "is damaged")
    assert path.read_bytes() == damaged
    assert bot_process.emu.registered_commands() == []


@sqlite_only
async def test_a_file_that_is_not_a_database_is_refused(bot_process):
    path = bot_process.db_path
    path.parent.mkdir(parents=True)
    path.write_text("name,company\nalice,Acme\n")
    await bot_process.start(wait_ready=False)
    assert await bot_process.wait(30) != 0
    assert_one_clear_line(bot_process.stderr, "not an Onward database")
    assert path.read_text() == "name,company\nalice,Acme\n"


@sqlite_only
async def test_a_locked_database_stops_the_start(bot_process):
    path = bot_process.db_path
    path.parent.mkdir(parents=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("CREATE TABLE kept (x)")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO kept VALUES (1)")
    holder.execute("COMMIT")  # the exclusive lock stays with this connection
    try:
        await bot_process.start(wait_ready=False)
        assert await bot_process.wait(30) != 0
        assert_one_clear_line(bot_process.stderr, "is locked by another process")
    finally:
        holder.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT x FROM kept").fetchall() == [(1,)]
    conn.close()


async def test_sigkill_under_load_loses_no_acknowledged_entry(bot_process, capsys):
    await bot_process.start()
    load = Load(bot_process.emu)
    load.start()
    await load.until(acknowledged=150)
    bot_process.send(signal.SIGKILL)
    code = await bot_process.wait(10)
    await load.stop()

    assert code == -signal.SIGKILL
    stored = await stored_rows(bot_process)
    missing = {i: v for i, v in load.acknowledged.items() if stored.get(i) != v}
    assert not missing, f"{len(missing)} acknowledged entries were lost: {missing}"
    assert load.errors == []
    with capsys.disabled():
        print(f"\nSIGKILL under load: {load.sent} sent, {len(load.acknowledged)} acknowledged, "
              f"{len(stored)} stored, {len(missing)} lost, {load.unanswered} unanswered")

    # And the next start carries on with the same data.
    await bot_process.start()
    member = bot_process.emu.members[0]
    actor = bot_process.emu.actor(member, guild_id=bot_process.emu.guild_id)
    listing = await (await actor.slash("rejection list", limit=25)).reply()
    newest = max(number for who, number in stored if who == member)
    assert f"**#{newest}**" in listing.content
    bot_process.send(signal.SIGTERM)
    assert await bot_process.wait(30) == 0


async def test_sigterm_finishes_in_flight_work_and_closes_the_database(bot_process, capsys):
    await bot_process.start()
    load = Load(bot_process.emu)
    load.start()
    await load.until(acknowledged=60)
    bot_process.send(signal.SIGTERM)
    code = await bot_process.wait(30)
    await load.stop()

    assert code == 0, bot_process.stderr.decode()
    assert "Traceback" not in bot_process.stderr.decode()
    assert_closed_cleanly(bot_process)
    stored = await stored_rows(bot_process)
    assert {i: v for i, v in load.acknowledged.items() if stored.get(i) != v} == {}
    # Everything it took on was answered: no row without its acknowledgement.
    assert set(stored) == set(load.acknowledged)
    assert load.errors == []
    with capsys.disabled():
        print(f"\nSIGTERM under load: {load.sent} sent, {len(load.acknowledged)} acknowledged, "
              f"{len(stored)} stored, {load.declined} declined while stopping, "
              f"{load.unanswered} unanswered, {load.late} answered late")


async def test_sigterm_when_idle_exits_0(bot_process):
    await bot_process.start()
    actor = bot_process.emu.actor(bot_process.emu.members[0], guild_id=bot_process.emu.guild_id)
    reply = await (await actor.slash("rejection log", company="Acme")).reply()
    assert "Logged" in reply.content
    bot_process.send(signal.SIGINT)
    assert await bot_process.wait(30) == 0
    assert_closed_cleanly(bot_process)
    assert [c for _, c in (await stored_rows(bot_process)).values()] == ["Acme"]
    with contextlib.suppress(ProcessLookupError):
        bot_process.send(signal.SIGTERM)


async def test_malformed_gateway_payloads_do_not_end_the_process(bot_process, capsys):
    await bot_process.start()
    emu = bot_process.emu
    guild = emu._guild_create_payload(emu.guilds[emu.guild_id])
    member = emu.guilds[emu.guild_id].members[emu.members[0]].to_json(emu.users[emu.members[0]])
    guild["members"] = [{k: v for k, v in member.items() if k != "roles"}]
    emu.dispatch_raw("GUILD_CREATE", guild)
    emu.dispatch_raw("INTERACTION_CREATE", {
        "id": "1", "application_id": str(emu.application_id), "type": 5, "token": "t",
        "version": 1, "data": {"custom_id": "x"}, "channel_id": "1", "member": member,
        "guild_id": str(emu.guild_id), "attachment_size_limit": 1024})
    await emu.drain()
    actor = emu.actor(emu.members[0], guild_id=emu.guild_id)
    reply = await (await actor.slash("rejection log", company="Acme")).reply()
    assert "Logged" in reply.content
    bot_process.send(signal.SIGTERM)
    assert await bot_process.wait(30) == 0
    err = bot_process.stderr.decode()
    assert "Traceback" not in err
    dropped = [line for line in err.splitlines() if "dropped a malformed" in line]
    assert len(dropped) == 2, err
    with capsys.disabled():
        print(f"\nmalformed payloads to `python -m bot`: 2 dispatched, {len(dropped)} dropped, "
              "next command answered, exit code 0")
