"""/apply log and /apply goal as a member uses them."""

from __future__ import annotations

EPHEMERAL = 64


async def test_log_answers_with_progress_toward_the_weekly_goal(world):
    alice = world.actor(world.alice)
    goal = await (await alice.slash("apply goal", per_week=3)).reply()
    assert goal.flags & EPHEMERAL
    assert "weekly goal is now 3 applications" in goal.content
    assert "0 of 3" in goal.content
    first = await (await alice.slash("apply log", company="Acme", role="Data Engineer",
                                     link="https://jobs.acme.example/42")).reply()
    assert first.flags & EPHEMERAL
    assert "Logged your application to Acme · Data Engineer" in first.content
    assert "1 of 3" in first.content and "2 more to reach your goal" in first.content
    for company in ("Globex", "Initech"):
        last = await (await alice.slash("apply log", company=company)).reply()
    assert "3 applications, your goal of 3 is reached" in last.content
    rows = await world.db.fetchall(
        "SELECT user_id, guild_id, company, role, link FROM applications ORDER BY id")
    assert tuple(rows[0]) == (world.alice, world.guild_id, "Acme", "Data Engineer",
                              "https://jobs.acme.example/42")
    assert len(rows) == 3
    assert await world.db.scalar("SELECT weekly_goal FROM member_settings WHERE user_id = ?",
                                 (world.alice,)) == 3


async def test_without_a_goal_the_reply_suggests_one(world):
    reply = await (await world.actor(world.bob).slash("apply log", company="Hooli",
                                                      date="yesterday")).reply()
    assert "Set a weekly goal with /apply goal" in reply.content


async def test_an_application_from_an_earlier_week_counts_there(world):
    alice = world.actor(world.alice)
    reply = await (await alice.slash("apply log", company="Acme", date="8 days ago")).reply()
    assert "earlier week" in reply.content
    assert "0 applications" in reply.content


async def test_bad_input_is_refused_privately_and_nothing_stored(world):
    alice = world.actor(world.alice)
    for options, words in [
        ({"company": "Acme", "link": "not a link"}, "http:// or https://"),
        ({"company": "Acme", "link": "ftp://files.example.com"}, "http:// or https://"),
        ({"company": "Acme", "date": "tomorrow"}, "future"),
        ({"company": "  "}, "can't be empty"),
    ]:
        reply = await (await alice.slash("apply log", **options)).reply()
        assert reply.flags & EPHEMERAL
        assert words in reply.content, (options, reply.content)
    assert await world.db.scalar("SELECT COUNT(*) FROM applications") == 0
    refused = await (await alice.slash("apply goal", per_week=0)).reply()
    assert "between 1 and 100" in refused.content
    assert await world.db.scalar("SELECT COUNT(*) FROM member_settings") == 0


async def test_apply_works_in_dms(world):
    alice = world.actor(world.alice, dm=True)
    reply = await (await alice.slash("apply log", company="Umbrella")).reply()
    assert "Umbrella" in reply.content
    assert await world.db.scalar("SELECT guild_id FROM applications") is None
