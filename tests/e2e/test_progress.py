"""/progress as a member uses it: effort first, a real chart, only their own numbers."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

EPHEMERAL = 64
DEFERRED = 5
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def today(world) -> date:
    return world.clock.now().date()   # members below use UTC, the default timezone


async def seed(world, user_id, *, goal=None, applications=0, reflections=0, asked=0,
               received=0):
    now = world.clock.now().isoformat(timespec="seconds")
    day = today(world).isoformat()
    async with world.db.transaction() as tx:
        if goal is not None:
            await tx.execute(
                "INSERT INTO member_settings (user_id, weekly_goal, updated_at) VALUES (?, ?, ?)",
                (user_id, goal, now))
        for i in range(applications):
            await tx.execute(
                "INSERT INTO applications (user_id, company, applied_on, created_at)"
                " VALUES (?, ?, ?, ?)", (user_id, f"Company {i}", day, now))
        for i in range(max(reflections, asked)):
            rejection_id = await tx.insert(
                "INSERT INTO rejections (user_id, company, stage, occurred_on, created_at)"
                " VALUES (?, 'Initech', 'technical', ?, ?)", (user_id, day, now))
            if i < reflections:
                await tx.execute(
                    "INSERT INTO reflections (rejection_id, user_id, struggled, created_at,"
                    " updated_at) VALUES (?, ?, 'system design', ?, ?)",
                    (rejection_id, user_id, now, now))
            if i < asked:
                await tx.execute(
                    "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, received_at,"
                    " feedback_text, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (rejection_id, user_id, now, now if i < received else None,
                     "Go deeper on caching." if i < received else None, now))


def fields(message) -> list[tuple[str, str]]:
    (embed,) = message.embeds
    return [(f["name"], f["value"]) for f in embed.get("fields", [])]


async def test_progress_leads_with_effort_and_attaches_a_chart(world):
    alice = world.actor(world.alice)
    await seed(world, world.alice, goal=3, applications=3, reflections=2, asked=2, received=1)
    # Two companies: the same company and role on one day again would be a duplicate.
    for company, stage in (("Globex", "onsite"), ("Hooli", "application")):
        await (await alice.slash("rejection log", company=company, stage=stage)).reply()
    # Bob's numbers must never reach Alice's view.
    await seed(world, world.bob, goal=1, applications=9, reflections=5, asked=4, received=4)

    res = await alice.slash("progress")
    assert res.response_type == DEFERRED
    reply = await res.reply()
    assert reply.flags & EPHEMERAL
    got = fields(reply)
    # No wins yet: that line is left out rather than shown as zeros.
    assert [name for name, _ in got] == [
        "This week", "Streak", "Reflections", "Feedback", "Interviews reached",
        "Rejections logged"]
    values = dict(got)
    assert values["This week"].startswith("3 of 3 applications · goal met")
    assert "3 applications in total" in values["This week"]
    assert values["Streak"].startswith("1 week meeting your goal")
    assert values["Reflections"] == "2 written · 2 this week"
    assert values["Feedback"] == "2 asked · 1 received"
    # Two seeded 'technical' entries behind the reflections, plus the onsite one.
    assert values["Interviews reached"] == "3 entries got to an interview"
    assert values["Rejections logged"] == "4"
    assert "Monday–Sunday in UTC" in reply.embeds[0]["footer"]["text"]

    ((name, png),) = reply.attachments
    assert name == "progress.png"
    assert reply.embeds[0]["image"]["url"] == "attachment://progress.png"
    assert png.startswith(PNG_SIGNATURE)
    assert 5_000 < len(png) < 500_000
    width, height = Image.open(io.BytesIO(png)).size
    assert 600 <= width <= 1200 and 250 <= height <= 600


async def test_new_member_gets_a_friendly_start_without_a_chart(world):
    reply = await (await world.actor(world.carol).slash("progress")).reply()
    assert reply.flags & EPHEMERAL
    assert reply.attachments == []
    (embed,) = reply.embeds
    assert "Nothing logged yet" in embed["description"]
    assert "/apply goal" in embed["description"]
    assert not embed.get("fields")


async def test_a_member_with_a_goal_and_only_rejections_reads_what_to_do_next(world):
    alice = world.actor(world.alice)
    await (await alice.slash("apply goal", per_week=10)).reply()
    for company in ("Globex", "Hooli"):
        await (await alice.slash("rejection log", company=company)).reply()
    reply = await (await alice.slash("progress")).reply()
    (embed,) = reply.embeds
    assert not embed.get("fields") and reply.attachments == []
    assert "/reflect" in embed["description"] and "/apply log" in embed["description"]
    assert "Rejections" not in embed["description"] and "0 of" not in embed["description"]


async def test_without_a_goal_progress_suggests_setting_one(world):
    await seed(world, world.alice, applications=2)
    reply = await (await world.actor(world.alice).slash("progress")).reply()
    values = dict(fields(reply))
    assert values["This week"].startswith("2 applications.")
    assert "/apply goal" in values["This week"] and "/apply goal" in values["Streak"]
    assert len(reply.attachments) == 1


async def test_progress_follows_the_members_timezone_and_works_in_dms(world):
    # A member far ahead of UTC: their week starts on their own Monday.
    async with world.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO member_settings (user_id, timezone, weekly_goal, updated_at)"
            " VALUES (?, 'Pacific/Kiritimati', 2, 'x')", (world.alice,))
    local_today = (world.clock.now() + timedelta(hours=14)).date()
    async with world.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO applications (user_id, company, applied_on, created_at)"
            " VALUES (?, 'Acme', ?, 'x')", (world.alice, local_today.isoformat()))
    reply = await (await world.actor(world.alice, dm=True).slash("progress")).reply()
    values = dict(fields(reply))
    assert values["This week"].startswith("1 of 2 applications · 1 to go")
    assert "Monday–Sunday in Pacific/Kiritimati" in reply.embeds[0]["footer"]["text"]


async def test_a_week_logged_through_the_commands_shows_up_in_progress_and_insights(world):
    """The whole loop with the real commands: goal, applications, rejections, reflections,
    feedback; then /progress and /insights read what they stored."""
    alice = world.actor(world.alice)
    await (await alice.slash("apply goal", per_week=2)).reply()
    for company in ("Acme", "Globex"):
        await (await alice.slash("apply log", company=company)).reply()
    for company, struggled in (("Initech", "System design for a chat app."),
                               ("Hooli", "The system design round on caching.")):
        await (await alice.slash("rejection log", company=company, stage="onsite")).reply()
        opened = await alice.slash("reflect")
        await (await alice.submit_modal(opened, {"struggled": struggled})).reply()
    opened = await alice.slash("feedback log")
    await (await alice.submit_modal(opened, {"feedback": "More depth on caching, please."})
           ).reply()

    values = dict(fields(await (await alice.slash("progress")).reply()))
    assert values["This week"].startswith("2 of 2 applications · goal met")
    assert values["Streak"].startswith("1 week meeting your goal")
    assert values["Reflections"] == "2 written · 2 this week"
    assert values["Feedback"].endswith("1 received")
    assert values["Interviews reached"] == "2 entries got to an interview"

    embed = (await (await alice.slash("insights")).reply()).embeds[0]
    names = [f["name"] for f in embed["fields"]]
    assert "1. system design came up in 2 of your 2 reflections" in names
    assert any(n.startswith("2. caching came up in 1 reflection and 1 feedback note")
               for n in names)


async def test_a_goal_set_today_draws_no_misses_for_the_weeks_logged_before_it(world,
                                                                             monkeypatch):
    """Weeks of applications, then a goal: the chart compares only this week with it, and
    its week labels follow the member's language."""
    import sys

    from bot.services import chart

    drawn = []

    def spy(weeks, goal):
        drawn.append((list(weeks), goal, [chart.week_label(w.monday) for w in weeks]))
        return chart.render_progress_chart(weeks, goal)

    # The cog as the bot loaded it (discord.py registers it in sys.modules only).
    monkeypatch.setattr(sys.modules["cogs.progress"], "render_progress_chart", spy)
    this_monday = today(world) - timedelta(days=today(world).weekday())
    async with world.db.transaction() as tx:
        for weeks_ago, n in ((3, 1), (2, 2), (1, 1)):
            day = (this_monday - timedelta(weeks=weeks_ago)).isoformat()
            for i in range(n):
                await tx.execute(
                    "INSERT INTO applications (user_id, company, applied_on, created_at)"
                    " VALUES (?, ?, ?, ?)", (world.alice, f"Earlier {weeks_ago}.{i}", day,
                                             f"{day}T12:00:00+00:00"))
    de = world.emu.actor(world.alice, world.guild_id, locale="de")
    await (await de.slash("apply goal", per_week=5)).reply()
    assert await world.db.scalar("SELECT goal_set_at FROM member_settings WHERE user_id = ?",
                                 (world.alice,)) is not None
    reply = await (await de.slash("progress")).reply()
    ((_name, png),) = reply.attachments
    assert png.startswith(PNG_SIGNATURE)

    ((weeks, goal, labels),) = drawn
    assert goal == 5
    assert [w.monday for w in weeks] == [this_monday - timedelta(weeks=n) for n in (3, 2, 1, 0)]
    # Every earlier week is below today's goal of 5, yet none is compared with it.
    assert [w.goal_applies for w in weeks] == [False, False, False, True]
    assert labels == ["25. Mai", "1. Juni", "8. Juni", "15. Juni"]
