"""/feedback draft, /feedback log and their buttons as a member uses them."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.clock import from_db

EPHEMERAL = 64
DEFERRED = 5


async def log_entry(actor, **options):
    options.setdefault("company", "Acme")
    return await (await actor.slash("rejection log", **options)).reply()


async def latest_id(world, user_id):
    return await world.db.scalar("SELECT MAX(id) FROM rejections WHERE user_id = ?", (user_id,))


def email_body(content: str) -> str:
    return re.search(r"```text\n(.*?)\n```", content, re.DOTALL).group(1)


@pytest.mark.parametrize("tone", ["brief", "warm", "formal"])
async def test_draft_in_each_tone(world, tone):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Globex", role="Data Engineer", stage="onsite")
    entry_id = await latest_id(world, world.alice)
    reply = await (await alice.slash("feedback draft", rejection=str(entry_id),
                                     interviewer="Priya", tone=tone)).reply()
    assert reply.flags & EPHEMERAL
    assert "**Subject:**" in reply.content and "Globex" in reply.content
    body = email_body(reply.content)
    assert "Priya" in body and "Globex" in body and "Data Engineer" in body
    assert "thank" in body.lower() and "specific" in body and "honest" in body
    assert len(body.split()) < 150
    # The other tones are one click away; the one shown is greyed out.
    assert [b["label"] for b in reply.buttons] == ["I sent it", "Brief", "Warm", "Formal"]
    assert [b["label"] for b in reply.buttons if b.get("disabled")] == [tone.capitalize()]
    row = await world.db.fetchone("SELECT interviewer, tone, sent_at FROM feedback_requests")
    assert tuple(row) == ("Priya", tone, None)


async def test_i_sent_it_records_and_schedules_one_followup(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Initech")
    reply = await (await alice.slash("feedback draft")).reply()      # latest entry, warm
    assert "warm" in reply.content and "Initech" in reply.content
    done = await (await alice.click(reply, label="I sent it")).reply()
    assert done.flags & EPHEMERAL and "check in once" in done.content
    # Done once: the draft stays, its button greyed out; another draft's button says so.
    assert "**Subject:**" in done.content and "Press **I sent it**" not in done.content
    assert [b["disabled"] for b in done.buttons] == [True, True, True, True]
    second = await (await alice.slash("feedback draft")).reply()
    again = await (await alice.click(second, label="I sent it")).reply()
    assert "Already done: you'd marked this one as sent." in again.content
    assert await world.db.scalar("SELECT sent_at IS NOT NULL FROM feedback_requests") == 1
    rows = await world.db.fetchall(
        "SELECT due_at, created_at FROM timers WHERE kind = 'feedback_followup'")
    assert len(rows) == 1
    waited = from_db(rows[0]["due_at"]) - from_db(rows[0]["created_at"])
    assert waited.days == world.bot.settings.feedback_followup_days == 7


async def test_draft_button_on_the_log_reply_gives_the_warm_draft_even_after_restart(world):
    alice = world.actor(world.alice)
    logged = await log_entry(alice, company="Hooli", role="SRE")
    await world.restart()
    alice = world.actor(world.alice)
    reply = await (await alice.click(logged, label="Draft feedback request")).reply()
    assert reply.flags & EPHEMERAL
    body = email_body(reply.content)
    assert "Hooli" in body and "SRE" in body and body.startswith("Hi there,")
    sent = await (await alice.click(reply, label="I sent it")).reply()
    assert "Recorded" in sent.content


async def test_tone_buttons_redraft_in_place_with_first_name_and_signature(world):
    alice = world.actor(world.alice)
    logged = await log_entry(alice, company="Hooli", role="SRE", stage="onsite")
    entry_id = await latest_id(world, world.alice)
    await (await alice.slash("feedback draft", rejection=str(entry_id),
                             interviewer="Dana Smith")).reply()
    reply = await (await alice.click(logged, label="Draft feedback request")).reply()
    body = email_body(reply.content)
    assert body.startswith("Hi Dana,\n") and "[Your name]" not in body
    name = body.splitlines()[-1]
    assert name and name != "[Your name]"
    await world.restart()
    alice = world.actor(world.alice)
    formal = await (await alice.click(reply, label="Formal")).reply()
    assert formal.id == reply.id          # the same message, redrafted
    body = email_body(formal.content)
    assert body.startswith("Dear Dana Smith,\n") and body.splitlines()[-1] == name
    assert "formal feedback request" in formal.content
    brief = await (await alice.click(formal, label="Brief")).reply()
    assert email_body(brief.content).startswith("Hi Dana,\n")


async def test_log_feedback_stores_it_and_cancels_the_followup(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Umbrella")
    draft = await (await alice.slash("feedback draft")).reply()
    await (await alice.click(draft, label="I sent it")).reply()
    opened = await alice.slash("feedback log")
    modal = await opened.modal()
    assert "Umbrella" in modal["title"]
    submitted = await alice.submit_modal(
        opened, {"feedback": "Great culture fit; system design needs depth."})
    # Themes can take a moment in a long journal: the form is answered "thinking" first.
    assert await submitted.wait_response() == DEFERRED
    reply = await submitted.reply()
    assert reply.flags & EPHEMERAL and "Saved the feedback" in reply.content
    await asyncio.sleep(0.3)
    assert submitted.followups == []     # answered once, by the form itself
    row = await world.db.fetchone("SELECT feedback_text, received_at FROM feedback_requests")
    assert row["feedback_text"] == "Great culture fit; system design needs depth."
    assert row["received_at"] is not None
    assert await world.db.scalar(
        "SELECT status FROM timers WHERE kind = 'feedback_followup'") == "cancelled"


async def test_log_without_a_draft_creates_the_row(world):
    alice = world.actor(world.alice, dm=True)
    await log_entry(alice, company="Vandelay")
    opened = await alice.slash("feedback log")
    await (await alice.submit_modal(opened, {"feedback": "Went with an internal hire."})).reply()
    row = await world.db.fetchone("SELECT user_id, feedback_text, sent_at FROM feedback_requests")
    assert tuple(row) == (world.alice, "Went with an internal hire.", None)


async def test_blank_feedback_is_refused(world):
    alice = world.actor(world.alice)
    await log_entry(alice)
    opened = await alice.slash("feedback log")
    reply = await (await alice.submit_modal(opened, {"feedback": "   "})).reply()
    assert reply.flags & EPHEMERAL and "can't be empty" in reply.content
    assert await world.db.scalar("SELECT COUNT(*) FROM feedback_requests") == 0


async def test_autocomplete_and_other_members_entries(world):
    alice, bob = world.actor(world.alice), world.actor(world.bob)
    await log_entry(alice, company="SecretCorp", stage="final")
    entry_id = await latest_id(world, world.alice)
    choices = await alice.autocomplete("feedback draft", "rejection", "sec")
    assert [c["value"] for c in choices] == [str(entry_id)]
    assert choices[0]["name"].startswith(f"#{entry_id} SecretCorp · final · ")
    assert await bob.autocomplete("feedback log", "rejection", "sec") == []
    for command in ("feedback draft", "feedback log"):
        reply = await (await bob.slash(command, rejection=str(entry_id))).reply()
        assert reply.flags & EPHEMERAL
        assert f"no entry #{entry_id}" in reply.content and "SecretCorp" not in reply.content
    assert await world.db.scalar("SELECT COUNT(*) FROM feedback_requests") == 0


async def test_interviewer_text_cannot_ping_or_break_the_block(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Acme")
    reply = await (await alice.slash("feedback draft", interviewer="@everyone ```x")).reply()
    assert "```x" not in reply.content
    assert not (reply.allowed_mentions or {}).get("parse")


async def test_a_feedback_form_opened_before_a_restart_is_still_saved(world):
    alice = world.actor(world.alice)
    await log_entry(alice, company="Aperture")
    opened = await alice.slash("feedback log")
    await opened.modal()
    await world.restart()
    reply = await (await world.actor(world.alice).submit_modal(
        opened, {"feedback": "Portal skills great; testing less so."})).reply()
    assert reply.flags & EPHEMERAL and "Aperture" in reply.content
    assert await world.db.scalar("SELECT feedback_text FROM feedback_requests") == \
        "Portal skills great; testing less so."


async def test_application_stage_entry_never_mentions_an_interview(world):
    alice = world.actor(world.alice)
    logged = await log_entry(alice, company="Initrode", stage="application")
    assert "interview" not in logged.content.lower()
    for tone in ("brief", "warm", "formal"):
        reply = await (await alice.slash("feedback draft", tone=tone)).reply()
        assert "interview" not in reply.content.lower()
        assert "application" in email_body(reply.content)
    opened = await alice.click(logged, label="Reflect now")
    modal = await opened.modal()
    labels = " ".join(str(row) for row in modal["components"])
    assert "strengthen your next application" in labels and "interview" not in labels.lower()
    # No reflection yet: the feedback reply doesn't pretend there is one.
    form = await alice.slash("feedback log")
    saved = await (await alice.submit_modal(form, {"feedback": "Needed more SQL."})).reply()
    assert "beside your reflection" not in saved.content and "Saved the feedback" in saved.content
