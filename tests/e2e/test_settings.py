"""/settings as a member uses it."""

from __future__ import annotations

from bot.clock import from_db

EPHEMERAL = 64


async def stored(world, user_id):
    return await world.db.fetchone(
        "SELECT timezone, quiet_start, quiet_end, dm_prompts, personal_nudges,"
        " reflection_delay_hours FROM member_settings WHERE user_id = ?", (user_id,))


async def test_no_options_shows_the_current_settings(world):
    reply = await (await world.actor(world.alice).slash("settings")).reply()
    assert reply.flags & EPHEMERAL
    for expected in ("Timezone:** not set", "Quiet hours:** off", "DM prompts",
                     "Personal nudges", "24 h after you log one"):
        assert expected in reply.content
    assert await stored(world, world.alice) is None


async def test_every_option_is_saved_and_shown(world):
    alice = world.actor(world.alice)
    reply = await (await alice.slash(
        "settings", timezone="Europe/Berlin", quiet_hours="22:00-08:00", dm_prompts=False,
        personal_nudges=True, reflection_delay_hours=0)).reply()
    assert reply.flags & EPHEMERAL and reply.content.startswith("Saved.")
    assert "Europe/Berlin" in reply.content and "22:00–08:00" in reply.content
    assert "right after you log one" in reply.content
    assert tuple(await stored(world, world.alice)) == ("Europe/Berlin", "22:00", "08:00", 0, 1, 0)
    # Opting in to nudges leaves one evening timer; opting out removes it.
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'personal_nudge' AND status = 'pending'") == 1
    shown = await (await alice.slash("settings")).reply()
    assert "Europe/Berlin" in shown.content
    await (await alice.slash("settings", personal_nudges=False, quiet_hours="off")).reply()
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM timers WHERE kind = 'personal_nudge' AND status = 'pending'") == 0
    assert tuple(await stored(world, world.alice))[1:3] == (None, None)


async def test_timezone_autocomplete(world):
    choices = await world.actor(world.alice).autocomplete("settings", "timezone", "berl")
    assert [c["value"] for c in choices] == ["Europe/Berlin"]


async def test_bad_inputs_are_refused_and_nothing_changes(world):
    alice = world.actor(world.alice)
    for options, words in [
        ({"timezone": "Europe/Berln"}, "Did you mean Europe/Berlin"),
        ({"timezone": "Narnia"}, "not an IANA timezone"),
        ({"quiet_hours": "after dinner"}, "22:00-08:00"),
        ({"quiet_hours": "24:00-08:00"}, "00 to 23"),
        ({"reflection_delay_hours": 500}, "0 (right away) to 168"),
        ({"reflection_delay_hours": -3}, "0 (right away) to 168"),
        ({"timezone": "Europe/Paris", "reflection_delay_hours": 200}, "168"),
    ]:
        reply = await (await alice.slash("settings", **options)).reply()
        assert reply.flags & EPHEMERAL
        assert words in reply.content, (options, reply.content)
    assert await stored(world, world.alice) is None


async def test_the_delay_is_used_for_the_next_entry(world):
    alice = world.actor(world.alice)
    await (await alice.slash("settings", reflection_delay_hours=48)).reply()
    await (await alice.slash("rejection log", company="Acme")).reply()
    row = await world.db.fetchone("SELECT due_at, created_at FROM timers")
    assert (from_db(row["due_at"]) - from_db(row["created_at"])).total_seconds() == 48 * 3600
    await (await alice.slash("settings", dm_prompts=False)).reply()
    await (await alice.slash("rejection log", company="Globex")).reply()
    assert await world.db.scalar("SELECT COUNT(*) FROM timers") == 1


async def test_reply_says_what_changed_and_what_it_was(world):
    alice = world.actor(world.alice)
    reply = await (await alice.slash("settings", quiet_hours="22:00-08:00")).reply()
    assert reply.content.startswith("Saved.\n**Quiet hours:** 22:00–08:00 (was off)\n")
    again = await (await alice.slash("settings", quiet_hours="22:00-08:00")).reply()
    assert again.content.startswith("Nothing changed")
    assert "Saved." not in again.content and "(was" not in again.content
    off = await (await alice.slash("settings", quiet_hours="off", dm_prompts=False)).reply()
    assert "**Quiet hours:** off (was 22:00–08:00)" in off.content
    assert "**DM prompts:** off (was on)" in off.content
