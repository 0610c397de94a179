"""/rejection log and /rejection list as a member uses them."""

from __future__ import annotations

EPHEMERAL = 64


async def test_log_replies_privately_with_reframe_id_and_buttons(world):
    alice = world.actor(world.alice)
    res = await alice.slash("rejection log", company="Acme", role="Backend Engineer",
                            stage="onsite", date="yesterday", note="panel ran long")
    reply = await res.reply()
    assert reply.flags & EPHEMERAL
    row = await world.db.fetchone(
        "SELECT id, company, role, stage, note, number FROM rejections")
    assert tuple(row)[1:] == ("Acme", "Backend Engineer", "onsite", "panel ran long", 1)
    assert reply.content.startswith("Logged **#1**: Acme · Backend Engineer · onsite · ")
    assert "> " in reply.content  # the reframe is quoted
    # The first DM planned for her: the reply says so and offers not to (consent up front).
    assert [b["label"] for b in reply.buttons] == [
        "Reflect now", "Draft feedback request", "Share with the group", "Undo", "No DMs, thanks"
    ]
    assert all(str(row["id"]) in b["custom_id"] for b in reply.buttons[:3])
    due = await world.db.scalar(
        "SELECT due_at FROM timers WHERE kind = 'reflection_prompt' AND subject_id = ?",
        (row["id"],),
    )
    assert due is not None


async def test_bad_inputs_are_refused_privately_and_store_nothing(world):
    alice = world.actor(world.alice)
    for options, words in [
        ({"company": "   "}, "can't be empty"),
        ({"company": "Acme", "date": "tomorrow"}, "future"),
        ({"company": "Acme", "date": "someday maybe"}, "couldn't read"),
        ({"company": "A" * 150}, "under 100"),
    ]:
        reply = await (await alice.slash("rejection log", **options)).reply()
        assert reply.flags & EPHEMERAL
        assert words in reply.content, (options, reply.content)
    assert await world.db.scalar("SELECT COUNT(*) FROM rejections") == 0


async def test_list_shows_only_own_entries_newest_first(world):
    alice, bob = world.actor(world.alice), world.actor(world.bob)
    for company in ["Initech", "Globex"]:
        await (await alice.slash("rejection log", company=company)).reply()
    await (await bob.slash("rejection log", company="Hooli")).reply()
    listing = await (await alice.slash("rejection list")).reply()
    assert listing.flags & EPHEMERAL
    assert listing.content.index("Globex") < listing.content.index("Initech")
    assert "Hooli" not in listing.content
    empty = await (await world.actor(world.carol).slash("rejection list")).reply()
    assert "No entries yet" in empty.content


async def test_log_works_in_dms(world):
    alice = world.actor(world.alice, dm=True)
    reply = await (await alice.slash("rejection log", company="Umbrella")).reply()
    assert "Umbrella" in reply.content
    assert await world.db.scalar("SELECT guild_id FROM rejections") is None
