"""Hostile input through every command: each option the bot declares, every modal it opens and
the buttons on what it replies get unicode, RTL and zero-width characters, control characters,
10,000-character strings, SQL and Markdown metacharacters, huge and negative numbers. Discord
enforces max_length/min_value before the bot sees input; the emulator does not, so this also
shows the services check again.

Each input is either stored faithfully (and echoed without formatting or pinging anyone) or
refused with a clear private sentence. The bot never answers with its unexpected-error
message and the database stays sound. One bot serves the whole property run."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from discord_emulator.emulator import EmulatorError
from tests.backend import all_rows, integrity_problems, table_columns
from tests.e2e.outbound import UNEXPECTED, outbound, ping_problems

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
ATTACHMENT = 11
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
MODAL = 9
TOO_LONG = "A" * 10_000

# Member text that renders as formatting if echoed without escaping.
MARKDOWN = "**bold** __under__ ~~gone~~ `code` ||spoiler|| [click](https://evil.example/x)"
MARKDOWN_MARKERS = ("**bold**", "__under__", "~~gone~~", "`code`", "||spoiler||",
                    "[click](https://evil.example/x)", "```py")
# Hand-picked trouble, combined below with generated text.
NASTY = [
    "@everyone", "@here", "<@&{role}>", "<@{bob}>", "<@!{bob}>", "<#{support}>", MARKDOWN,
    "```py\nprint(1)\n```", "> quoted\n# Heading\n-# small\n- item",
    "'; DROP TABLE rejections; --", "Robert'); DELETE FROM applications WHERE ('1'='1",
    "%", "_", "\\", "\\%_'\"", "\u202eevil\u202c", "\u200b", "\u200b\u200c\u200d\u2060\ufeff",
    "שלום עולם", "مرحبا بالعالم", "١٢٣", "e\u0301" * 400, "👩‍👩‍👧‍👦" * 300, "Ａｃｍｅ",
    "\x00", "nul\x00byte", "\x1b[31mred\x1b[0m", "\x07bell", "line\nbreak", "\t", "   ",
    TOO_LONG, "é" * 3000, "null", "None", "0", "-1", "#1", "#999999999999999999999",
    "9" * 40, "1e309", "NaN", "today", "3 days ago", "2026-02-30", "25:99", "00:00-00:00",
    "mon,mon,mon", "daily", "Europe/Paris", "../../etc/passwd", "https://discord.gg/abc",
]
PRINTABLE = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=120)
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
INTS = st.one_of(
    st.sampled_from([0, -1, 1, 2, 24, 25, 26, 100, 101, 168, 169, 10**6, 2**31, 2**53 + 1,
                     2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)]),
    st.integers(min_value=-(2**70), max_value=2**70),
)
NUMBERS = st.floats(allow_nan=False, allow_infinity=False, width=64)

# (command, option) → where a value that was accepted must be found, unchanged.
STORED_AS = {
    ("rejection log", "company"): ("rejections", "company"),
    ("rejection log", "role"): ("rejections", "role"),
    ("rejection log", "note"): ("rejections", "note"),
    ("apply log", "company"): ("applications", "company"),
    ("apply log", "role"): ("applications", "role"),
    ("apply log", "link"): ("applications", "link"),
    ("encourage", "message"): ("encouragements", "message"),
}
OWNER_COLUMN = {"encouragements": "sender_id"}


@dataclass
class Leaf:
    path: str
    options: list[dict[str, Any]]
    contexts: list[int] | None
    admin_only: bool


@dataclass
class Tally:
    examples: int = 0
    interactions: int = 0
    values: int = 0
    modals: int = 0
    clicks: int = 0
    autocompletes: int = 0
    stored: int = 0
    refused: int = 0
    hidden: int = 0
    crashes: list[str] = field(default_factory=list)
    pings: list[str] = field(default_factory=list)
    formatted: list[str] = field(default_factory=list)
    commands: set[str] = field(default_factory=set)
    prepared: set[int] = field(default_factory=set)


TALLY = Tally()


def leaves(commands: list[dict[str, Any]]) -> list[Leaf]:
    found = []

    def walk(prefix: str, options: list[dict[str, Any]], command: dict[str, Any]) -> None:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            found.append(Leaf(prefix, options, command.get("contexts"),
                              command.get("default_member_permissions") is not None))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [], command)

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command["name"], command.get("options") or [], command)
    return sorted(found, key=lambda leaf: leaf.path)


def nasty_text(world) -> st.SearchStrategy[str]:
    picked = st.sampled_from([
        s.format(role=world.guild_id, bob=world.bob, support=world.support_id) for s in NASTY
    ])
    return st.one_of(
        picked, PRINTABLE, ANY_TEXT,
        st.builds(lambda a, b: a + " " + b, PRINTABLE, picked),
        st.builds(lambda a, b: a + b, picked, ANY_TEXT),
    )


def option_value(draw, world, option: dict[str, Any]) -> Any:
    kind = option["type"]
    if option.get("choices"):
        return draw(st.sampled_from([c["value"] for c in option["choices"]]))
    if kind == STRING:
        return draw(nasty_text(world))
    if kind == INTEGER:
        return draw(INTS)
    if kind == NUMBER:
        return draw(NUMBERS)
    if kind == BOOLEAN:
        return draw(st.booleans())
    if kind == USER:
        return draw(st.sampled_from([world.alice, world.bob, world.carol, world.admin,
                                     world.emu.bot_user_id]))
    if kind == CHANNEL:
        return draw(st.sampled_from([world.general_id, world.support_id]))
    if kind in (ROLE, MENTIONABLE):
        return world.guild_id  # the @everyone role
    if kind == ATTACHMENT:     # a CSV whose cells are hostile text
        cells = draw(st.lists(nasty_text(world), min_size=1, max_size=3))
        body = "company,role,date applied\n" + "\n".join(f'"{c}",x,today' for c in cells)
        return world.emu.upload("hostile.csv", body.encode("utf-8"), content_type="text/csv")
    raise AssertionError(f"no strategy for option type {kind}")


def as_stored(typed: str) -> str | None:
    """Trimmed at the edges and otherwise exactly as typed; an optional field with nothing
    visible in it (spaces, zero-width characters) is stored as not given."""
    trimmed = typed.strip()
    visible = any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in trimmed)
    return trimmed if visible else None


async def latest_value(db, table: str, column: str, user_id: int) -> tuple[int, Any]:
    owner = OWNER_COLUMN.get(table, "user_id")
    row = await db.fetchone(
        f"SELECT COUNT(*), (SELECT {column} FROM {table} WHERE {owner} = ? ORDER BY id DESC"
        f" LIMIT 1) FROM {table} WHERE {owner} = ?", (user_id, user_id))
    return row[0], row[1]


async def stored_anywhere(db, value: str) -> bool:
    """Is this exact text in some text column of some row?"""
    if "\x00" in value and db.dialect == "postgresql":
        return False  # PostgreSQL's text cannot hold a NUL
    for table, columns in (await table_columns(db)).items():
        for column, kind in columns.items():
            if kind == "TEXT" and await db.scalar(
                f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", (value,)
            ):
                return True
    return False


async def settle(world, quiet: float = 0.05, limit: float = 2.0) -> None:
    """Let work an interaction started in the background (DMs, posts) reach the emulator."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    seen = len(world.emu.requests)
    while loop.time() < end:
        await asyncio.sleep(quiet)
        if len(world.emu.requests) == seen:
            return
        seen = len(world.emu.requests)


