"""The care rules that bind every message, checked at the HTTP payload the emulator received.

- No message can ping @everyone, @here, a role, or a user it was not meant for; member text
  that is echoed back (company, notes, names, encouragement) is shown as typed but inert.
- Private stays private: no private entry, reflection or feedback text reaches a channel
  post, a digest, or another member's reply or DM.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.outbound import UNEXPECTED, audience, outbound, ping_problems

EPHEMERAL = 64
STRING, USER, CHANNEL, BOOLEAN, INTEGER = 3, 6, 7, 5, 4
MARKERS = ("**bold**", "`code`", "||spoiler||", "__under__")


def probe(world, limit: int = 1000) -> str:
    """Text that pings everyone, a role and a bystander, and formats, if it is not inert."""
    text = (f"**bold** `code` ||spoiler|| __under__ @everyone @here <@&{world.guild_id}> "
            f"<@{world.carol}>")
    assert len(text) <= 100
    return text[:limit]


async def settle(world, quiet: float = 0.1, limit: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end, seen = loop.time() + limit, -1
    while loop.time() < end and seen != len(world.emu.requests):
        seen = len(world.emu.requests)
        await asyncio.sleep(quiet)


def problems_in(world, start: int = 0, mention_ok=lambda sent, user: False) -> list[str]:
    """Every message since `start` that could ping, or that shows member text as
    formatting, or that is the unexpected-error reply."""
    found = []
    for sent in outbound(world.emu.requests[start:]):
        mentioned = {int(u) for u in (sent.payload.get("allowed_mentions") or {}).get("users")
                     or []}
        allowed = [u for u in mentioned if mention_ok(sent, u)]
        found += ping_problems(sent, allowed)
        text = sent.text
        # Inside a code block (a feedback email to copy) text is literal by design.
        outside_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        found += [f"{sent.kind} {sent.request.path}: shows {m!r} as formatting: {text[:300]!r}"
                  for m in MARKERS if m in outside_code]
        if UNEXPECTED in text:
            found.append(f"{sent.kind}: unexpected error: {text[:200]!r}")
    return found


def free_text_options(command: dict) -> list[tuple[str, list[dict], dict]]:
    """(command path, the leaf's options, one free-text option) for every such option."""
    out = []

    def walk(prefix, options):
        subs = [o for o in options if o["type"] in (1, 2)]
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])
        if not subs:
            out.extend((prefix, options, o) for o in options
                       if o["type"] == STRING and not o.get("choices"))
    walk(command["name"], command.get("options") or [])
    return out


def defaults(world, options: list[dict]) -> dict:
    """Sensible values for the required options of a command."""
    values = {}
    for option in options:
        if not option.get("required"):
            continue
        if option.get("choices"):
            values[option["name"]] = option["choices"][0]["value"]
        elif option["type"] == STRING:
            values[option["name"]] = "Acme"
        elif option["type"] == USER:
            values[option["name"]] = world.bob
        elif option["type"] == CHANNEL:
            values[option["name"]] = world.support_id
        elif option["type"] == BOOLEAN:
            values[option["name"]] = False
        elif option["type"] == INTEGER:
            values[option["name"]] = max(1, option.get("min_value") or 1)
    return values


async def fill_modal(actor, result, text: str):
    modal = await result.modal()
    values = {}
    for row in modal.get("components") or []:
        for comp in row.get("components") or ([row["component"]] if "component" in row else []):
            if comp.get("type") == 4:
                values[comp["custom_id"]] = text[: comp.get("max_length") or 4000]
    return await (await actor.submit_modal(result, values)).reply()


async def preview_of(result):
    """The share preview among a reply's follow-ups (a waiting notice may come first)."""
    for n in range(1, 5):
        message = await result.wait_followup(n)
        if "Post it" in [b["label"] for b in message.buttons]:
            return message
    raise AssertionError("no share preview")


async def answer(actor, result, text: str):
    if result.response_type == 9:
        return await fill_modal(actor, result, text)
    return await result.reply()


