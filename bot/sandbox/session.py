"""A sandbox session: the real Onward bot against the local Discord emulator with a demo
server, driven by lines a member types.

Slash commands, button presses and form answers go to the bot as a member's interactions; what
the bot sends is printed as it arrives. `wait 24h` moves the bot's clock forward and stops at
each scheduled moment on the way (each group-nudge slot, each personal timer), running there the
catch-up the bot runs when it starts, so posts and DM prompts fire as they would a day later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot import compat
from bot.clock import Clock
from bot.formatting import inert
from bot.services.dates import zone
from bot.services.personal import PersonalDMService
from discord_emulator.emulator import DiscordEmulator
from discord_emulator.state import DM, FLAG_LOADING, EmulatorError, Message

from .commandline import (
    CHANNEL,
    USER,
    CommandLineError,
    Completing,
    completing,
    convert,
    convert_options,
    parse_slash,
    quote_if_needed,
    split_words,
)
from .render import DIM, Names, Renderer, relative, text_inputs

if TYPE_CHECKING:
    from bot.client import Onward

log = logging.getLogger(__name__)

GUILD_NAME = "Job Hunt Circle"
MEMBERS = ("alice", "bob", "carol")
ADMIN = "ada"
CHANNELS = ("general", "support")
# Fixed ids (older than any snowflake made today, so they never collide) let a kept database
# (--db) find the same server, channels and members next time.
DEMO_IDS = {
    "guild": 1_000_000_000_000_000_000, "general": 1_000_000_000_000_000_001,
    "support": 1_000_000_000_000_000_002, ADMIN: 1_000_000_000_000_000_010,
    "alice": 1_000_000_000_000_000_011, "bob": 1_000_000_000_000_000_012,
    "carol": 1_000_000_000_000_000_013,
}
READY_TIMEOUT = 20
GUILD_READY_TIMEOUT = 0.25
REPLY_TIMEOUT = 15.0          # seconds to wait for the bot to answer an interaction
QUIET = 0.15                  # a settled bot sends nothing for this long
# Between the clock's steps the catch-up has already awaited its posts and DMs; a short calm
# is enough for anything they set off.
STEP_QUIET = 0.05
SETTLE_LIMIT = 10.0
MAX_WAIT = timedelta(days=60)
MAX_STEPS = 2000
# Names of the bot's own tasks that are one piece of work (the libraries' are in bot.compat).
WORK_TASK_PREFIXES = ("onward-", "personal-")
# Before a request of the bot's that breaks Discord's API spec (Discord answers 400).
REFUSED_BY_SPEC = "⚠ Discord would refuse this request from the bot:"
SANDBOX_COMMANDS = ("as", "admin", "dm", "server", "click", "wait", "clock", "status", "help",
                    "quit", "exit")

HELP = f"""\
Type slash commands as a member would (Tab completes commands, options and the bot's
suggestions):
  /rejection log company:Acme stage:onsite share:anonymous
  /rejection log company:"Acorn Labs" role:"Backend Engineer"    quote values with spaces
  /encourage member:@bob message:"You've got this"               members as @bob or bob
  /support setup channel:#support timezone:Europe/Berlin         channels as #support
