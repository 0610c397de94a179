"""Nobody reaches another member's entries by guessing ids, and admin commands check for
themselves that the member is an admin (a server can override Discord's command permissions)."""

from __future__ import annotations

import re
import time

import discord
import pytest

from bot import custom_ids
from tests.backend import all_rows

EPHEMERAL = 64
MODAL = 9
SECRET_NOTE = "alice's private note about the panel"


async def alice_entry(world) -> int:
    """Alice's entry (her #1), reflected on; returns its internal id, as buttons carry it."""
    alice = world.actor(world.alice)
    reply = await (await alice.slash("rejection log", company="Initech", role="Staff Engineer",
                                     note=SECRET_NOTE)).reply()
    number = int(re.search(r"#(\d+)", reply.content).group(1))
    reflected = await alice.slash("reflect", rejection=str(number))
    await (await alice.submit_modal(reflected, {"struggled": "alice's reflection"})).reply()
    return await world.db.scalar(
        "SELECT id FROM rejections WHERE user_id = ? AND number = ?", (world.alice, number))


async def snapshot(world) -> dict[str, list[tuple]]:
    """Every row of every table (meta aside), to show a refusal changed nothing."""
    return await all_rows(world.db, leave_out=("meta",))


def assert_refused_without_revealing(reply, result) -> None:
    assert result.response_type != MODAL, "a form about someone else's entry was opened"
    assert reply.flags & EPHEMERAL
    for private in ("Initech", "Staff Engineer", SECRET_NOTE, "alice's reflection"):
        assert private not in reply.content
    assert "Something went wrong" not in reply.content


@pytest.mark.parametrize("command, options", [
    ("reflect", {}),
    ("feedback draft", {"interviewer": "Pat"}),
    ("feedback log", {}),
])
async def test_commands_refuse_another_members_entry_id(world, command, options):
    """Numbers are per member: Alice's #1 and #2 are hers; Bob typing them reaches his own
    numbers only, and one he doesn't have reads "no entry" whoever has it."""
    await alice_entry(world)
    await (await world.actor(world.alice).slash("rejection log", company="Initech",
                                                stage="onsite")).reply()
    before = await snapshot(world)
    bob = world.actor(world.bob)
    for form in ("1", "#1", " 1 ", "01", "2"):
        result = await bob.slash(command, rejection=form, **options)
        reply = await result.reply()
        assert_refused_without_revealing(reply, result)
        assert reply.content == f"You have no entry #{form.strip().lstrip('#0')}. " \
            "/rejection list shows yours."
    assert await snapshot(world) == before
    # Bob has an entry of his own, his #1: Alice's #2 is still "no entry" for him.
    await (await bob.slash("rejection log", company="Globex")).reply()
    before = await snapshot(world)
    result = await bob.slash(command, rejection="2", **options)
    reply = await result.reply()
    assert_refused_without_revealing(reply, result)
    assert reply.content == "You have no entry #2. /rejection list shows yours."
    assert await snapshot(world) == before


async def test_autocomplete_never_suggests_another_members_entry(world):
    entry = await alice_entry(world)
    bob = world.actor(world.bob)
    for command, option in (("reflect", "rejection"), ("feedback draft", "rejection"),
                            ("feedback log", "rejection")):
        for typed in ("", "1", "#1", str(entry), "Init", "Staff"):
            assert await bob.autocomplete(command, option, typed) == [], (command, typed)