async def test_every_echo_path_is_inert_and_pings_no_one(world):
    """Every free-text option of every command, every modal, the share and encouragement
    flows, DM prompts, nudges and the privacy edit, fed text that would ping and format."""
    emu = world.emu
    mallory = emu.add_member(world.guild_id, name="@everyone **Mal** <@&1>")
    admin, alice, bob = world.actor(world.admin), world.actor(world.alice), world.actor(world.bob)
    mal = emu.actor(mallory, guild_id=world.guild_id)
    await (await admin.slash("support setup", channel=world.support_id)).reply()
    await (await mal.slash("settings", reflection_delay_hours=0)).reply()
    text = probe(world)

    # The paths behind buttons and timers: a named share, notes by modal (one to closed DMs,
    # which waits privately: nothing is posted in any channel), a reflection prompt waiting as
    # a notice, the feedback draft and its follow-up DM a week later.
    emu.set_dms_closed(mallory, True)
    # The prompt that could not be DMed is shown privately after whichever of Mal's next
    # interactions comes once it is recorded; waited for by what it is, not by which one.
    notice_shown = emu.wait_for_message(
        include_ephemeral=True, timeout=10,
        predicate=lambda m: "couldn't reach you by DM" in (m.content or "")
        and "Reflect now" in [b["label"] for b in m.buttons])
    logged = await mal.slash("rejection log", company=text, role=text, note=text, share="named")
    reply = await logged.reply()
    await logged.wait_followup(1)                 # the preview
    entry = re.search(r"#(\d+)", reply.content).group(1)
    preview = await (await mal.slash("rejection share", entry=entry, **{"as": "named"},
                                     show_company=True)).reply()
    await (await mal.click(preview, label="Post it")).reply()
    await settle(world)
    shown = await mal.slash("rejection list")
    await shown.reply()
    await notice_shown
    [post] = [m for m in emu.channel_messages(world.support_id) if m.buttons][-1:]
    await answer(bob, await bob.click(post, label="Send encouragement"), text)
    emu.set_dms_closed(mallory, False)
    await answer(alice, await alice.click(post, label="Send anonymously"), text)
    await answer(mal, await mal.click(reply, label="Reflect now"), text)
    draft = await answer(mal, await mal.click(reply, label="Draft feedback request"), text)
    await (await mal.click(draft, label="I sent it")).reply()
    await (await bob.slash("encourage", member=mallory, message=text)).reply()
    for kind in ("encouragement", "keep-applying", "digest"):
        await (await admin.slash("support nudge-now", kind=kind)).reply()
    # Waited for by what it says, not by a quiet spell: under load the engine may pause longer.
    followup = emu.wait_for_message(dm_user_id=mallory, timeout=10,
                                    predicate=lambda m: "asked for feedback" in m.content)
    world.clock.advance(timedelta(days=8))
    await world.bot.engine.catch_up()   # runs what fell due, awaited
    await followup
    await settle(world)

    # Each free-text option alone, so no earlier refusal hides a later echo.
    tried = []
    for command in emu.registered_commands():
        for path, options, option in free_text_options(command):
            values = defaults(world, options) | {
                option["name"]: text[: option.get("max_length") or 1000]}
            actor = admin if command.get("default_member_permissions") else mal
            result = await actor.slash(path, **values)
            await answer(actor, result, text)
            tried.append(f"/{path} {option['name']}")
    assert len(tried) >= 12, tried

    await (await mal.slash("rejection list")).reply()
    await (await mal.slash("insights")).reply()
    confirm = await (await mal.slash("privacy delete")).reply()
    await (await mal.click(confirm, label="Delete everything")).reply()
    await settle(world)

    assert problems_in(world) == []
    # No message named anyone to ping: not even Mallory, whose DMs were closed.
    mentions = [s for s in outbound(emu.requests)
                if (s.payload.get("allowed_mentions") or {}).get("users")]
    assert mentions == []
    # Echoed text is shown as typed: the characters are escaped, not removed.
    everything = "\n".join(s.text for s in outbound(emu.requests))
    assert r"\*\*bold\*\*" in everything and "@everyone" in everything


