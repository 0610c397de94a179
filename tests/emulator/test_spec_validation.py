"""Request bodies are checked against Discord's published OpenAPI spec: what breaks it is
refused as Discord refuses it (400, code 50035 "Invalid Form Body"), with the route, the JSON
pointer and the rule, and kept so the test that caused it fails."""

from __future__ import annotations

import json

import aiohttp
import discord
import pytest

from discord_emulator import DiscordEmulator, SpecViolation
from discord_emulator.openapi import embed_text_length, spec

COMMANDS = "/applications/{application_id}/commands"
MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


@pytest.fixture
async def emu():
    emulator = DiscordEmulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


async def send(emu: DiscordEmulator, method: str, path: str, body) -> tuple[int, dict]:
    headers = {"Authorization": f"Bot {emu.token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.request(
            method, emu.api_base + path, data=json.dumps(body), headers=headers) as response:
        return response.status, await response.json(content_type=None)


def command(**changes):
    definition = {"name": "log", "description": "Log a rejection", "type": 1, "options": [
        {"type": 3, "name": "stage", "description": "How far it got", "required": False,
         "choices": [{"name": "onsite", "value": "onsite"}]}]}
    definition.update(changes)
    return definition


def button_message(custom_id: str) -> dict:
    return {"content": "Logged", "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Reflect now", "custom_id": custom_id}]}]}


def modal(title: str) -> dict:
    return {"type": 9, "data": {"custom_id": "reflect:1", "title": title, "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "went_well", "label": "Went well",
                                   "style": 2}]}]}}


def only_violation(emu: DiscordEmulator) -> SpecViolation:
    assert len(emu.spec_violations) == 1, emu.spec_violations
    return emu.spec_violations[0]


def error_text(body: dict) -> str:
    """Every message in Discord's nested `errors`, flattened."""
    found = []

    def walk(node):
        for key, value in node.items():
            if key == "_errors":
                found.extend(e["message"] for e in value)
            else:
                walk(value)

    walk(body.get("errors", {}))
    return "\n".join(found)


# The four refusals the brief of a Discord bot most often meets ------------------------------

async def test_a_101_character_command_description_is_refused(emu):
    status, body = await send(emu, "PUT", f"/applications/{emu.application_id}/commands",
                              [command(description="d" * 101)])
    assert status == 400
    assert (body["code"], body["message"]) == (50035, "Invalid Form Body")
    assert "0" in body["errors"] and "description" in body["errors"]["0"]
    text = error_text(body)
    assert f"PUT {COMMANDS}" in text and "at /0/description" in text and "maxLength 100" in text
    violation = only_violation(emu)
    assert (violation.route, violation.pointer, violation.rule) == (
        COMMANDS, "/0/description", "maxLength 100")
    assert emu.registered_commands() == []          # refused: nothing was registered
    with pytest.raises(AssertionError) as failed:
        emu.assert_no_spec_violations()
    assert f"PUT {COMMANDS} at /0/description" in str(failed.value)
    assert "maxLength 100" in str(failed.value)


async def test_26_choices_are_refused(emu):
    choices = [{"name": f"choice {i}", "value": str(i)} for i in range(26)]
    definition = command()
    definition["options"][0]["choices"] = choices
    status, body = await send(emu, "PUT", f"/applications/{emu.application_id}/commands",
                              [definition])
    assert status == 400 and body["code"] == 50035
    text = error_text(body)
    assert "at /0/options/0/choices" in text and "maxItems 25" in text
    violation = only_violation(emu)
    assert (violation.route, violation.pointer, violation.rule) == (
        COMMANDS, "/0/options/0/choices", "maxItems 25")


async def test_a_101_character_custom_id_is_refused(emu):
    guild = emu.add_guild("Demo")
    channel = emu.add_channel(guild.id, "general")
    status, body = await send(emu, "POST", f"/channels/{channel}/messages",
                              button_message("x" * 101))
    assert status == 400 and body["code"] == 50035
    text = error_text(body)
    assert f"POST {MESSAGES}" in text and "maxLength 100" in text
    assert "at /components/0/components/0/custom_id" in text
    violation = only_violation(emu)
    assert (violation.route, violation.pointer, violation.rule) == (
        MESSAGES, "/components/0/components/0/custom_id", "maxLength 100")
    assert emu.channel_messages(channel) == []


