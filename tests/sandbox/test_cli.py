"""`python -m bot sandbox`, driven through its standard input: the real bot against the emulator,
and what a person at the terminal reads."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.sandbox import cli
from bot.sandbox.commandline import (
    CommandLineError,
    completing,
    convert_options,
    parse_slash,
)
from bot.sandbox.render import Names, Renderer
from bot.sandbox.session import REFUSED_BY_SPEC, Sandbox, parse_duration
from discord_emulator import SpecViolation
from tests.e2e.conftest import PINNED_AT

ROOT = Path(__file__).resolve().parents[2]
HEADING = re.compile(r"^── (.+) UTC ──$", re.MULTILINE)


async def session(tmp_path: Path, script: str, **kwargs) -> str:
    """Run the sandbox in-process on these lines, its clock pinned at PINNED_AT; return what it
    printed."""
    out = io.StringIO()
    workdir = tmp_path / f"session-{len(list(tmp_path.iterdir()))}"
    workdir.mkdir()
    kwargs.setdefault("clock", FixedClock(PINNED_AT))
    code = await cli.run(script.strip().splitlines(), out, workdir=workdir, color=False,
                         **kwargs)
    assert code == 0
    assert REFUSED_BY_SPEC not in out.getvalue()
    return out.getvalue()


def after(output: str, marker: str) -> str:
    """The output from the line that echoes `marker` on."""
    index = output.index(marker)
    return output[index:]


def moment(text: str) -> datetime:
    return datetime.strptime(text, "%a %d %b %Y %H:%M").replace(tzinfo=UTC)


def headings(output: str) -> list[datetime]:
    return [moment(h) for h in HEADING.findall(output)]


def posts_by_moment(output: str) -> list[tuple[datetime, str, str]]:
    """(the step's moment, where, first line) of each message shown while the clock moved."""
    found, current = [], None
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if heading := HEADING.match(line):
            current = moment(heading[1])
        elif (shown := re.match(r"^\[\d+\] Onward(?: in|,) (.+?)( \(|$)", line)) and current:
            first = lines[i + 1].strip().removeprefix("┌─ ").split(" ─")[0]
            found.append((current, shown[1], first))
    return found


# The tour, as a person would take it ----------------------------------------------------------

TOUR = """\
help
/rejection log company:Acme stage:onsite
click 1
system design

more mock interviews

graph problems
/feedback draft rejection:1 tone:warm
admin
/support setup channel:#support timezone:UTC
as alice
/rejection log company:Globex role:"Backend Engineer" stage:technical share:anonymous
click 1
status
wait 24h
as bob
wait 7d
quit
"""


def test_tour_through_standard_input(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "NO_COLOR": "1"}
    env.pop("DISCORD_TOKEN", None)              # it needs none
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--clock", PINNED_AT.isoformat()], input=TOUR,
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in out
    assert REFUSED_BY_SPEC not in out

    assert "members alice, bob, carol · server admin ada" in out
    assert "Bot clock: Tue 16 Jun 2026 14:30 UTC" in out
    assert "click 2 on 5     press button 2 of message [5]" in after(out, "> help")

    # The acknowledgement: private, numbered, with its buttons numbered.
    logged = after(out, "> /rejection log company:Acme")
    assert "[1] Onward in #general (only you see this)" in logged
    assert "Logged #1: Acme · onsite" in logged
    assert "[1 Reflect now]  [2 Draft feedback request]  [3 Share with the group]" in logged

    # Reflect now opens the form; each field is asked, the empty lines skip.
    form = after(out, "> click 1")
    assert "┌─ Reflect on #1 Acme" in form
    assert "│ Which questions did you struggle with? (optional" in form
    assert "│ > system design" in form and "└─ Sent." in form
    saved = after(form, "└─ Sent.")
    assert "Saved your reflection on #1 Acme" in saved
    assert "Struggled with: system design" in saved
    assert "To practise: graph problems" in saved
    assert "Went well" not in saved.split("> /feedback")[0]     # skipped, so not shown

    draft = after(out, "> /feedback draft")
    assert "Subject: Thank you" in draft and "[1 I sent it]" in draft

    setup = after(out, "ada (admin) in #general> /support setup channel:#support timezone:UTC")
    assert "Set up: support channel #support, timezone UTC." in setup

    shared = after(out, "alice in #general> /rejection log company:Globex").split("> status")[0]
    assert "Logged #2: Globex · Backend Engineer · technical" in shared
    # A preview first; Post it schedules the anonymous post for a random moment within the hour.
    assert "Someone in the group got a no after a technical interview." in shared
    assert "[1 Post it]  [2 Cancel]" in shared
    assert "Scheduled: #2 goes up anonymously" in shared
    assert "Onward in #support" not in shared and "Globex" not in shared.split("Preview")[1]

    status = after(out, "> status")
    assert "Group nudges in #support (UTC):" in status
    for kind in ("encouragement", "keep-applying", "digest"):
        assert re.search(rf"^  {kind} +\w{{3}} \d\d \w{{3}} \d{{4}} \d\d:\d\d UTC", status,
                         re.MULTILINE)
    assert re.search(r"^  alice +reflection prompt #2 Globex .* UTC +\(in 1 day\)", status,
                     re.MULTILINE)

    # A day later the DM prompt for the entry not yet reflected on arrives, with its buttons.
    day = after(out, "> wait 24h").split("> as bob")[0]
    assert "⏩ Moving the bot's clock forward 1 day" in day
    assert "Onward, in alice's DM" in day
    assert "#2 Globex (technical): when you have a few minutes" in day
    assert "[1 Reflect now]  [2 Remind me tomorrow]  [3 Not this one]" in day
    assert "#1 Acme" not in day                            # reflected already: no prompt
    posted = day.split("Onward in #support")[1]
    assert "Someone in the group got a no after a technical interview." in posted
    assert "Globex" not in posted.split("Onward, in alice's DM")[0]

    assert "Now acting as bob, in #general." in out

    # A week: each group nudge is posted in #support, at its own moment, in order.
    week = after(out, "bob in #general> wait 7d").split("> quit")[0]
    posts = re.findall(r"^\[\d+\] Onward in #support\n    ┌─ (.+?) ─", week, re.MULTILINE)
    assert {"The group's week", "Keep applying", "A note for the group"} <= set(posts)
    moments = headings(week)
    assert moments == sorted(moments) and len(moments) >= 3
    assert out.rstrip().endswith("Bye: the bot is closed and the emulator stopped.")


# Time -----------------------------------------------------------------------------------------

async def test_wait_stops_at_each_slot_in_order_and_status_shows_what_is_next(tmp_path):
    out = await session(tmp_path, """
admin
/support setup channel:#support timezone:Europe/Berlin
/support schedule kind:encouragement days:daily time:09:00
as carol
/settings timezone:America/New_York
/rejection log company:Initech
status
wait 3d
status
""")
    before = after(out, "carol in #general> status").split("> wait")[0]
    assert "Group nudges in #support (Europe/Berlin):" in before
    assert re.search(r"^  encouragement +\w{3} \d\d \w{3} \d{4} 09:00 Europe/Berlin", before,
                     re.MULTILINE)
    # The member's timer in the member's own timezone.
    assert re.search(r"^  carol +reflection prompt #1 Initech .* America/New_York +\(in 1 day\)",
                     before, re.MULTILINE)

    waited = after(out, "> wait 3d").split("> status")[0]
    posts = posts_by_moment(waited)
    daily = [at for at, where, first in posts
             if where == "#support" and first == "A note for the group"]
    assert len(daily) == 3                      # one for each 09:00 Berlin in the 72 hours
    berlin = [at.astimezone(ZoneInfo("Europe/Berlin")) for at in daily]
    assert [(b.hour, b.minute) for b in berlin] == [(9, 0)] * 3
    assert [(b.date() - berlin[0].date()).days for b in berlin] == [0, 1, 2]
    [dm] = [(at, first) for at, where, first in posts if where == "in carol's DM"]
    assert dm[1] == "A gentle check-in from Onward:" and "#1 Initech" in waited
    moments = headings(waited)
    assert moments == sorted(moments)

    later = after(out, "> wait 3d").split("> status")[-1]
    assert "Personal DMs: none pending." in later
    assert "encouragement" in later and "09:00 Europe/Berlin" in later


async def test_a_pinned_clock_moves_only_with_wait(tmp_path):
    out = io.StringIO()
    sandbox = Sandbox(cli.Console(out), workdir=tmp_path, clock=FixedClock(PINNED_AT))
    await sandbox.start()
    try:
        await asyncio.sleep(1.1)                     # real time passes; bot time does not
        assert sandbox.clock.now() == PINNED_AT
        await sandbox.handle("clock", None)
        await sandbox.handle("wait 90m", None)
        assert sandbox.clock.now() == PINNED_AT + timedelta(minutes=90)
    finally:
        await sandbox.stop()
    sandbox.emu.assert_no_spec_violations()
    text = out.getvalue()
    assert "Bot clock: Tue 16 Jun 2026 14:30 UTC." in text
    assert "Bot clock: Tue 16 Jun 2026 16:00 UTC." in text


async def test_a_kept_database_keeps_entries_and_the_clock(tmp_path):
    db = tmp_path / "kept.db"
    first = await session(tmp_path, "/rejection log company:Acme\nwait 2d\nquit", db_path=db)
    moved = moment(re.findall(r"^Bot clock: (.+) UTC\.$", first, re.MULTILINE)[-1])
    assert moved == PINNED_AT + timedelta(days=2)
    second = await session(tmp_path, "/rejection list\nclock", db_path=db)
    assert f"{db} (kept)" in second
    assert "#1 Acme" in after(second, "> /rejection list")
    resumed = moment(re.search(r"^Bot clock: (.+) UTC\.$", after(second, "> clock"),
                               re.MULTILINE)[1])
    assert resumed == moved


def test_durations():
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration("+30m") == timedelta(minutes=30)
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("1w") == timedelta(days=7)
    for wrong in ("", "5x", "h", "0m", "90d", "-1d"):
        with pytest.raises(CommandLineError):
            parse_duration(wrong)


# Buttons, forms, files ------------------------------------------------------------------------

async def test_buttons_forms_and_files(tmp_path):
    out = await session(tmp_path, """
/rejection log company:Acme stage:onsite
as bob
click 1 on 1
click 1
as alice
click "Draft feedback request" on 1
/feedback log rejection:1

/feedback log rejection:1
They wanted more depth on system design
/apply log company:Globex
/progress
/privacy export
dm
/reflect rejection:1
nerves
""")
    assert "✗ Only alice sees [1]: type `as alice` first." in out
    assert "✗ No message with buttons for bob yet" in out
    assert "Subject: Thank you" in after(out, '> click "Draft feedback request" on 1')

    # A required field left empty in a script closes the form without sending anything.
    refused = after(out, "> /feedback log rejection:1")
    assert "│ The feedback you received (required" in refused
    assert "└─ This one is required. Form closed without sending." in refused
    sent = after(refused, "> They wanted more depth")
    assert "Saved the feedback for #1 Acme" in sent

    # The chart and the export are saved where the path says.
    progress = after(out, "> /progress")
    chart = re.search(r"📎 progress\.png \([\d.]+ kB\) → (\S+)", progress)
    assert chart and Path(chart[1]).read_bytes().startswith(b"\x89PNG")
    export = re.search(r"📎 (onward-export\S*\.json) \([\d.]+ kB\) → (\S+)", out)
    assert export and b'"Acme"' in Path(export[2]).read_bytes()

    # /reflect in the DM opens its form straight away; unanswered fields are left empty.
    reflected = after(out, "alice in DM> /reflect rejection:1")
    assert "┌─ Reflect on #1 Acme" in reflected
    assert "└─ Form closed without sending." in reflected       # the script ended mid-form


async def test_options_refused_before_they_reach_the_bot(tmp_path):
    out = await session(tmp_path, """
/rejection log stage:onsite
/rejection log company:Acme stage:nope
/apply goal per_week:500
/encourage member:@nobody message:hi
/rejection
/nosuch
dm
/support setup channel:#support
server
/support status
as mallory
wait soon
clock +30m
status
frobnicate
""")
    assert "✗ /rejection log needs company:…" in out
    assert "✗ stage is one of: application, recruiter-screen" in out
    assert "✗ per_week is between 1 and 100." in out
    assert "✗ member: no member '@nobody' here. Members: @ada, @alice, @bob, @carol." in out
    assert "✗ /rejection needs one of: log, list, edit, delete, share, unshare." in out
    assert "✗ There is no /nosuch here." in out
    assert "✗ Channels belong to the server: type `server` first." in out
    assert "✗ /support is for the server's admins" in out
    assert "✗ Who? Members here: ada, alice, bob, carol." in out
    assert "✗ Can't read 'soon' as a length of time" in out
    assert "⏩ Moving the bot's clock forward 30 minutes" in after(out, "> clock +30m")
    status = after(out, "> status")
    assert "Group nudges: none yet. As the admin: /support setup channel:#support" in status
    assert "Personal DMs: none pending." in status
    assert "Unknown command 'frobnicate'" in out
    assert "[1]" not in out                      # nothing reached the bot


# Completion -----------------------------------------------------------------------------------

async def test_completion_offers_commands_options_and_the_bots_suggestions(tmp_path):
    sandbox = Sandbox(cli.Console(io.StringIO()), workdir=tmp_path, clock=FixedClock(PINNED_AT))
    await sandbox.start()
    try:
        assert await sandbox.handle("/rejection log company:Acme stage:onsite", None)
        assert await sandbox.handle('/rejection log company:"Acorn Labs"', None)
        first = await sandbox.complete("")
        assert {"as", "click", "wait", "status", "help", "quit", "/rejection", "/reflect"} <= \
            set(first)
        assert await sandbox.complete("/rej") == ["/rejection"]
        assert await sandbox.complete("/rejection l") == ["log", "list"]
        assert "stage:" in await sandbox.complete("/rejection log company:X ")
        assert await sandbox.complete("/rejection log stage:on") == ["stage:onsite"]
        assert await sandbox.complete("/encourage member:@b") == ["member:@bob"]
        assert await sandbox.complete("server #s") == ["#support"]
        assert await sandbox.complete("as c") == ["carol"]

        # The bot's own autocomplete answers, with what each one describes.
        found = await sandbox.complete("/reflect rejection:")
        assert sorted(found) == ["rejection:1", "rejection:2"]
        assert "Acorn Labs" in sandbox._described["rejection:2"]
        assert await sandbox.complete("/reflect rejection:Acorn") == ["rejection:2"]
        sandbox.switch_user("ada")
        zones = await sandbox.complete("/support setup channel:#support timezone:Europe/Ber")
        assert "timezone:Europe/Berlin" in zones
    finally:
        await sandbox.stop()
    sandbox.emu.assert_no_spec_violations()


# What the terminal shows ----------------------------------------------------------------------

def test_a_request_discord_would_refuse_is_shown(tmp_path):
    out = io.StringIO()
    sandbox = Sandbox(cli.Console(out), workdir=tmp_path, clock=FixedClock(PINNED_AT))
    sandbox.emu.spec_violations.append(SpecViolation(
        "POST", "/channels/1/messages", "/channels/{channel_id}/messages", "/content",
        "maxLength 2000", "content is 2001 characters long (at most 2000)"))
    sandbox.flush()
    sandbox.flush()                                  # shown once
    assert out.getvalue() == (
        f"{REFUSED_BY_SPEC} POST /channels/{{channel_id}}/messages at /content: content is "
        "2001 characters long (at most 2000) (rule: maxLength 2000)\n")


def test_discord_markup_reads_plainly():
    names = Names(users={1: "bob"}.get, channels={2: "support"}.get)
    renderer = Renderer(names, width=60)
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    stamp = int((now + timedelta(hours=24)).timestamp())
    text = renderer.text(
        rf"**#3** Acme\_Corp \*not bold\* <@1> in <#2>, <t:{stamp}:R> (<t:{stamp}:F>)", now)
    assert text == ("#3 Acme_Corp *not bold* @bob in #support, in 1 day "
                    "(Thursday, 26 November 2026 15:00 UTC)")
    assert renderer.text("```text\nHi there,\nthanks\n```", now) == "    Hi there,\n    thanks"

    shown = renderer.message(
        number=4, place="Onward in #general", note="(only you see this)", content="Done.",
        embeds=[{"title": "Your progress", "description": "2 of 5 applications",
                 "fields": [{"name": "Streak", "value": "1 week"}],
                 "image": {"url": "attachment://progress.png"}, "footer": {"text": "Only you"}}],
        buttons=[{"label": "Reflect now"}, {"label": "Later", "disabled": True}],
        selects=[], files=[("progress.png", 17_000, Path("/tmp/x/4-progress.png"))], now=now,
    )
    assert shown.splitlines() == [
        "[4] Onward in #general (only you see this)",
        "    Done.",
        "    ┌─ Your progress " + "─" * 30,
        "    │ 2 of 5 applications",
        "    │ Streak",
        "    │   1 week",
        "    │ 🖼  progress.png (attached below)",
        "    │ Only you",
        "    └" + "─" * 34,
        "    📎 progress.png (16.6 kB) → /tmp/x/4-progress.png",
        "    [1 Reflect now]  [2 Later (disabled)]",
    ]


def test_options_are_read_as_the_registered_types():
    definitions = [{
        "name": "demo", "type": 1, "options": [{
            "name": "run", "type": 1, "options": [
                {"name": "company", "type": 3, "required": True, "max_length": 20},
                {"name": "stage", "type": 3, "choices": [{"name": "Phone screen",
                                                          "value": "phone-screen"}]},
                {"name": "count", "type": 4, "min_value": 1, "max_value": 10},
                {"name": "anonymous", "type": 5},
                {"name": "member", "type": 6},
                {"name": "channel", "type": 7},
            ]}]}]

    class Directory:
        def user_id(self, name):
            return {"bob": 12}.get(name)

        def channel_id(self, name):
            return {"support": 22}.get(name)

        def role_id(self, name):
            return None

        def user_names(self):
            return ["bob"]

        def channel_names(self):
            return ["support"]

    line = ('/demo run company:"Acorn Labs" stage:"phone screen" count:3 anonymous:yes '
            "member:@bob channel:#support")
    parsed = parse_slash(line, definitions)
    assert parsed.command == "demo run"
    assert convert_options(parsed, Directory()) == {
        "company": "Acorn Labs", "stage": "phone-screen", "count": 3, "anonymous": True,
        "member": 12, "channel": 22,
    }
    assert convert_options(parse_slash("/demo run company:x member:bob anonymous:off",
                                       definitions), Directory())["member"] == 12
    for wrong, says in [
        ("/demo run", "needs company:…"),
        ("/demo run company:x count:11", "between 1 and 10"),
        ("/demo run company:x count:two", "whole number"),
        ("/demo run company:x anonymous:maybe", "true or false"),
        ("/demo run company:x member:@eve", "no member '@eve'"),
        ("/demo run company:x channel:#nope", "no channel '#nope'"),
        (f"/demo run company:{'x' * 21}", "at most 20 characters"),
        ("/demo run company:x colour:red", "has no option 'colour'"),
        ("/demo run company:x company:y", "given twice"),
        ("/demo run company:x loose", "name:value"),
        ('/demo run company:"open', "Can't read that line"),
    ]:
        with pytest.raises(CommandLineError, match=re.escape(says)):
            convert_options(parse_slash(wrong, definitions), Directory())

    assert completing("/demo run company:x st", definitions).candidates == ["stage:"]
    value = completing('/demo run stage:"Phone s', definitions)
    assert value.kind == "value" and value.option["name"] == "stage"
    assert value.prefix == "Phone s"
