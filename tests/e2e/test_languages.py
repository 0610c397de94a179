"""Languages end to end: replies follow the member's Discord locale, DMs their last locale,
group posts the server's language; the registration payload carries every language.

The "in German" / "in Spanish" checks compare with the catalog itself: each catalog text found
in the English version must appear translated in the other (and the two must differ), so they
hold whatever the wording, once the catalogs are translated."""

from __future__ import annotations

import asyncio
import random
import re
import tempfile
from functools import cache
from pathlib import Path

import pytest

from bot import catalogs
from bot.i18n import _, ngettext, using
from bot.translator import CommandNames

EPHEMERAL = 64
FIVE = {"de", "es-ES", "es-419", "fr", "pt-BR"}
NEVER_AT_APPLICATION_STAGE = ("interview", "entrevista", "entretien", "vorstellungsgespräch",
                              "entrevue")


@cache
def catalog_texts() -> tuple[tuple[str, str | None], ...]:
    """(singular, plural) of every text of the code, longest first."""
    texts = []
    with tempfile.TemporaryDirectory() as folder:
        extracted = catalogs.extract(Path(folder) / "onward.pot")
    for message in extracted:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            texts.append((message.id[0], message.id[1]))
        else:
            texts.append((message.id, None))
    return tuple(sorted(texts, key=lambda t: -len(t[0])))


def pieces(text: str) -> list[str]:
    """The fixed parts of a text around its {placeholders}, those long enough to look for."""
    return [p.strip() for p in re.split(r"\{[^{}]*\}", text) if len(p.strip()) >= 4]


def used_in(english: str) -> list[tuple[str, str | None]]:
    """Catalog texts whose fixed parts all appear (in order) in `english`."""
    found = []
    for singular, plural in catalog_texts():
        for form in (singular, plural):
            parts = pieces(form or "")
            if sum(len(p) for p in parts) < 10:
                continue
            at = 0
            for part in parts:
                at = english.find(part, at)
                if at < 0:
                    break
                at += len(part)
            else:
                if not any(form in longer for longer, _ in found):
                    found.append((form, (singular, plural)))
                break
    return [texts for _, texts in found]


def assert_in_language(locale: str, english: str, shown: str) -> None:
    """`shown` is `english` made in `locale`: every catalog text in the English reads
    translated there."""
    used = used_in(english)
    assert used, f"no catalog text found in {english!r}"
    assert shown != english, f"not translated to {locale}: {shown!r}"
    with using(locale):
        for singular, plural in used:
            translated = _(singular) if plural is None else ngettext(singular, plural, 1)
            assert translated != singular, f"{singular!r} has no {locale} translation"
            for part in pieces(translated):
                assert part in shown, f"{locale}: {part!r} missing from {shown!r}"