async def test_mentions_are_off_on_every_message_even_when_discord_would_parse(world):
    """A name that looks like a mention stays text in the reply, the share post and the DM."""
    emu = world.emu
    admin, bob = world.actor(world.admin), world.actor(world.bob)
    await (await admin.slash("support setup", channel=world.support_id)).reply()
    start = len(emu.requests)
    res = await bob.slash("rejection log", company=f"<@{world.alice}> and @here",
                          share="anonymous")
    reply = await res.reply()
    await res.wait_followup(1)
    entry = re.search(r"#(\d+)", reply.content).group(1)
    preview = await (await bob.slash("rejection share", entry=entry,
                                     show_company=True)).reply()
    await (await bob.click(preview, label="Post it")).reply()
    world.clock.advance(timedelta(minutes=61))
    await world.bot.get_cog("PersonalDMs").catch_up()
    [post] = emu.channel_messages(world.support_id)
    assert post.mentioned_user_ids == []
    assert "<@" not in str(post.embeds) and "@here" not in str(post.embeds)
    sent = list(outbound(emu.requests[start:]))
    assert sent and all(s.payload.get("allowed_mentions") == {"parse": []} for s in sent)


# Private stays private ------------------------------------------------------------------------

@dataclass
class Secrets:
    """What one member wrote privately, and what they chose to show. Kept for the whole run,
    so a secret from an early example must stay secret in every later one."""

    owner: int
    name: str
    private: set[str] = field(default_factory=set)        # never to reach anyone else
    named_companies: set[str] = field(default_factory=set)
    anonymous_companies: set[str] = field(default_factory=set)


COUNTER = itertools.count(1)
FILLER = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)


def token(kind: str) -> str:
    """A word that can only come from one member's one piece of text."""
    return f"{kind}{next(COUNTER)}zq"


def naming_allowed(world, sent, text: str, member: Secrets) -> bool:
    """A public message may name a member only where they agreed to it."""
    embeds = sent.payload.get("embeds") or []
    if any(e.get("title") == "The group's week" for e in embeds):
        return bool(member.named_companies)    # thanked for sharing with their name
    # A named post shows the company only when the member ticked show_company (here never),
    # so it may name anyone who shared by name, never beside one of their anonymous companies.
    shows_anonymous = any(c in text for c in member.anonymous_companies)
    return bool(member.named_companies) and not shows_anonymous


def leaks(world, start: int, members: list[Secrets]) -> list[str]:
    found = []
    for sent in outbound(world.emu.requests[start:]):
        who, target = audience(world.emu, sent)
        text = sent.text
        for member in members:
            if who == "user" and target == member.owner:
                continue
            found += [f"{member.name}'s {secret!r} reached {who} {target}: {text[:200]!r}"
                      for secret in member.private if secret in text]
            names_them = member.name in text or str(member.owner) in text
            if who == "public" and names_them and not naming_allowed(world, sent, text, member):
                found.append(f"{member.name} named in public: {text[:200]!r}")
    # Autocomplete suggestions are replies too.
    for req in world.emu.requests[start:]:
        body = req.json if isinstance(req.json, dict) else {}
        if req.method == "POST" and req.path.endswith("/callback") and body.get("type") == 8:
            result = world.emu._interactions[req.path.split("/")[3]]
            shown = repr(body.get("data"))
            for member in members:
                if result.user_id != member.owner:
                    found += [f"{member.name}'s {s!r} suggested to {result.user_id}"
                              for s in member.private if s in shown]
    return found


PRIVACY_FIGURES = {"examples": 0, "messages": 0, "public": 0, "to_others": 0, "leaks": 0}


@pytest.fixture
def privacy_figures(capsys):
    yield PRIVACY_FIGURES
    f = PRIVACY_FIGURES
    with capsys.disabled():
        print(f"\nprivate stays private: {f['examples']} examples, {f['secrets']} secrets, "
              f"{f['messages']} messages read ({f['public']} public, {f['to_others']} to other "
              f"members), {f['leaks']} leaks")