Who and where:
  as bob           act as another member ({", ".join(MEMBERS)}, or {ADMIN})
  admin            act as the server admin ({ADMIN}, with Manage Server)
  dm               talk to the bot in your DMs
  server [#chan]   back to the server (#general unless you name a channel)
What the bot sends appears as it arrives, numbered [n]; buttons are numbered too.
  click 2          press button 2 of the latest message that has buttons
  click 2 on 5     press button 2 of message [5]   (click "Reflect now" works too)
  A form asks its fields one by one; an empty line skips an optional field (or keeps
  what is already there).
Time (the bot's clock; scheduled posts and DM prompts fire on the way):
  wait 24h         move forward: 30m, 24h, 2d, 1w, 1d12h (also: clock +24h)
  status           what is scheduled next: group nudges and personal DM timers
  clock            the bot's current time
help · quit (or Ctrl-D)"""


# Durations -------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m|s)")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """`24h`, `30m`, `2d`, `1w`, `1d12h`, `+24h` → a timedelta (CommandLineError otherwise)."""
    value = text.strip().removeprefix("+").replace(" ", "").lower()
    if not value or _DURATION_PART.sub("", value):
        raise CommandLineError(
            f"Can't read {text!r} as a length of time: use 30m, 24h, 2d, 1w or 1d12h.")
    delta = timedelta()
    for amount, unit in _DURATION_PART.findall(value):
        delta += timedelta(**{_UNITS[unit]: int(amount)})
    if delta <= timedelta(0):
        raise CommandLineError("The clock only moves forward: give a length like 24h.")
    if delta > MAX_WAIT:
        raise CommandLineError(f"At most {MAX_WAIT.days}d at a time, please.")
    return delta


def describe_duration(delta: timedelta) -> str:
    parts = []
    days, seconds = delta.days, delta.seconds
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if seconds // 3600:
        hours = seconds // 3600
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if seconds % 3600 // 60:
        minutes = seconds % 3600 // 60
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) or f"{seconds} seconds"


def local_time(moment: datetime, timezone: str | None) -> str:
    tz = zone(timezone)
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M ") + (timezone or "UTC")


class Console:
    """Output. While a terminal prompt is waiting, messages that arrive are printed above it and
    the prompt (with what was typed so far) is drawn again."""

    def __init__(self, stream: TextIO, *, redraw: bool = False) -> None:
        self.stream = stream
        self.redraw = redraw
        self.prompt: str | None = None

    def write(self, text: str = "") -> None:
        if self.redraw and self.prompt is not None:
            typed = ""
            with contextlib.suppress(ImportError):
                import readline

                typed = readline.get_line_buffer()
            self.stream.write(f"\r\x1b[K{text}\n{self.prompt}{typed}")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


# The sandbox -----------------------------------------------------------------------------------

@dataclass
class Place:
    user_id: int
    in_dm: bool
    channel_id: int


class EmulatorDirectory:
    """Names in the demo server, for options typed as @bob or #support."""

    def __init__(self, emu: DiscordEmulator, guild_id: int) -> None:
        self.emu = emu
        self.guild_id = guild_id

    @property
    def guild(self):
        return self.emu.guilds[self.guild_id]

    def _members(self) -> dict[str, int]:
        return {self.emu.users[uid].name: uid for uid in self.guild.members
                if not self.emu.users[uid].bot}

    def user_id(self, name: str) -> int | None:
        if name.isdigit() and int(name) in self.emu.users:
            return int(name)
        return _by_name(self._members(), name)

    def _channels(self) -> dict[str, int]:
        """The server's channels by name (every server channel has one)."""
        return {channel.name: c for c in self.guild.channel_ids
                if (channel := self.emu.channels[c]).name is not None}

    def channel_id(self, name: str) -> int | None:
        channels = self._channels()
        if name.isdigit() and int(name) in channels.values():
            return int(name)
        return _by_name(channels, name)

    def role_id(self, name: str) -> int | None:
        roles = {r.name.lstrip("@"): r.id for r in self.guild.roles.values()}
        if name.isdigit() and int(name) in roles.values():
            return int(name)
        return _by_name(roles, name.lstrip("@"))

    def user_names(self) -> list[str]:
        return sorted(self._members())

    def channel_names(self) -> list[str]:
        return [name for c in self.guild.channel_ids
                if (name := self.emu.channels[c].name) is not None]


def _by_name(named: dict[str, int], name: str) -> int | None:
    if name in named:
        return named[name]
    folded = {k.lower(): v for k, v in named.items()}
    return folded.get(name.lower())


class Sandbox:
    def __init__(self, console: Console, *, workdir: Path, db_path: Path | None = None,
                 color: bool = False, width: int = 88, clock: Clock | None = None) -> None:
        self.console = console
        self.workdir = workdir
        self.db_path = db_path or workdir / "onward.db"
        self.keep_db = db_path is not None
        self.files_dir = workdir / "files"
        # A kept database keeps its clock too: what `wait` moved stays moved next time.
        self.clock_file = self.db_path.with_name(self.db_path.name + ".clock")
        # The real time unless a clock is given (a FixedClock makes a session repeatable).
        self.clock = clock or Clock()
        self.moved = self._saved_offset() if self.keep_db else timedelta(0)
        self.clock.advance(self.moved)
        self.emu = DiscordEmulator()
        self.bot: Onward | None = None
        self._runner: asyncio.Task | None = None
        self._watcher: asyncio.Task | None = None
        self.users: dict[str, int] = {}
        self.channels: dict[str, int] = {}
        self.guild_id = 0
        self.place: Place                     # set by start()
        # Messages shown so far: id → its number [n]; the version shown; files saved.
        self._numbers: dict[int, int] = {}
        self._by_number: list[int] = []
        self._shown_versions: dict[int, tuple[int, bool]] = {}
        self._saved: dict[tuple[int, str], Path] = {}
        self.renderer = Renderer(
            Names(users=self._user_name, channels=self._channel_name,
                  roles=self._role_name), width=width, color=color)
        self.directory: EmulatorDirectory     # set by start()
        self._described: dict[str, str] = {}          # completion candidates' descriptions
        self._handling = False
        self._violations_shown = 0

    # Starting and stopping ---------------------------------------------------------------------

    async def start(self) -> None:
        from bot.client import Onward
        from bot.settings import Settings

        await self.emu.start()
        emu = self.emu
        admin = emu.add_user(ADMIN, user_id=DEMO_IDS[ADMIN])
        guild = emu.add_guild(GUILD_NAME, owner_id=admin, guild_id=DEMO_IDS["guild"])
        self.guild_id = guild.id
        for name in CHANNELS:
            self.channels[name] = emu.add_channel(guild.id, name, channel_id=DEMO_IDS[name])
        for name in MEMBERS:
            self.users[name] = emu.add_member(guild.id, DEMO_IDS[name], name=name)
        self.users[ADMIN] = emu.add_member(guild.id, admin, name=ADMIN, manage_guild=True)
        self.directory = EmulatorDirectory(emu, guild.id)
        self.place = Place(self.users[MEMBERS[0]], False, self.channels["general"])

        settings = Settings(
            _env_file=None, discord_token=emu.token, database_url=f"sqlite:///{self.db_path}",
            discord_api_base=emu.api_base, discord_gateway_url=emu.gateway_url,
            dev_guild_id=None,
        )
        # discord.py waits this long after the last server arrives before it is ready (2 s by
        # default, for Discord's far-away gateway); the emulator's are all there at once.
        self.bot = Onward(settings, clock=self.clock, guild_ready_timeout=GUILD_READY_TIMEOUT)
        self._runner = asyncio.create_task(self.bot.start(emu.token), name="sandbox-bot")
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({self._runner, ready}, timeout=READY_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._runner in done:
                self._runner.result()         # why the bot could not start
            raise TimeoutError(f"the bot was not ready after {READY_TIMEOUT} s")
        await self.settle()
        self._watcher = asyncio.create_task(self._watch(), name="sandbox-watch")

    def _saved_offset(self) -> timedelta:
        try:
            return timedelta(seconds=max(0.0, float(self.clock_file.read_text())))
        except (OSError, ValueError):
            return timedelta(0)

    async def stop(self) -> None:
        if self.keep_db and self.bot is not None:
            with contextlib.suppress(OSError):
                self.clock_file.write_text(f"{self.moved.total_seconds():.0f}\n")
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.bot is not None and not self.bot.is_closed():
            await self.bot.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._runner, timeout=5)
        await self.emu.stop()

    # The loop ----------------------------------------------------------------------------------

    def banner(self) -> str:
        db = (f"{self.db_path} (kept)" if self.keep_db
              else "a temporary database (--db PATH keeps one)")
        return "\n".join([
            ("Onward sandbox: the real bot, against a local Discord emulator (no token, "
             "no network)."),
            (f"Server “{GUILD_NAME}”: #general, #support · members {', '.join(MEMBERS)} · "
             f"server admin {ADMIN}."),
            f"Bot clock: {local_time(self.clock.now(), None)} · {db}.",
            "Type help for the commands, quit to leave.",
        ])

    def prompt(self) -> str:
        assert self.place is not None
        name = self._user_name(self.place.user_id) or "?"
        who = f"{name} (admin)" if name == ADMIN else name
        where = "DM" if self.place.in_dm else "#" + (self._channel_name(self.place.channel_id)
                                                    or "?")
        return f"{who} in {where}> "

    async def run(self, source) -> None:
        self.console.write(self.banner())
        self.flush()            # what a start posts (a kept database may have a nudge due)
        while True:
            line = await source.read(self.prompt(), self.console)
            if line is None:
                break
            if not await self.handle(line.strip(), source):
                break
        self.console.write("Bye: the bot is closed and the emulator stopped.")

    async def handle(self, line: str, source) -> bool:
        """Run one line; False to leave."""
        if not line or line.startswith("#"):
            return True
        self._handling = True
        try:
            if line.startswith("/"):
                await self.slash(line, source)
                return True
            word, _, rest = line.partition(" ")
            word, rest = word.lower(), rest.strip()
            if word in ("quit", "exit"):
                return False
            if word == "help":
                self.console.write(HELP)
            elif word == "as":
                self.switch_user(rest)
            elif word == "admin":
                self.switch_user(ADMIN)
            elif word == "dm":
                self.place.in_dm = True
                self.console.write(f"Now in your DM with Onward, as {self._current_name()}.")
            elif word == "server":
                self.go_to_server(rest)
            elif word == "click":
                await self.click(rest, source)
            elif word == "wait":
                await self.advance(parse_duration(rest))
            elif word == "clock":
                if rest:
                    await self.advance(parse_duration(rest))
                else:
                    self.console.write(f"Bot clock: {local_time(self.clock.now(), None)}.")
            elif word == "status":
                await self.status()
            else:
                self.console.write(
                    f"Unknown command {word!r}. Slash commands start with /; type help.")
        except CommandLineError as problem:
            self.console.write(f"✗ {problem}")
        except EmulatorError as problem:
            self.console.write(f"✗ Discord would refuse that: {problem}")
        except TimeoutError as problem:
            self.console.write(f"✗ The bot did not answer in time ({problem}).")
        except Exception as problem:
            # A surprise in the sandbox itself ends this command, not the session.
            log.exception("sandbox command %r failed", line)
            self.console.write(f"✗ That went wrong in the sandbox: {problem!r}.")
        finally:
            self._handling = False
        return True

    # Who and where -----------------------------------------------------------------------------

    def _current_name(self) -> str:
        return self._user_name(self.place.user_id) or "?"

    def switch_user(self, name: str) -> None:
        uid = self.directory.user_id(name.lstrip("@")) if name else None
        if uid is None:
            raise CommandLineError(
                f"Who? Members here: {', '.join(self.directory.user_names())}.")
        self.place.user_id = uid
        where = "your DM with Onward" if self.place.in_dm else \
            "#" + (self._channel_name(self.place.channel_id) or "?")
        self.console.write(f"Now acting as {self._current_name()}, in {where}.")

    def go_to_server(self, channel: str) -> None:
        if channel:
            cid = self.directory.channel_id(channel.lstrip("#"))
            if cid is None:
                raise CommandLineError(
                    f"No channel {channel!r}. Channels: "
                    f"{', '.join('#' + c for c in self.directory.channel_names())}.")
            self.place.channel_id = cid
        self.place.in_dm = False
        self.console.write(f"Now in #{self._channel_name(self.place.channel_id)} on "
                           f"{GUILD_NAME}, as {self._current_name()}.")

    def actor(self):
        """The current member where they are: in their DM, or in the current channel."""
        place = self.place
        if place.in_dm:
            return self.emu.actor(place.user_id, None, timeout=REPLY_TIMEOUT)
        return self.emu.actor(place.user_id, self.guild_id, channel_id=place.channel_id,
                              timeout=REPLY_TIMEOUT)

    def definitions(self) -> list[dict[str, Any]]:
        guild = [] if self.place.in_dm else self.emu.registered_commands(self.guild_id)
        return guild + self.emu.registered_commands(None)

    # Interactions ------------------------------------------------------------------------------

    async def slash(self, line: str, source) -> None:
        parsed = parse_slash(line, self.definitions())
        if self.place.in_dm and any(d["type"] == CHANNEL and d["name"] in parsed.raw_options
                                    for d in parsed.option_defs):
            raise CommandLineError("Channels belong to the server: type `server` first.")
        options = convert_options(parsed, self.directory)
        actor = self.actor()
        try:
            result = await actor.slash(parsed.command, **options)
        except EmulatorError as refused:
            if "hidden from this member" in str(refused):
                raise CommandLineError(
                    f"/{parsed.path[0]} is for the server's admins, so Discord doesn't show it "
                    f"to {self._current_name()}. Type `admin` to act as the admin.") from None
            raise
        await self.answered(actor, result, source)

    async def click(self, args: str, source) -> None:
        words = split_words(args)
        if not words:
            raise CommandLineError("Which button? click 2, or click 2 on 5.")
        if len(words) >= 3 and words[-2] == "on":
            number, words = self._message_number(words[-1]), words[:-2]
        else:
            number = self._latest_with_buttons()
        message = self.emu.messages[self._by_number[number - 1]]
        if message.deleted:
            raise CommandLineError(f"Message [{number}] was deleted.")
        buttons = message.buttons
        if not buttons:
            raise CommandLineError(f"Message [{number}] has no buttons.")
        wanted = " ".join(words)
        if wanted.isdigit():
            index = int(wanted)
            if not 1 <= index <= len(buttons):
                raise CommandLineError(
                    f"Message [{number}] has buttons 1 to {len(buttons)}.")
            button = buttons[index - 1]
        else:
            found = [b for b in buttons if (b["label"] or "").lower() == wanted.lower()]
            if not found:
                labels = ", ".join(f"{i} {b['label']}" for i, b in enumerate(buttons, 1))
                raise CommandLineError(f"Message [{number}] has: {labels}.")
            button = found[0]
        if button["url"]:
            self.console.write(f"That button opens {button['url']} in a browser.")
            return
        actor = self._actor_for(message, number)
        result = await actor.click(message, custom_id=button["custom_id"])
        await self.answered(actor, result, source)

    def _latest_with_buttons(self) -> int:
        """The newest message shown whose buttons the current member can press."""
        for number in range(len(self._by_number), 0, -1):
            message = self.emu.messages[self._by_number[number - 1]]
            if not message.deleted and message.buttons and self._usable(message):
                return number
        raise CommandLineError(
            f"No message with buttons for {self._current_name()} yet; "
            "click 2 on 5 presses one on message [5].")

    def _usable(self, message: Message) -> bool:
        channel = self.emu.channels[message.channel_id]
        if channel.type == DM:
            return channel.recipient_id == self.place.user_id
        return self._ephemeral_owner(message) in (None, self.place.user_id)

    def _message_number(self, text: str) -> int:
        text = text.strip("[]")
        if not text.isdigit() or not 1 <= int(text) <= len(self._by_number):
            raise CommandLineError(f"There is no message [{text}].")
        return int(text)

    def _actor_for(self, message: Message, number: int):
        """Buttons are pressed where the message is: in its DM, or in its channel."""
        channel = self.emu.channels[message.channel_id]
        me = self.place.user_id
        if channel.type == DM:
            if channel.recipient_id != me:
                name = self._user_name(channel.recipient_id)
                raise CommandLineError(
                    f"[{number}] is in {name}'s DM: type `as {name}` to press its buttons.")
            return self.emu.actor(me, None, timeout=REPLY_TIMEOUT)
        owner = self._ephemeral_owner(message)
        if owner is not None and owner != me:
            name = self._user_name(owner)
            raise CommandLineError(f"Only {name} sees [{number}]: type `as {name}` first.")
        return self.emu.actor(me, self.guild_id, channel_id=message.channel_id,
                              timeout=REPLY_TIMEOUT)

    async def answered(self, actor, result, source) -> None:
        """Show what the bot did with an interaction; fill in the form if it opened one."""
        if result.response_type == 9:
            self.flush()
            await self.fill_modal(actor, result, source)
            return
        if result.response_type == 5:
            # "Onward is thinking…": the answer comes as an edit or a follow-up.
            with contextlib.suppress(TimeoutError):
                await result.reply(timeout=REPLY_TIMEOUT)
        await self.settle()
        self.flush()

    async def fill_modal(self, actor, opened, source) -> None:
        modal = await opened.modal()
        fields = text_inputs(modal)
        write = self.console.write
        write(self.renderer.modal_intro(modal)
              + "   (a form: answer each field; an empty line skips an optional one)")
        values: dict[str, str] = {}
        for field in fields:
            label = field.get("label") or field.get("custom_id")
            required = field.get("required", True)
            current = field.get("value")
            notes = ["required" if required else "optional"]
            if field.get("max_length"):
                notes.append(f"up to {field['max_length']} characters")
            write(f"│ {label} ({', '.join(notes)})")
            if field.get("description"):
                write(f"│   {field['description']}")
            if current:
                write(f"│   now: {current}   (empty line keeps it)")
            elif field.get("placeholder"):
                write(f"│   e.g. {field['placeholder']}")
            while True:
                answer = await source.read("│ > ", self.console)
                if answer is None:
                    write("└─ Form closed without sending.")
                    return
                answer = answer.strip()
                problem = None
                if not answer and required and not current:
                    problem = "This one is required."
                elif field.get("max_length") and len(answer) > field["max_length"]:
                    problem = f"At most {field['max_length']} characters, please."
                elif answer and field.get("min_length") and len(answer) < field["min_length"]:
                    problem = f"At least {field['min_length']} characters, please."
                if problem is None:
                    break
                if not source.interactive:
                    write(f"└─ {problem} Form closed without sending.")
                    return
                write(f"│ {problem}")
            if answer:
                values[field["custom_id"]] = answer
            elif not current:
                values[field["custom_id"]] = ""
        write("└─ Sent.")
        submitted = await actor.submit_modal(opened, values)
        await self.answered(actor, submitted, source)

    # Showing what arrives ----------------------------------------------------------------------

    async def _watch(self) -> None:
        """Messages that arrive between commands (a scheduled DM, a post) show up by themselves.
        While a command runs it shows its own, in order."""
        while True:
            await asyncio.sleep(0.25)
            if self._handling:
                continue
            try:
                self.flush()
            except Exception:          # never let showing a message end the session
                log.exception("showing a message failed")

    def _busy(self) -> bool:
        me = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is me or task.done():
                continue
            if task.get_name().startswith(WORK_TASK_PREFIXES) or compat.is_library_work(task):
                return True
        return False

    def _signature(self) -> tuple[int, int]:
        return len(self.emu.messages), sum(len(m.history) + m.deleted
                                           for m in self.emu.messages.values())

    async def settle(self, quiet: float = QUIET) -> None:
        """Wait until the bot has finished what it started and sent nothing for a moment."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        signature, calm_since = self._signature(), loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.03)
            now_signature = self._signature()
            if now_signature != signature or self._busy():
                signature, calm_since = now_signature, loop.time()
            elif loop.time() - calm_since >= quiet:
                return

    def flush(self, *, heading: str | None = None) -> int:
        """Print every bot message not shown yet (or changed since), and every request of the
        bot's that Discord would have refused; returns how many messages."""
        for violation in self.emu.spec_violations[self._violations_shown:]:
            self.console.write(f"{REFUSED_BY_SPEC} {violation}")
        self._violations_shown = len(self.emu.spec_violations)
        shown = 0
        for message in list(self.emu.messages.values()):
            if message.author_id != self.emu.bot_user_id or message.flags & FLAG_LOADING:
                continue
            version = (len(message.history), message.deleted)
            before = self._shown_versions.get(message.id)
            if before == version:
                continue
            self._shown_versions[message.id] = version
            if message.deleted and before is None:
                continue
            if heading is not None and shown == 0:
                self.console.write(heading)
            shown += 1
            self.console.write(self.render(message, updated=before is not None))
        return shown

    def render(self, message: Message, *, updated: bool) -> str:
        number = self._numbers.get(message.id)
        if number is None:
            self._by_number.append(message.id)
            number = self._numbers[message.id] = len(self._by_number)
        if message.deleted:
            return f"[{number}] (deleted)"
        channel = self.emu.channels[message.channel_id]
        if channel.type == DM:
            place = f"Onward, in {self._user_name(channel.recipient_id)}'s DM"
        else:
            place = f"Onward in #{channel.name}"
        notes = []
        owner = self._ephemeral_owner(message)
        if message.ephemeral:
            notes.append("(only you see this)" if owner in (None, self.place.user_id)
                         else f"(only {self._user_name(owner)} sees this)")
        if updated:
            notes.append("(updated)")
        files = []
        for filename, data in message.attachments:
            files.append((filename, len(data), self._save(message, number, filename, data)))
        return self.renderer.message(
            number=number, place=place, note=" ".join(notes) or None, content=message.content,
            embeds=message.embeds, buttons=message.buttons, selects=message.selects,
            files=files, now=self.clock.now(),
        )

    def _save(self, message: Message, number: int, filename: str, data: bytes) -> Path:
        key = (message.id, filename)
        if key not in self._saved:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / f"{number}-{Path(filename).name}"
            path.write_bytes(data)
            self._saved[key] = path
        return self._saved[key]

    @property
    def saved_files(self) -> list[Path]:
        return list(self._saved.values())

    @staticmethod
    def _ephemeral_owner(message: Message) -> int | None:
        if not message.ephemeral or not message.interaction:
            return None
        return int(message.interaction["user"]["id"])

    def _user_name(self, user_id: int | None) -> str | None:
        user = self.emu.users.get(user_id) if user_id is not None else None
        return user.name if user else None

    def _channel_name(self, channel_id: int) -> str | None:
        channel = self.emu.channels.get(channel_id)
        return channel.name if channel else None

    def _role_name(self, role_id: int) -> str | None:
        guild = self.emu.guilds.get(self.guild_id)
        role = guild.roles.get(role_id) if guild else None
        return role.name.lstrip("@") if role else None

    # Time --------------------------------------------------------------------------------------

    def _cogs(self):
        assert self.bot is not None, "the sandbox has started"
        return self.bot.get_cog("Support"), self.bot.get_cog("PersonalDMs")

    async def _next_event(self) -> datetime | None:
        """The earliest moment something is scheduled: a group-nudge slot or a personal timer."""
        support, personal = self._cogs()
        moments = []
        if support is not None:
            moments += list(support.next_runs().values())
        if personal is not None:
            due = await personal.personal.next_due_at()
            if due is not None:
                moments.append(due)
        return min(moments, default=None)

    async def _catch_up(self) -> None:
        """What the bot runs when it starts: post the group nudges that are due and send the
        personal DMs that are due, then re-arm both from the clock."""
        support, personal = self._cogs()
        if support is not None:
            await support.catch_up_all()
        if personal is not None:
            await personal.catch_up()
        await self.settle(STEP_QUIET)

    async def advance(self, delta: timedelta) -> None:
        """Move the bot's clock forward by `delta`, stopping at each scheduled moment on the way
        (in order) to run the start-up catch-up there, so everything fires when it would."""
        target = self.clock.now() + delta
        self.console.write(f"⏩ Moving the bot's clock forward {describe_duration(delta)}…")
        self.flush()
        caught_up_at: datetime | None = None
        for _ in range(MAX_STEPS):
            upcoming = await self._next_event()
            if upcoming is None or upcoming > target:
                break
            now = self.clock.now()
            if upcoming > now:
                self._move(upcoming - now)
            elif caught_up_at is not None and caught_up_at >= now:
                # Still due after running it here: it failed (see the log); don't spin on it.
                log.warning("something due at %s did not go out; moving on", upcoming)
                break
            caught_up_at = self.clock.now()
            await self._catch_up()
            self.flush(heading=self._step_heading())
        remaining = target - self.clock.now()
        if remaining > timedelta(0):
            self._move(remaining)
        await self._catch_up()
        self.flush(heading=self._step_heading())
        self.console.write(f"Bot clock: {local_time(self.clock.now(), None)}.")

    def _move(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.moved += delta

    def _step_heading(self) -> str:
        text = f"── {local_time(self.clock.now(), None)} ──"
        return f"{DIM}{text}\x1b[0m" if self.renderer.color else text

    async def status(self) -> None:
        write = self.console.write
        now = self.clock.now()
        write(f"Bot clock: {local_time(now, None)}.")
        support, _ = self._cogs()
        runs = support.next_runs() if support is not None else {}
        config = await support.support.config(self.guild_id) if support is not None else None
        if config is None or config.support_channel_id is None:
            write("Group nudges: none yet. As the admin: /support setup channel:#support")
        elif not runs:
            write("Group nudges: none scheduled"
                  + (f" (paused: {config.paused_reason})." if config.paused_reason else "."))
        else:
            write(f"Group nudges in #{self._channel_name(config.support_channel_id)} "
                  f"({config.timezone}):")
            for (_guild_id, kind), at in sorted(runs.items(), key=lambda item: item[1]):
                write(f"  {kind:<14} {local_time(at, config.timezone)}  ({relative(at, now)})")
        timers = await self._pending_timers()
        if not timers:
            write("Personal DMs: none pending.")
            return
        write("Personal DMs pending:")
        for who, what, at, timezone in timers:
            write(f"  {who:<6} {what:<34} {local_time(at, timezone)}  ({relative(at, now)})")

    async def _pending_timers(self) -> list[tuple[str, str, datetime, str]]:
        assert self.bot is not None, "the sandbox has started"
        _, personal = self._cogs()
        service = (personal.personal if personal is not None
                   else PersonalDMService(self.bot.database, self.clock))
        rows = []
        for timer in await service.pending_timers():
            what = timer.kind.replace("_", " ")
            if timer.entry is not None:
                what += f" #{timer.entry.number} {inert(timer.entry.company, markdown=False)}"
            rows.append((self._user_name(timer.user_id) or str(timer.user_id), what[:34],
                         timer.due_at, timer.timezone))
        return rows

    # Completion --------------------------------------------------------------------------------

    async def complete(self, before_cursor: str) -> list[str]:
        """Whole-word candidates for the word being typed at the end of `before_cursor`."""
        self._described = {}
        words = before_cursor.split()
        typing_first = not words or (len(words) == 1 and not before_cursor[-1:].isspace())
        if typing_first:
            start = words[0] if words else ""
            found = [c for c in SANDBOX_COMMANDS if c.startswith(start)]
            return found + completing(before_cursor.lstrip(), self.definitions()).candidates
        first = words[0].lower()
        current = "" if before_cursor[-1:].isspace() else words[-1]
        if first == "as":
            return [n for n in self.directory.user_names() if n.startswith(current)]
        if first == "server":
            return [f"#{c}" for c in self.directory.channel_names()
                    if f"#{c}".startswith(current)]
        if not first.startswith("/"):
            return []
        where = completing(before_cursor.lstrip(), self.definitions())
        if where.kind != "value":
            return where.candidates
        return await self._complete_value(where)

    async def _complete_value(self, where: Completing) -> list[str]:
        option, line, prefix = where.option, where.line, where.prefix
        if option is None or line is None:
            return []
        name = option["name"] + ":"
        values: list[tuple[str, str | None]] = []
        if option.get("choices"):
            values = [(str(c["value"]), None) for c in option["choices"]]
        elif option["type"] == 5:
            values = [("true", None), ("false", None)]
        elif option["type"] == USER:
            values = [("@" + n, None) for n in self.directory.user_names()]
        elif option["type"] == CHANNEL:
            values = [("#" + n, None) for n in self.directory.channel_names()]
        elif option.get("autocomplete"):
            others = {}
            defs = {d["name"]: d for d in line.option_defs}
            for other, raw in line.raw_options.items():
                if other != option["name"] and other in defs:
                    with contextlib.suppress(CommandLineError):
                        others[other] = convert(defs[other], raw, self.directory)
            try:
                choices = await self.actor().autocomplete(
                    line.command, option["name"], prefix, **others)
            except (EmulatorError, TimeoutError, AssertionError):
                return []
            values = [(str(c["value"]), str(c["name"])) for c in choices]
            return self._candidates(name, values, prefix, filter_prefix=False)
        return self._candidates(name, values, prefix, filter_prefix=True)

    def _candidates(self, name: str, values, prefix: str, *, filter_prefix: bool) -> list[str]:
        found = []
        for value, description in values:
            if filter_prefix and not value.lower().startswith(prefix.lower()):
                continue
            word = name + quote_if_needed(value)
            found.append(word)
            if description and description != value:
                self._described[word] = description
        return found
