"""Applications as a pipeline the member controls: numbers, /apply list, update, delete, Undo,
duplicates, dates in words, and wins in /progress."""

from __future__ import annotations

from datetime import timedelta

from bot.services.dates import in_words, local_today

EPHEMERAL = 64


def today_words(world) -> str:
    return in_words(local_today(world.clock.now(), "UTC"))


async def count(world, table: str = "applications", user_id: int | None = None) -> int:
    if user_id is None:
        return await world.db.scalar(f"SELECT COUNT(*) FROM {table}")
    return await world.db.scalar(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))


async def log(actor, company, **options):
    return await (await actor.slash("apply log", company=company, **options)).reply()


def enabled(message) -> list[str]:
    return [b["label"] for b in message.buttons if not b["disabled"]]


async def test_a_members_first_application_is_number_one_whatever_others_logged(world):
    bob = world.actor(world.bob)
    for n in range(5):
        reply = await log(bob, f"Company {n}")
    assert "**#5**" in reply.content
    alice = world.actor(world.alice)
    first = await log(alice, "Acme", role="Data Engineer")
    assert first.flags & EPHEMERAL
    assert "Logged your application to Acme · Data Engineer as **#1**" in first.content
    assert f"(applied {today_words(world)})" in first.content
    second = await log(alice, "Globex")
    assert "**#2**" in second.content
    listed = await (await alice.slash("apply list")).reply()
    assert listed.flags & EPHEMERAL
    lines = listed.content.splitlines()[1:]
    assert lines[0].startswith("**#2** Globex") and lines[1].startswith("**#1** Acme")
    assert "Company" not in listed.content
    # Autocomplete offers only her own, by their numbers.
    choices = await alice.autocomplete("apply update", "application", "")
    assert [c["value"] for c in choices] == ["2", "1"]
    assert choices[1]["name"].startswith("#1 Acme · Data Engineer (applied, ")
    assert await alice.autocomplete("apply update", "application", "Company") == []


async def test_unknown_numbers_and_other_members_numbers_are_refused_privately(world):
    bob = world.actor(world.bob)
    for n in range(3):
        await log(bob, f"Bob Co {n}")
    alice = world.actor(world.alice)
    await log(alice, "Acme")
    before = [tuple(r) for r in await world.db.fetchall("SELECT * FROM applications")]
    for command, options in [
        ("apply update", {"application": "3", "status": "offer"}),
        ("apply update", {"application": "#99", "company": "X"}),
        ("apply update", {"application": "Bob Co 1", "status": "offer"}),
        ("apply delete", {"application": "2"}),
    ]:
        reply = await (await alice.slash(command, **options)).reply()
        assert reply.flags & EPHEMERAL
        assert ("You have no application #" in reply.content
                or "Pick one of your applications" in reply.content), reply.content
        assert reply.buttons == []
    assert [tuple(r) for r in await world.db.fetchall("SELECT * FROM applications")] == before


async def test_undo_within_15_minutes_and_not_after(world):
    alice = world.actor(world.alice)
    logged = await log(alice, "Acme")
    assert enabled(logged) == ["Undo"]
    undone = await (await alice.click(logged, label="Undo")).reply()
    assert undone.content == "Undone: #1 Acme is no longer logged."
    assert enabled(undone) == [] and [b["label"] for b in undone.buttons] == ["Undo"]
    assert await count(world) == 0

    late = await log(alice, "Initech")
    world.clock.advance(timedelta(minutes=16))
    answer = await (await alice.click(late, label="Undo")).reply()
    assert answer.flags & EPHEMERAL
    assert "The time for undo has passed (15 minutes)" in answer.content
    assert await count(world) == 1


async def test_logging_the_same_application_again_warns_and_stores_nothing_until_confirmed(
        world):
    alice = world.actor(world.alice)
    await log(alice, "Acme", role="Backend")
    again = await log(alice, " acme ", role="BACKEND")
    assert again.flags & EPHEMERAL
    assert "You already logged acme · BACKEND".lower() in again.content.lower()
    assert "**#1**" in again.content and "Log it anyway" in again.content
    assert await count(world) == 1
    # Another role or another day is no duplicate.
    assert "**#2**" in (await log(alice, "Acme", role="Frontend")).content
    assert "**#3**" in (await log(alice, "Acme", role="Backend", date="yesterday")).content
    anyway = await (await alice.click(again, label="Log it anyway")).reply()
    assert "as **#4**" in anyway.content
    assert await count(world) == 4
    # The warning became the logged reply: its button is now Undo, not a second copy.
    assert enabled(anyway) == ["Undo"]


async def test_update_says_exactly_what_changed(world):
    alice = world.actor(world.alice)
    await log(alice, "Acme", role="Backend", date="2025-11-02")
    moved = await (await alice.slash("apply update", application="1",
                                     status="interviewing")).reply()
    assert moved.flags & EPHEMERAL
    assert "Status: applied -> interviewing" in moved.content
    assert "That's a win" in moved.content
    assert f"Status changed on {today_words(world)}" in moved.content
    same = await (await alice.slash("apply update", application="1",
                                    status="interviewing")).reply()
    assert same.content == "Nothing changed: #1 Acme · Backend already says that."
    edited = await (await alice.slash("apply update", application="1", role="Platform",
                                      date="2025-11-03", note="Call with Sam")).reply()
    assert "Role: Backend -> Platform" in edited.content
    assert "Date applied: Sun 2 Nov 2025 -> Mon 3 Nov 2025" in edited.content
    assert "Note: (none) -> Call with Sam" in edited.content
    assert "Status" not in edited.content
    row = await world.db.fetchone("SELECT role, applied_on, status, note FROM applications")
    assert tuple(row) == ("Platform", "2025-11-03", "interviewing", "Call with Sam")
    history = await world.db.fetchall(
        "SELECT status FROM application_status_history ORDER BY id")
    assert [h[0] for h in history] == ["applied", "interviewing"]
    listed = await (await alice.slash("apply list", status="interviewing")).reply()
    assert ("**#1** Acme · Platform · applied Mon 3 Nov 2025 · interviewing since "
            f"{today_words(world)}") in listed.content
    none = await (await alice.slash("apply list", status="offer")).reply()
    assert none.content == "No applications with status offer."


