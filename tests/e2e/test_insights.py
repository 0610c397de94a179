"""/insights as a member uses it: their own recurring themes, never anyone else's."""

from __future__ import annotations

EPHEMERAL = 64
DEFERRED = 5


async def reflect(world, user_id, company, day, **fields):
    at = f"{day}T18:00:00+00:00"
    async with world.db.transaction() as tx:
        rejection_id = await tx.insert(
            "INSERT INTO rejections (user_id, company, stage, occurred_on, created_at)"
            " VALUES (?, ?, 'onsite', ?, ?)", (user_id, company, day, at))
        await tx.execute(
            "INSERT INTO reflections (rejection_id, user_id, struggled, unprepared, differently,"
            " went_well, practise, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rejection_id, user_id, fields.get("struggled", ""), fields.get("unprepared", ""),
             fields.get("differently", ""), fields.get("went_well", ""),
             fields.get("practise", ""), at, at))
    return rejection_id


async def feedback(world, user_id, company, day, text):
    at = f"{day}T18:00:00+00:00"
    async with world.db.transaction() as tx:
        rejection_id = await tx.insert(
            "INSERT INTO rejections (user_id, company, stage, occurred_on, created_at)"
            " VALUES (?, ?, 'final', ?, ?)", (user_id, company, day, at))
        await tx.execute(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, received_at,"
            " feedback_text, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (rejection_id, user_id, at, at, text, at))


def embed_text(message) -> str:
    (embed,) = message.embeds
    parts = [embed.get("title", ""), embed.get("description", "")]
    for f in embed.get("fields", []):
        parts += [f["name"], f["value"]]
    return "\n".join(parts)


async def test_insights_without_reflections_explains_how_themes_appear(world):
    res = await world.actor(world.alice).slash("insights")
    assert res.response_type == DEFERRED
    reply = await res.reply()
    assert reply.flags & EPHEMERAL
    (embed,) = reply.embeds
    assert "two or more" in embed["description"]
    assert "/reflect" in embed["description"] and "/feedback log" in embed["description"]
    assert not embed.get("fields")


async def test_insights_lists_recurring_themes_as_a_prep_list(world):
    await reflect(world, world.alice, "Hooli", "2026-10-15",
                  struggled="System design: sharding a database.",
                  unprepared="Scaling discussions.",
                  went_well="The STAR method kept my stories short.")
    await feedback(world, world.alice, "Globex", "2026-10-20",
                   "The system design round lacked depth on caching and scaling.")
    await reflect(world, world.alice, "Initech", "2026-11-05",
                  struggled="The system design question on a URL shortener.",
                  unprepared="Caching strategies.",
                  went_well="I used the STAR method again.",
                  practise="Practise system design with a timer.")
    # Bob wrote about something else; none of it may show up for Alice.
    for day in ("2026-11-01", "2026-11-02"):
        await reflect(world, world.bob, "Umbrella", day,
                      struggled="Kubernetes networking and helm charts.",
                      practise="Kubernetes networking labs.")

    reply = await (await world.actor(world.alice).slash("insights")).reply()
    assert reply.flags & EPHEMERAL
    assert reply.attachments == []
    (embed,) = reply.embeds
    assert embed["description"].startswith("From 2 reflections and 1 feedback note.")
    names = [f["name"] for f in embed["fields"]]
    assert names[0] == "1. system design came up in 2 reflections and 1 feedback note"
    first = embed["fields"][0]["value"]
    assert "> The system design question on a URL shortener." in first
    assert "→ Your own plan: “Practise system design with a timer.”" in first
    assert any("caching" in n for n in names) and any("scaling" in n for n in names)
    assert names[-1] == "What keeps going well"
    assert "STAR method" in embed["fields"][-1]["value"]
    text = embed_text(reply)
    assert "Kubernetes" not in text and "kubernetes" not in text and "Umbrella" not in text

    bob = await (await world.actor(world.bob, dm=True).slash("insights")).reply()
    bob_text = embed_text(bob)
    assert "kubernetes networking" in bob_text
    assert "system design" not in bob_text and "URL shortener" not in bob_text


async def test_one_reflection_is_not_yet_a_theme(world):
    await reflect(world, world.alice, "Acme", "2026-11-01", struggled="Whiteboard pressure.")
    reply = await (await world.actor(world.alice).slash("insights")).reply()
    (embed,) = reply.embeds
    assert "nothing has come up twice yet" in embed["description"]
    assert "1 reflection and 0 feedback notes" in embed["description"]


async def test_member_text_is_shown_inert(world):
    for day in ("2026-11-01", "2026-11-02"):
        await reflect(world, world.alice, "Acme", day,
                      struggled="**Terraform** modules with @everyone watching.")
    reply = await (await world.actor(world.alice).slash("insights")).reply()
    value = reply.embeds[0]["fields"][0]["value"]
    assert "\\*\\*Terraform\\*\\*" in value
    assert reply.mentioned_user_ids == []
    assert (reply.allowed_mentions or {}).get("parse") in (None, [])