@settings(max_examples=12, derandomize=True, deadline=None, database=None,
          phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_private_text_never_reaches_anyone_else(world, privacy_figures, data):
    emu = world.emu
    admin = world.actor(world.admin)
    if not hasattr(world, "secrets"):
        await (await admin.slash("support setup", channel=world.support_id)).reply()
        world.secrets = {uid: Secrets(uid, name) for uid, name in
                         ((world.alice, "alice"), (world.bob, "bob"))}
    members = world.secrets
    start = len(emu.requests)
    plan = data.draw(st.lists(st.tuples(
        st.sampled_from([world.alice, world.bob]),
        st.sampled_from(["private", "anonymous", "named"]),
        FILLER, st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=4))
    closed = data.draw(st.sets(st.sampled_from([world.alice, world.bob])))
    for uid in (world.alice, world.bob):
        emu.set_dms_closed(uid, uid in closed)

    for owner, share, filler, reflect, feedback, clicks_share in plan:
        secrets = members[owner]
        actor = world.actor(owner)
        company, note = token("Co"), token("Note")
        {"private": secrets.private, "anonymous": secrets.anonymous_companies,
         "named": secrets.named_companies}[share].add(company)
        secrets.private.add(note)
        res = await actor.slash("rejection log", company=f"{company}{filler[:20]}",
                                note=f"{note} {filler}", share=share, stage="onsite")
        reply = await res.reply()
        assert "Logged" in reply.content, reply.content
        if share != "private":
            await (await actor.click(await preview_of(res), label="Post it")).reply()
        if reflect:
            words = token("Refl")
            secrets.private.add(words)
            await fill_modal(actor, await actor.click(reply, label="Reflect now"),
                             f"{words} {filler}")
        if feedback:
            words = token("Fb")
            secrets.private.add(words)
            await fill_modal(actor, await actor.slash("feedback log"), f"{words} {filler}")
        if clicks_share and share == "private":
            # The Share button shares anonymously: the company becomes visible, nothing else.
            secrets.private.discard(company)
            secrets.anonymous_companies.add(company)
            preview = await (await actor.click(reply, label="Share with the group")).reply()
            await (await actor.click(preview, label="Post it")).reply()
    # Anonymous shares go up 5-60 minutes later.
    world.clock.advance(timedelta(minutes=61))
    await world.bot.get_cog("PersonalDMs").catch_up()

    # Everyone else looks around, cheers people on, and the scheduler posts.
    for uid in (world.alice, world.bob, world.carol):
        actor = world.actor(uid)
        for command in ("rejection list", "progress", "insights"):
            await (await actor.slash(command)).reply()
        await actor.autocomplete("reflect", "rejection", "")
        await actor.autocomplete("feedback log", "rejection", "Co")
    carol = world.actor(world.carol)
    for post in [m for m in emu.channel_messages(world.support_id) if m.buttons][-3:]:
        # One anonymous note a day to one member: a second is refused, privately.
        await answer(carol, await carol.click(post, label="Send anonymously"),
                     "You've got this.")
    await (await carol.slash("encourage", member=world.alice, message="thinking of you")).reply()
    for kind in ("digest", "encouragement", "keep-applying"):
        await (await admin.slash("support nudge-now", kind=kind)).reply()
    await (await admin.slash("support status")).reply()
    await settle(world)

    found = leaks(world, start, list(members.values()))
    counted = [audience(emu, sent) for sent in outbound(emu.requests[start:])]
    privacy_figures["examples"] += 1
    privacy_figures["messages"] += len(counted)
    privacy_figures["public"] += sum(1 for who, _ in counted if who == "public")
    privacy_figures["to_others"] += sum(1 for who, uid in counted if who == "user"
                                        and uid not in (world.alice, world.bob))
    privacy_figures["secrets"] = sum(len(m.private) for m in members.values())
    privacy_figures["leaks"] += len(found)
    assert found == []