async def test_a_46_character_modal_title_is_refused(emu):
    status, body = await send(emu, "POST", "/interactions/1/token/callback", modal("t" * 46))
    assert status == 400 and body["code"] == 50035
    text = error_text(body)
    assert f"POST {CALLBACK}" in text and "at /data/title" in text and "maxLength 45" in text
    violation = only_violation(emu)
    assert (violation.route, violation.pointer, violation.rule) == (
        CALLBACK, "/data/title", "maxLength 45")


async def test_the_real_discord_py_client_gets_the_refusal_with_route_pointer_and_rule(emu):
    """Through discord.py's own HTTP client: the 400 surfaces as discord.HTTPException with
    code 50035, and its text names the route, the pointer and the limit."""
    saved = discord.http.Route.BASE
    discord.http.Route.BASE = emu.api_base
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(emu.token)
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.bulk_upsert_global_commands(
                emu.application_id, [command(description="d" * 101)])
        assert refused.value.status == 400 and refused.value.code == 50035
        assert "In 0.description" in refused.value.text
        assert f"PUT {COMMANDS}" in refused.value.text and "maxLength 100" in refused.value.text
        # A body within the limits goes through.
        await client.http.bulk_upsert_global_commands(
            emu.application_id, [command(description="d" * 100)])
    finally:
        await client.close()
        discord.http.Route.BASE = saved
    assert [v.pointer for v in emu.spec_violations] == ["/0/description"]
    assert [c["name"] for c in emu.registered_commands()] == ["log"]


# The conventions and the documented limits ---------------------------------------------------

async def test_documented_limits_the_spec_lacks_are_applied(emu):
    guild = emu.add_guild("Demo")
    channel = emu.add_channel(guild.id, "general")
    status, body = await send(emu, "POST", f"/channels/{channel}/messages",
                              {"content": "x" * 2001})
    assert status == 400 and "maxLength 2000" in error_text(body)
    big = {"title": "t" * 256, "description": "d" * 4096,
           "fields": [{"name": "n" * 256, "value": "v" * 1024}] * 2}
    assert embed_text_length(big) == 256 + 4096 + 2 * (256 + 1024) > 6000
    status, body = await send(emu, "POST", f"/channels/{channel}/messages", {"embeds": [big]})
    assert status == 400 and "embed text total 6000" in error_text(body)
    status, body = await send(emu, "POST", f"/channels/{channel}/messages",
                              {"embeds": [{"description": "hi"}] * 11})
    assert status == 400 and "maxItems 10" in error_text(body)
    assert [(v.pointer, v.rule) for v in emu.spec_violations] == [
        ("/content", "maxLength 2000"), ("/embeds/0", "embed text total 6000"),
        ("/embeds", "maxItems 10")]
    emu.spec_violations.clear()
    # Each embed under 6,000 but together over: refused too (the limit is per message).
    status, body = await send(emu, "POST", f"/channels/{channel}/messages",
                              {"embeds": [{"description": "d" * 4000}] * 2})
    assert status == 400 and "embeds text total 6000" in error_text(body)
    # At the limits, accepted.
    status, _ = await send(emu, "POST", f"/channels/{channel}/messages", {
        "content": "x" * 2000,
        "embeds": [{"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f" * 1648}}]
        + [{"image": {"url": "https://example.com/chart.png"}}] * 9})
    assert status == 200
    assert len(emu.spec_violations) == 1


async def test_an_interaction_reply_is_held_to_the_message_limits_too(emu):
    status, body = await send(emu, "POST", "/interactions/1/token/callback",
                              {"type": 4, "data": {"content": "x" * 2001, "flags": 64}})
    assert status == 400 and "at /data/content" in error_text(body)


def test_integers_may_be_strings_and_snowflakes_numbers():
    checked = spec()
    body = {"content": "hi", "flags": "64", "message_reference": {"message_id": 123,
                                                                  "channel_id": "456"},
            "allowed_mentions": {"parse": [], "users": [789]}}
    assert checked.check("POST", "/channels/1/messages", body) == []
    wrong = checked.check("POST", "/channels/1/messages", {"flags": "sixty-four"})
    assert [(v.pointer, v.rule) for v in wrong] == [("/flags", 'type ["integer", "null"]')]


