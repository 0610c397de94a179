"""/reflect and the Reflect now button as a member uses them."""

from __future__ import annotations

import asyncio

EPHEMERAL = 64
DEFERRED = 5


async def log_entry(actor, **options):
    options.setdefault("company", "Acme")
    await (await actor.slash("rejection log", **options)).reply()


def modal_inputs(modal):
    """The text inputs of a modal, whether wrapped in action rows or label components."""
    return [row["components"][0] if row.get("type") == 1 else row["component"]
            for row in modal["components"]]


async def entry_ids(world, user_id):
    rows = await world.db.fetchall(
        "SELECT id FROM rejections WHERE user_id = ? ORDER BY id", (user_id,))
    return [r[0] for r in rows]


async def test_reflect_saves_answers_and_shows_a_summary(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Acme", stage="onsite")
    [entry_id] = await entry_ids(world, world.alice)
    opened = await alice.slash("reflect")
    modal = await opened.modal()
    inputs = modal_inputs(modal)
    assert [i["custom_id"] for i in inputs] == [
        "struggled", "unprepared", "differently", "went_well", "practise"]
    assert all(i["max_length"] == 1000 and i.get("required") is False for i in inputs)
    assert f"#{entry_id}" in modal["title"]
    done = await alice.submit_modal(opened, {"struggled": "system design",
                                             "practise": "mock interviews"})
    # Themes can take a moment in a long journal: the form is answered "thinking" first.
    assert await done.wait_response() == DEFERRED
    reply = await done.reply()
    assert reply.flags & EPHEMERAL
    assert f"#{entry_id}" in reply.content and "Acme" in reply.content
    assert "system design" in reply.content and "mock interviews" in reply.content
    assert "After your next reflection or feedback note" in reply.content
    row = await world.db.fetchone("SELECT struggled, practise, went_well FROM reflections")
    assert tuple(row) == ("system design", "mock interviews", "")
    await asyncio.sleep(0.3)
    assert done.followups == []          # answered once, by the form itself
    # Reflecting first cancels the DM prompt.
    assert await world.db.scalar(
        "SELECT status FROM timers WHERE kind = 'reflection_prompt'") == "cancelled"


async def test_reflecting_again_edits_keeps_history_and_shows_themes(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Acme")
    await log_entry(alice, company="Globex")
    first, second = await entry_ids(world, world.alice)
    opened = await alice.slash("reflect", rejection=str(first))
    await (await alice.submit_modal(opened, {"struggled": "salary negotiation"})).reply()
    opened = await alice.slash("reflect", rejection=str(first))
    modal = await opened.modal()
    assert "salary negotiation" in str(modal)          # earlier answers are shown to edit
    edited = await (await alice.submit_modal(
        opened, {"struggled": "system design depth"})).reply()
    assert "Updated" in edited.content and "history" in edited.content
    assert await world.db.scalar("SELECT struggled FROM reflection_history") == \
        "salary negotiation"
    opened = await alice.slash("reflect", rejection=str(second))
    third = await (await alice.submit_modal(
        opened, {"practise": "system design drills"})).reply()
    # The edited reflection counts with its new text only: salary negotiation is gone.
    assert "**What your reflections share so far:** system design (2 notes)\n" in third.content
    assert "salary" not in third.content
    assert await world.db.scalar("SELECT COUNT(*) FROM reflections") == 2


async def test_themes_after_reflecting_are_the_ones_insights_lists(world):
    alice = world.actor(world.alice)
    for company, answers in (
        ("Acme", {"struggled": "System design: sharding a database.",
                  "unprepared": "Caching strategies.",
                  "went_well": "The STAR method kept my stories short."}),
        ("Globex", {"struggled": "The system design question on a URL shortener.",
                    "unprepared": "Caching and scaling.",
                    "went_well": "I used the STAR method again."}),
    ):
        await log_entry(alice, company=company)
        opened = await alice.slash("reflect")
        reply = await (await alice.submit_modal(opened, answers)).reply()
    assert ("**What your reflections share so far:** system design (2 notes) · "
            "caching (2 notes)\n") in reply.content
    assert "**What keeps going well:** star method (2 reflections)\n" in reply.content
    assert "/insights turns them into a prep list." in reply.content

    (embed,) = (await (await alice.slash("insights")).reply()).embeds
    assert [f["name"] for f in embed["fields"]] == [
        "1. system design came up in 2 of your 2 reflections",
        "2. caching came up in 2 of your 2 reflections",
        "What keeps going well",
    ]
    assert embed["fields"][-1]["value"].startswith("• **star method** (2 reflections)")


async def test_autocomplete_offers_only_own_entries_newest_first(world):
    alice, bob = world.actor(world.alice), world.actor(world.bob)
    await log_entry(alice, company="Acme", stage="onsite", date="2026-01-05")
    await log_entry(alice, company="Acme Labs")
    await log_entry(bob, company="Acme Bob")
    choices = await alice.autocomplete("reflect", "rejection", "Ac")
    # Her own numbers, newest first by date, the date in words.
    assert [c["value"] for c in choices] == ["2", "1"]
    assert choices[1]["name"] == "#1 Acme · onsite · Mon 5 Jan 2026"
    assert all("Bob" not in c["name"] for c in choices)


async def test_someone_elses_entry_is_refused_and_nothing_revealed(world):
    alice, bob = world.actor(world.alice), world.actor(world.bob)
    await log_entry(alice, company="SecretCorp")
    [entry_id] = await entry_ids(world, world.alice)
    reply = await (await bob.slash("reflect", rejection=str(entry_id))).reply()
    assert reply.flags & EPHEMERAL
    assert f"no entry #{entry_id}" in reply.content and "SecretCorp" not in reply.content
    assert await world.db.scalar("SELECT COUNT(*) FROM reflections") == 0


async def test_empty_modal_is_refused_and_nothing_stored(world):
    alice = world.actor(world.alice)
    await log_entry(alice)
    opened = await alice.slash("reflect")
    reply = await (await alice.submit_modal(opened, {})).reply()
    assert reply.flags & EPHEMERAL and "at least one" in reply.content
    assert await world.db.scalar("SELECT COUNT(*) FROM reflections") == 0


async def test_no_entries_yet(world):
    reply = await (await world.actor(world.carol).slash("reflect")).reply()
    assert "haven't logged a rejection yet" in reply.content


async def test_reflect_now_button_opens_the_same_modal_also_after_a_restart(world):
    alice = world.actor(world.alice)
    msg = await (await alice.slash("rejection log", company="Initech")).reply()
    await world.restart()
    alice = world.actor(world.alice)
    opened = await alice.click(msg, label="Reflect now")
    modal = await opened.modal()
    assert "Initech" in modal["title"]
    reply = await (await alice.submit_modal(opened, {"went_well": "the live coding"})).reply()
    assert "Initech" in reply.content and "the live coding" in reply.content
    assert await world.db.scalar("SELECT went_well FROM reflections") == "the live coding"


async def test_reflect_works_in_dms(world):
    alice = world.actor(world.alice, dm=True)
    await log_entry(alice, company="Umbrella")
    opened = await alice.slash("reflect")
    reply = await (await alice.submit_modal(opened, {"unprepared": "the case study"})).reply()
    assert "Umbrella" in reply.content
    assert await world.db.scalar("SELECT unprepared FROM reflections") == "the case study"


async def test_a_form_opened_before_a_restart_is_still_saved(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Cyberdyne")
    opened = await alice.slash("reflect")
    await opened.modal()
    await world.restart()
    reply = await (await world.actor(world.alice).submit_modal(
        opened, {"differently": "ask more questions"})).reply()
    assert reply.flags & EPHEMERAL and "Cyberdyne" in reply.content
    assert await world.db.scalar("SELECT differently FROM reflections") == "ask more questions"
    assert await world.db.scalar("SELECT COUNT(*) FROM reflections") == 1


async def test_forms_left_open_cost_no_memory_and_each_is_saved_when_sent(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Acme")
    await log_entry(alice, company="Globex")
    acme, globex = await entry_ids(world, world.alice)
    # Forms opened and never sent (a member who closes the window) leave nothing behind in
    # the bot: the custom_id says what each is about, so nothing needs keeping.
    forms = [await alice.slash("reflect", rejection=str(acme)) for _ in range(50)]
    for opened in forms:
        await opened.modal()
    on_globex = await alice.slash("reflect", rejection=str(globex))
    await on_globex.modal()
    assert world.bot._connection._view_store._modals == {}
    # Any of them, sent late and out of order, is saved against its own entry.
    await (await alice.submit_modal(on_globex, {"struggled": "the take-home"})).reply()
    await (await alice.submit_modal(forms[7], {"struggled": "the system design"})).reply()
    rows = await world.db.fetchall(
        "SELECT rejection_id, struggled FROM reflections ORDER BY rejection_id")
    assert [tuple(r) for r in rows] == [(acme, "the system design"), (globex, "the take-home")]