def text_of(message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for field in embed.get("fields") or []:
            parts += [field.get("name") or "", field.get("value") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += [b.get("label") or "" for b in getattr(message, "buttons", [])]
    return "\n".join(parts)


async def set_prefs(world, user_id, **values):
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    async with world.db.transaction() as tx:
        await tx.execute(
            f"INSERT INTO member_settings (user_id, {columns}, updated_at) VALUES (?, {marks}, 'x')"
            f" ON CONFLICT (user_id) DO NOTHING",
            (user_id, *values.values()),
        )


def german(world, user_id):
    return world.emu.actor(user_id, guild_id=world.guild_id, locale="de")


async def eventually(check, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


# What works whatever the catalogs hold ------------------------------------------------------

async def test_a_members_locale_is_kept_for_their_dms_and_updated_when_it_changes(world):
    await set_prefs(world, world.alice, reflection_delay_hours=0)
    waiting = world.emu.wait_for_message(dm_user_id=world.alice)
    await (await german(world, world.alice).slash("rejection log", company="Acme")).reply()
    await waiting

    async def stored(locale):
        async def check():
            return await world.db.scalar(
                "SELECT locale FROM member_settings WHERE user_id = ?", (world.alice,)) == locale
        return check
    await eventually(await stored("de"))
    french = world.emu.actor(world.alice, guild_id=world.guild_id, locale="fr")
    await (await french.slash("rejection list")).reply()
    await eventually(await stored("fr"))


async def test_a_member_who_keeps_nothing_gets_no_row_for_their_locale(world):
    await (await german(world, world.bob).slash("help")).reply()
    await asyncio.sleep(0.2)
    assert await world.db.scalar("SELECT COUNT(*) FROM member_settings") == 0


async def test_the_first_entry_of_a_new_member_keeps_their_locale(world):
    await (await german(world, world.carol).slash("rejection log", company="Acme")).reply()
    assert await world.db.scalar(
        "SELECT locale FROM member_settings WHERE user_id = ?", (world.carol,)) == "de"


async def test_support_setup_sets_and_status_shows_the_group_language(world):
    admin = world.actor(world.admin)
    reply = await (await admin.slash("support setup", channel=world.support_id)).reply()
    assert "Group posts are in **English**, the server's language in Discord" in reply.content
    reply = await (await admin.slash("support setup", channel=world.support_id,
                                     language="es_ES")).reply()
    assert "Group posts are in **Español (España)**." in reply.content
    assert await world.db.scalar("SELECT language FROM guild_config") == "es_ES"
    status = await (await admin.slash("support status")).reply()
    assert "Group posts are in **Español (España)**." in status.content


async def test_the_language_option_offers_six_languages_named_in_themselves(world):
    commands = [r.json for r in world.emu.requests
                if r.method == "PUT" and r.path.endswith("/commands")][-1]
    support = next(c for c in commands if c["name"] == "support")
    setup = next(o for o in support["options"] if o["name"] == "setup")
    language = next(o for o in setup["options"] if o["name"] == "language")
    assert language["description"]
    assert [c["name"] for c in language["choices"]] == [
        "English", "Deutsch", "Español (España)", "Español (Latinoamérica)", "Français",
        "Português (Brasil)"]


@pytest.mark.parametrize("locale", ["en-US", "de", "es-ES", "es-419", "fr", "pt-BR"])
async def test_an_application_stage_draft_never_talks_about_an_interview(world, locale):
    member = world.emu.actor(world.alice, guild_id=world.guild_id, locale=locale)
    await (await member.slash("rejection log", company="Acme", role="Analyst",
                              stage="application")).reply()
    for tone in ("brief", "warm", "formal"):
        reply = await (await member.slash("feedback draft", tone=tone)).reply()
        shown = text_of(reply).lower()
        for word in NEVER_AT_APPLICATION_STAGE:
            assert word not in shown, f"{locale} {tone}: {word!r} in {shown!r}"


# What waits for the translations ------------------------------------------------------------

async def test_a_german_member_gets_the_log_reply_dm_prompt_and_progress_in_german(world):
    for user_id in (world.alice, world.bob):
        await set_prefs(world, user_id, reflection_delay_hours=0)
    english_member = world.actor(world.bob)
    german_member = german(world, world.alice)
    replies, prompts = {}, {}
    for who, actor in (("en", english_member), ("de", german_member)):
        # The same reframe for both, so the two replies differ only by their language.
        world.bot.services.journal.rng = random.Random(7)
        waiting = world.emu.wait_for_message(dm_user_id=actor.user_id)
        replies[who] = await (await actor.slash("rejection log", company="Acme",
                                                stage="onsite")).reply()
        prompts[who] = await waiting
    assert_in_language("de", text_of(replies["en"]), text_of(replies["de"]))
    assert_in_language("de", text_of(prompts["en"]), text_of(prompts["de"]))
    english = await (await english_member.slash("progress")).reply()
    shown = await (await german_member.slash("progress")).reply()
    assert_in_language("de", text_of(english), text_of(shown))


async def digest(world, admin, channel_id):
    await (await admin.slash("support nudge-now", kind="digest")).reply()
    return world.emu.channel_messages(channel_id)[-1]


async def test_a_spanish_servers_digest_is_in_spanish(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()
    english = await digest(world, admin, world.support_id)
    await (await admin.slash("support setup", channel=world.support_id,
                             language="es_ES")).reply()
    assert await world.bot.server_language(world.guild_id) == "es_ES"
    spanish = await digest(world, admin, world.support_id)
    assert_in_language("es_ES", text_of(english), text_of(spanish))


async def test_a_server_whose_discord_language_is_latin_american_spanish_posts_in_it(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()
    english = await digest(world, admin, world.support_id)

    guild = world.emu.add_guild("Círculo de búsqueda", preferred_locale="es-419")
    channel = world.emu.add_channel(guild.id, "apoyo")
    owner = world.emu.add_member(guild.id, name="ana", manage_guild=True)
    await asyncio.sleep(0.2)          # the bot sees the new server
    ana = world.emu.actor(owner, guild_id=guild.id, locale="es-419")
    await (await ana.slash("support setup", channel=channel)).reply()
    assert await world.bot.server_language(guild.id) == "es_419"
    spanish = await digest(world, ana, channel)
    assert_in_language("es_419", text_of(english), text_of(spanish))


async def test_the_registration_payload_carries_all_five_languages(world):
    commands = [r.json for r in world.emu.requests
                if r.method == "PUT" and r.path.endswith("/commands")][-1]
    assert commands
    missing = []

    def check(item, where):
        for field in ("name_localizations", "description_localizations"):
            if "description" not in item and field == "description_localizations":
                continue
            if set(item.get(field) or {}) != FIVE:
                missing.append((where, field, sorted(item.get(field) or {})))
        for option in item.get("options") or []:
            check(option, f"{where} {option['name']}")

    for command in commands:
        check(command, command["name"])
    assert not missing, f"{len(missing)} without every language, e.g. {missing[:5]}"


async def test_texts_name_commands_as_a_german_members_discord_shows_them(world):
    """The catalogs keep "/apply log" in English; a German member's Discord lists the command
    under its German name, so that is the name their replies use."""
    names = CommandNames(world.bot.tree)
    german_member = german(world, world.alice)
    shown = text_of(await (await german_member.slash("progress")).reply())
    english = text_of(await (await world.actor(world.bob).slash("progress")).reply())
    mentioned = set(re.findall(r"(?<![\w/<])/([a-z-]+)", english)) & set(names.commands)
    assert mentioned, english
    for command in mentioned:
        german_name = names.name(command, "de")
        assert german_name != command, f"/{command} has no German name"
        assert f"/{german_name}" in shown and f"/{command}" not in shown, shown