def check_outbound(world, start: int, context: str, allowed_users: list[int]) -> None:
    for sent in outbound(world.emu.requests[start:]):
        text = sent.text
        if UNEXPECTED in text:
            TALLY.crashes.append(f"{context}: {text[:300]}")
        TALLY.pings.extend(f"{context}: {p}" for p in ping_problems(sent, allowed_users))
        # Escaping one character is enough: \[click](…) is no longer a masked link.
        TALLY.formatted.extend(f"{context}: {marker!r} in {text[:300]!r}"
                               for marker in MARKDOWN_MARKERS
                               if re.search(r"(?<!\\)" + re.escape(marker), text))


async def answer(world, actor, result, texts: list[str], context: str):
    """The bot's answer to an interaction; a modal gets filled with the hostile `texts`."""
    if result.response_type != MODAL:
        return await result.reply(timeout=10)
    modal = await result.modal()
    values = {}
    for row in modal.get("components") or []:
        inputs = row.get("components") or ([row["component"]] if "component" in row else [])
        for comp in inputs:
            if comp.get("type") == 4:
                value = texts[len(values) % len(texts)][: comp.get("max_length") or 4000]
                if comp.get("required", True) and not value:
                    value = "x"  # Discord does not submit an empty required field
                values[comp["custom_id"]] = value
    TALLY.modals += 1
    TALLY.values += len(values)
    submitted = await actor.submit_modal(result, values)
    reply = await submitted.reply(timeout=10)
    for value in values.values():
        kept = as_stored(value)
        if kept is None:
            continue
        if await stored_anywhere(world.db, kept):
            TALLY.stored += 1
        else:
            TALLY.refused += 1
            assert reply.ephemeral and reply.content.strip(), (context, value, reply.content)
    return reply