def test_one_of_unions_are_validated_as_any_of():
    # A text input in a modal: the row shape and the label shape are both allowed.
    assert spec().check("POST", "/interactions/1/t/callback", modal("Reflect on #1")) == []
    autocomplete = {"type": 8, "data": {"choices": [{"name": "Acme", "value": "1"}]}}
    assert spec().check("POST", "/interactions/1/t/callback", autocomplete) == []
    too_many = {"type": 8, "data": {"choices": [{"name": "Acme", "value": "1"}] * 26}}
    [violation] = spec().check("POST", "/interactions/1/t/callback", too_many)
    assert (violation.pointer, violation.rule) == ("/data/choices", "maxItems 25")


def test_request_paths_match_the_spec_templates():
    routes = spec()
    assert routes.route("/channels/1/messages") == MESSAGES
    assert routes.route("/channels/1/messages/2") == "/channels/{channel_id}/messages/{message_id}"
    assert routes.route("/webhooks/1/tok/messages/@original") == \
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
    assert routes.route("/webhooks/1/tok/messages/3") == \
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
    assert routes.route("/users/@me/channels") == "/users/@me/channels"
    assert routes.route("/users/5") == "/users/{user_id}"
    assert routes.route("/applications/1/guilds/2/commands") == \
        "/applications/{application_id}/guilds/{guild_id}/commands"
    assert routes.route("/no/such/route") is None


async def test_validation_can_be_turned_off(emu):
    quiet = DiscordEmulator(validate_requests=False)
    await quiet.start()
    try:
        status, _ = await send(quiet, "PUT", f"/applications/{quiet.application_id}/commands",
                               [command(description="d" * 101)])
    finally:
        await quiet.stop()
    assert quiet.spec_violations == []
    assert status == 400           # the emulator's own command checks still refuse it


def test_the_quick_union_checks_agree_with_plain_any_of():
    """Unions are decided early (constants looked up, branches picked by JSON type and
    `type` field); on these bodies, valid and broken, the verdict is plain anyOf's."""
    from jsonschema import Draft202012Validator, validators

    from discord_emulator import openapi

    plain_class = validators.extend(Draft202012Validator,
                                    type_checker=openapi._Validator.TYPE_CHECKER)
    routes = {
        ("POST", CALLBACK): [
            modal("Reflect"), modal("t" * 46), {"type": 9, "data": {"title": "x"}},
            {"type": 8, "data": {"choices": [{"name": "Acme", "value": "1"}]}},
            {"type": 4, "data": {"content": "hi", "flags": 64}}, {"type": 5}, {"type": 6},
            {"type": 7, "data": {"components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "Undo", "custom_id": "undo:1"}]}]}},
            {"type": 4, "data": {"components": [{"type": 1, "components": [
                {"type": 4, "custom_id": "x", "style": 1, "label": "text input in a message"}]}]}},
            {"type": 3}, {"type": "4", "data": {}}, {"type": 99}, {"data": {}}, "pong", None, [],
        ],
        ("PUT", COMMANDS): [
            [command()], [command(description="d" * 101)], [command(type=9)],
            [command(options=[{"type": 1, "name": "log", "description": "Log", "options": [
                {"type": 3, "name": "company", "description": "Company", "required": True,
                 "autocomplete": True}]}])],
            [command(options=[{"type": 42, "name": "x", "description": "y"}])],
            [command(options=[{"type": 3, "name": "x"}])], [{"name": "x"}], [7],
        ],
        ("POST", MESSAGES): [
            button_message("ok"), button_message("x" * 101), {"content": 5},
            {"components": [{"type": 2, "style": 1, "label": "loose button", "custom_id": "a"}]},
            {"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v"}]}]},
            {"allowed_mentions": {"parse": ["users"], "replied_user": False}},
            {"message_reference": {"message_id": "1", "fail_if_not_exists": False}},
        ],
    }
    checked = spec()
    for (method, route), bodies in routes.items():
        ours = checked.validator(method, route)
        plain = plain_class(ours.schema, registry=checked.registry)
        for body in bodies:
            assert ours.is_valid(body) == plain.is_valid(body), (route, body)
        verdicts = {plain.is_valid(body) for body in bodies}
        assert verdicts == {True, False}, route            # both kinds were tried