async def test_rejected_offers_log_this_rejection_linked_to_the_application(world):
    alice = world.actor(world.alice)
    await log(alice, "Acme", role="Backend")
    await (await alice.slash("apply update", application="1", status="screening")).reply()
    rejected = await (await alice.slash("apply update", application="1",
                                        status="rejected")).reply()
    assert "Status: screening -> rejected" in rejected.content
    assert enabled(rejected) == ["Log this rejection"]
    assert await count(world, "rejections") == 0
    logged = await (await alice.click(rejected, label="Log this rejection")).reply()
    assert "Logged the rejection from Acme · Backend in your journal, linked to #1" \
        in logged.content
    assert "(stage: recruiter-screen)" in logged.content
    assert enabled(logged) == []
    row = await world.db.fetchone(
        "SELECT r.company, r.role, r.stage, r.user_id, l.application_id, a.number"
        " FROM rejections r JOIN application_rejections l ON l.rejection_id = r.id"
        " JOIN applications a ON a.id = l.application_id")
    assert tuple(row) == ("Acme", "Backend", "recruiter-screen", world.alice,
                          await world.db.scalar("SELECT id FROM applications"), 1)
    # Moving it to rejected again offers the button again; it says it's done already.
    await (await alice.slash("apply update", application="1", status="applied")).reply()
    again = await (await alice.slash("apply update", application="1",
                                     status="rejected")).reply()
    done = await (await alice.click(again, label="Log this rejection")).reply()
    assert done.content == "Already done: the rejection for #1 is in your journal."
    assert await count(world, "rejections") == 1


async def test_delete_asks_first_and_its_button_works_once(world):
    alice = world.actor(world.alice)
    await log(alice, "Acme")
    await log(alice, "Globex")
    ask = await (await alice.slash("apply delete", application="1")).reply()
    assert ask.flags & EPHEMERAL
    assert ask.content.startswith("Delete **#1** Acme (applied ")
    assert await count(world) == 2
    ask_again = await (await alice.slash("apply delete", application="1")).reply()
    done = await (await alice.click(ask, label="Delete it")).reply()
    assert done.content == "Deleted #1 Acme."
    assert enabled(done) == [] and [b["label"] for b in done.buttons] == ["Delete it"]
    assert await count(world) == 1
    later = await (await alice.click(ask_again, label="Delete it")).reply()
    assert later.flags & EPHEMERAL
    assert "Already done" in later.content or "no longer in your list" in later.content
    assert await count(world) == 1


async def test_progress_counts_interviews_and_offers_as_wins(world):
    alice = world.actor(world.alice)
    for company in ("Acme", "Globex", "Initech"):
        await log(alice, company)
    await (await alice.slash("apply update", application="1", status="interviewing")).reply()
    await (await alice.slash("apply update", application="1", status="offer")).reply()
    await (await alice.slash("apply update", application="2", status="interviewing")).reply()
    await (await alice.slash("apply update", application="3", status="rejected")).reply()
    reply = await (await alice.slash("progress")).reply()
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    names = list(fields)
    # No rejections logged: that zero line is left out.
    assert names.index("This week") < names.index("Wins") and "Rejections logged" not in names
    assert fields["Wins"] == "2 interviews reached · 1 offer"
    assert fields["This week"].startswith("3 applications")
    assert reply.attachments and reply.attachments[0][0] == "progress.png"


async def test_dates_follow_the_locale_and_refuse_the_future_and_the_far_past(world):
    uk = world.emu.actor(world.alice, world.guild_id, locale="en-GB")
    us = world.emu.actor(world.bob, world.guild_id, locale="en-US")
    assert "(applied Tue 2 Dec 2025)" in (await log(uk, "Acme", date="2/12/2025")).content
    assert "(applied Tue 2 Dec 2025)" in (await log(us, "Acme", date="12/2/2025")).content
    assert "(applied Sun 12 Jan 2025)" in (await log(uk, "Globex", date="12.1.2025")).content
    stored = await count(world)
    for typed, words in [
        ("-3 days ago", "is not a day in the past"),
        ("in 2 days", "is not a day in the past"),
        ("3 days from now", "is not a day in the past"),
        ("tomorrow", "is in the future"),
        ("1990-01-01", "more than 20 years ago"),
        ("31/31/2025", "not a real date"),
    ]:
        reply = await log(uk, "Initech", date=typed)
        assert reply.flags & EPHEMERAL
        assert words in reply.content, (typed, reply.content)
    far = await log(uk, "Initech", date="1990-01-01")
    assert "dates can go back 20 years at most" in far.content
    assert await count(world) == stored


async def test_a_long_list_fits_in_one_message(world):
    alice = world.actor(world.alice)
    for n in range(30):
        await log(alice, f"Company with a rather long name number {n:02d}" + "x" * 40,
                  role="Senior Staff Principal Engineer, Platform")
    listed = await (await alice.slash("apply list", limit=30)).reply()
    assert len(listed.content) <= 2000
    assert listed.content.splitlines()[1].startswith("**#30** ")
    assert listed.content.endswith("more that don't fit here; /apply export lists them all.")