async def prepare(world) -> None:
    """A support channel and an entry per member, so buttons, modals and shares have
    something to act on."""
    if id(world) in TALLY.prepared:
        return
    TALLY.prepared.add(id(world))
    admin = world.actor(world.admin)
    setup = await (await admin.slash("support setup", channel=world.support_id)).reply()
    assert "Something went wrong" not in setup.content
    for member in (world.alice, world.bob, world.admin):
        await (await world.actor(member).slash("rejection log", company="Acme",
                                               share="named")).reply()


@pytest.fixture
def figures(capsys):
    yield TALLY
    with capsys.disabled():
        print(
            f"\nhostile input: {TALLY.interactions} interactions over {len(TALLY.commands)} "
            f"commands ({TALLY.clicks} button clicks, {TALLY.modals} modals, "
            f"{TALLY.autocompletes} autocompletes), {TALLY.values} hostile values; "
            f"{TALLY.stored} stored, {TALLY.refused} refused, {TALLY.hidden} hidden by Discord; "
            f"{len(TALLY.crashes)} crashes, {len(TALLY.pings)} pings, "
            f"{len(TALLY.formatted)} echoes rendered as formatting"
        )


@dataclass
class Plan:
    """Everything one command run will use, drawn up front so that what Hypothesis draws
    never depends on how the bot answered."""

    who: int
    in_dm: bool
    options: dict[str, Any]
    typed: dict[str, str]          # autocomplete option → what was typed
    modal_texts: list[str]
    press: bool
    target: int
    button: int
    second_modal_texts: list[str]


def draw_plan(draw, world, leaf: Leaf) -> Plan:
    texts = st.lists(nasty_text(world), min_size=6, max_size=6)
    in_dm = (leaf.contexts is None or 1 in leaf.contexts) and not leaf.admin_only
    return Plan(
        who=draw(st.sampled_from([world.alice, world.bob, world.admin])),
        in_dm=in_dm and draw(st.booleans()),
        options={o["name"]: option_value(draw, world, o) for o in leaf.options
                 if o.get("required") or draw(st.booleans())},
        typed={o["name"]: draw(nasty_text(world)) for o in leaf.options if o.get("autocomplete")},
        modal_texts=draw(texts),
        press=draw(st.booleans()),
        target=draw(st.integers(0, 99)),
        button=draw(st.integers(0, 99)),
        second_modal_texts=draw(texts),
    )


async def run_one(world, leaf: Leaf, plan: Plan) -> None:
    who, options = plan.who, plan.options
    actor = world.emu.actor(who, guild_id=None if plan.in_dm else world.guild_id)
    TALLY.commands.add(leaf.path)
    TALLY.values += len(options)
    context = f"/{leaf.path} as {who} {options!r}"[:300]
    before = {key: await latest_value(world.db, *STORED_AS[key], who)
              for key in STORED_AS if key[0] == leaf.path and key[1] in options}
    start = len(world.emu.requests)
    TALLY.interactions += 1
    try:
        # Autocomplete sees whatever was typed, before Discord checks anything.
        for name, typed in plan.typed.items():
            TALLY.autocompletes += 1
            TALLY.values += 1
            choices = await actor.autocomplete(leaf.path, name, typed)
            assert len(choices) <= 25
            for choice in choices:
                assert 1 <= len(choice["name"]) <= 100, choice
                assert len(str(choice["value"])) <= 100, choice
        result = await actor.slash(leaf.path, **options)
    except EmulatorError as refused:
        # Discord itself keeps admin commands from members without Manage Server.
        assert "hidden from this member" in str(refused), refused
        TALLY.hidden += 1
        return
    reply = await answer(world, actor, result, plan.modal_texts, context)

    # Press one of the buttons on what came back: on the reply (as its owner), or on the
    # newest post in the support channel (as another member).
    await settle(world)
    posts = [m for m in world.emu.channel_messages(world.support_id) if m.buttons]
    targets = [(actor, reply)] if reply is not None and reply.buttons else []
    targets += [(world.emu.actor(other, guild_id=world.guild_id), posts[-1])
                for other in (world.alice, world.bob) if posts and other != who]
    if plan.press and targets:
        clicker, message = targets[plan.target % len(targets)]
        buttons = [b for b in message.buttons if not b["disabled"] and b["custom_id"]]
        if buttons:
            button = buttons[plan.button % len(buttons)]
            TALLY.clicks += 1
            TALLY.interactions += 1
            clicked = await clicker.click(message, custom_id=button["custom_id"])
            await answer(world, clicker, clicked, plan.second_modal_texts,
                         f"{context} → {button['label']}")
            await settle(world)

    # No message may name anyone to ping (closed DMs are never answered with a mention).
    check_outbound(world, start, context, [])
    assert not TALLY.crashes, TALLY.crashes
    assert not TALLY.pings, TALLY.pings
    assert not TALLY.formatted, TALLY.formatted

    accepted = False
    for key, (count, _) in before.items():
        after_count, value = await latest_value(world.db, *STORED_AS[key], who)
        if after_count > count:
            accepted = True
            assert value == as_stored(options[key[1]]), (context, value)
    if before:
        if accepted:
            TALLY.stored += 1
        else:
            TALLY.refused += 1
            assert reply is not None and reply.ephemeral and reply.content.strip(), context