class Planted(discord.ui.View):
    """A message carrying buttons for Alice's entry, clickable by anyone in the channel: what
    a member who guessed the ids would send."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(timeout=None)
        for custom_id in ids:
            self.add_item(discord.ui.Button(label=custom_id, custom_id=custom_id))

    def is_dispatchable(self) -> bool:
        return False


async def test_buttons_with_another_members_ids_are_refused(world):
    entry = await alice_entry(world)
    deadline = int(time.time()) + 600
    ids = [
        custom_ids.reflect(entry), custom_ids.feedback_draft(entry), custom_ids.share(entry),
        custom_ids.feedback_sent(entry), custom_ids.feedback_log(entry),
        custom_ids.feedback_stop(entry), custom_ids.prompt_later(entry),
        custom_ids.prompt_skip(entry), custom_ids.privacy_delete(world.alice, deadline),
        custom_ids.privacy_keep(world.alice),
    ]
    await (await world.actor(world.admin).slash("support setup",
                                                channel=world.support_id)).reply()
    planted = await world.bot.get_channel(world.general_id).send("ids", view=Planted(ids))
    message = world.emu.messages[planted.id]
    before = await snapshot(world)
    bob = world.actor(world.bob)
    for custom_id in ids:
        result = await bob.click(message, custom_id=custom_id)
        reply = await result.reply()
        assert_refused_without_revealing(reply, result)
        assert reply.id != message.id, f"{custom_id} edited the planted message"
    assert await snapshot(world) == before
    assert world.emu.channel_messages(world.support_id) == []
    assert message.edits == []


async def test_export_and_delete_only_ever_touch_the_caller(world):
    entry = await alice_entry(world)
    bob = world.actor(world.bob)
    await (await bob.slash("rejection log", company="Globex")).reply()
    export = await (await bob.slash("privacy export")).reply()
    [(_, data)] = export.attachments
    assert b"Initech" not in data and SECRET_NOTE.encode() not in data
    assert str(world.alice).encode() not in data

    ask = await (await bob.slash("privacy delete")).reply()
    await (await bob.click(ask, label="Delete everything")).reply()
    assert await world.db.scalar("SELECT COUNT(*) FROM rejections WHERE user_id = ?",
                                 (world.bob,)) == 0
    assert await world.db.scalar("SELECT note FROM rejections WHERE id = ?", (entry,)) == \
        SECRET_NOTE
    assert await world.db.scalar("SELECT struggled FROM reflections WHERE rejection_id = ?",
                                 (entry,)) == "alice's reflection"


def open_to_everyone(world, name: str) -> None:
    """A server admin can let everyone use a command in Server Settings → Integrations;
    the bot must then still refuse members who are not admins."""
    for command in world.emu.registered_commands():
        if command["name"] == name:
            command["default_member_permissions"] = None


@pytest.mark.parametrize("path, options", [
    ("support setup", {"channel": "support"}),
    ("support schedule", {"kind": "digest", "days": "mon", "time": "09:00"}),
    ("support status", {}),
    ("support nudge-now", {"kind": "encouragement"}),
])
async def test_admin_commands_refuse_members_even_when_discord_lets_them_through(
        world, path, options):
    await (await world.actor(world.admin).slash("support setup",
                                                channel=world.support_id)).reply()
    open_to_everyone(world, "support")
    options = {k: world.support_id if v == "support" else v for k, v in options.items()}
    before = await snapshot(world)
    posts = len(world.emu.channel_messages(world.support_id))
    reply = await (await world.actor(world.alice).slash(path, **options)).reply()
    assert reply.flags & EPHEMERAL
    assert "Only the server's admins" in reply.content
    assert await snapshot(world) == before
    assert len(world.emu.channel_messages(world.support_id)) == posts


async def test_administrator_and_manage_server_are_both_admins(world):
    owner_like = world.emu.add_member(world.guild_id, name="root", admin=True)
    for uid in (owner_like, world.admin):
        reply = await (await world.emu.actor(uid, guild_id=world.guild_id).slash(
            "support status")).reply()
        assert "Only the server's admins" not in reply.content


@pytest.mark.parametrize("command, field", [("reflect", "struggled"), ("feedback log", "feedback")])
async def test_a_form_rewritten_to_name_another_members_entry_is_refused(world, command, field):
    """Forms carry their entry in the custom_id (so they survive a restart); a member who
    rewrites it to someone else's entry id gets nothing saved."""
    entry = await alice_entry(world)
    bob = world.actor(world.bob)
    await (await bob.slash("rejection log", company="Globex")).reply()
    opened = await bob.slash(command)
    form = await opened.modal()
    own_prefix = form["custom_id"].rsplit(":", 2)[0]
    form["custom_id"] = f"{own_prefix}:{entry}:0badc0de"
    before = await snapshot(world)
    submitted = await bob.submit_modal(opened, {field: "bob writes on alice's entry"})
    reply = await submitted.reply()
    assert_refused_without_revealing(reply, submitted)
    # A form names an entry by its internal id; not his reads as gone, revealing nothing.
    assert reply.content == "That was deleted."
    assert await snapshot(world) == before