@settings(max_examples=20, derandomize=True, deadline=None, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_every_command_takes_hostile_input_safely(world, figures, data):
    """Each example is a session in which every command runs once, in a drawn order."""
    await prepare(world)
    all_leaves = leaves(world.emu.registered_commands())
    order = data.draw(st.permutations(all_leaves), label="order")
    plans = [(leaf, draw_plan(data.draw, world, leaf)) for leaf in order]
    TALLY.examples += 1
    for leaf, plan in plans:
        await run_one(world, leaf, plan)
    assert await integrity_problems(world.db) == []


async def test_tricky_text_is_stored_as_typed_and_found_again(world):
    alice = world.actor(world.alice)
    companies = ["'; DROP TABLE rejections; --", "\u202eevil\u202c", "e\u0301" * 50,
                 "👩‍👩‍👧‍👦", "%_\\", "Ａｃｍｅ"]
    for company in companies:
        reply = await (await alice.slash("rejection log", company=company)).reply()
        assert "Logged" in reply.content
    stored = [r[0] for r in await world.db.fetchall("SELECT company FROM rejections ORDER BY id")]
    assert stored == companies
    assert await integrity_problems(world.db) == []
    # LIKE wildcards typed into autocomplete are matched literally.
    suggestions = await alice.autocomplete("reflect", "rejection", "%_")
    assert [c["name"] for c in suggestions] and all("%_\\" in c["name"] for c in suggestions)
    assert await alice.autocomplete("reflect", "rejection", "%%") == []


async def test_a_nul_typed_into_autocomplete_finds_nothing_and_breaks_nothing(world):
    alice = world.actor(world.alice)
    await (await alice.slash("rejection log", company="Acme")).reply()
    await (await alice.slash("apply log", company="Acme")).reply()
    for typed in ("\x00", "Ac\x00me", "1\x00"):
        assert await alice.autocomplete("reflect", "rejection", typed) == []
        assert await alice.autocomplete("apply update", "application", typed) == []
    assert [c["name"] for c in await alice.autocomplete("reflect", "rejection", "Ac")]


async def snapshot(db) -> dict[str, list[tuple]]:
    return await all_rows(db, leave_out=("meta",))


def beyond_limits(option: dict[str, Any]) -> list[Any]:
    """Values Discord's client would never send for this option."""
    if option["type"] == INTEGER:
        low, high = option.get("min_value"), option.get("max_value")
        edges = [v for v in ((low - 1) if low is not None else None,
                             (high + 1) if high is not None else None) if v is not None]
        return [*edges, 2**63, -(2**63) - 1, 10**30] if edges else []
    if option["type"] == STRING and option.get("max_length") and not option.get("choices"):
        return ["x" * (option["max_length"] + 1), TOO_LONG]
    return []


async def test_declared_limits_are_checked_again_by_the_bot(world, capsys):
    """Every option past its declared max_length / min_value / max_value is refused with a
    private sentence, and nothing is stored."""
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()
    await (await world.actor(world.alice).slash("rejection log", company="Acme")).reply()
    required_defaults = {STRING: "Acme", INTEGER: 5, BOOLEAN: False, USER: world.bob,
                         CHANNEL: world.support_id, ATTACHMENT: ("jobs.csv", b"company\nAcme\n")}
    tried = 0
    for leaf in leaves(world.emu.registered_commands()):
        actor = admin if leaf.admin_only else world.actor(world.alice)
        required = {o["name"]: (o["choices"][0]["value"] if o.get("choices")
                                else required_defaults[o["type"]])
                    for o in leaf.options if o.get("required")}
        for option in leaf.options:
            for value in beyond_limits(option):
                before = await snapshot(world.db)
                start = len(world.emu.requests)
                result = await actor.slash(leaf.path, **(required | {option["name"]: value}))
                assert result.response_type != MODAL, (leaf.path, option["name"])
                reply = await result.reply()
                await settle(world)
                context = f"/{leaf.path} {option['name']}={str(value)[:30]}"
                assert reply.ephemeral and reply.content.strip(), context
                assert UNEXPECTED not in reply.content, (context, reply.content)
                assert await snapshot(world.db) == before, context
                assert not [s for s in outbound(world.emu.requests[start:])
                            if s.kind == "post"], context
                tried += 1
    with capsys.disabled():
        print(f"\nbeyond declared limits: {tried} out-of-range values, all refused")
    assert tried >= 20
