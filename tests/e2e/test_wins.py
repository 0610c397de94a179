"""Wins: Share the good news after /apply update to interviewing or offer (a private preview
first, named or anonymous), and the weekly digest counting the group's wins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.services.dates import local_today

EPHEMERAL = 64


def text_of(message) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


def good_news(world):
    return [m for m in world.emu.channel_messages(world.support_id)
            if "Good news from the group" in text_of(m)]


async def set_up_support(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()


async def update(actor, application, status):
    return await (await actor.slash("apply update", application=application,
                                    status=status)).reply()


async def test_share_the_good_news_previews_then_posts_with_the_name(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    await (await alice.slash("apply log", company="Acme", role="Backend")).reply()
    moved = await update(alice, "1", "interviewing")
    assert [b["label"] for b in moved.buttons] == ["Share the good news"]
    preview = await (await alice.click(moved, label="Share the good news")).reply()
    assert preview.flags & EPHEMERAL
    assert "**Preview** of your good news (application #1) shared anonymously" in preview.content
    assert "Someone in the group reached the interviews!" in text_of(preview)
    assert [b["label"] for b in preview.buttons] == ["Post it", "Use my name", "Cancel"]
    named = await (await alice.click(preview, label="Use my name")).reply()
    assert "shared with your name" in named.content
    assert "**alice** reached the interviews!" in text_of(named)
    for hidden in ("Acme", "Backend"):
        assert hidden not in text_of(named).split("\n", 1)[1]
    assert good_news(world) == []                        # nothing before Post it
    posted = world.emu.wait_for_message(channel_id=world.support_id)
    done = await (await alice.click(named, label="Post it")).reply()
    post = await posted
    assert "**alice** reached the interviews!" in text_of(post)
    assert "Acme" not in text_of(post)
    for _ in range(100):        # "Posting…" first, then the outcome
        if "Posted your good news" in world.emu.messages[done.id].content:
            break
        await asyncio.sleep(0.02)
    assert world.emu.messages[done.id].content.startswith("Posted your good news to <#")
    assert all(b["disabled"] for b in world.emu.messages[done.id].buttons)
    # Once is enough: the same good news again says it's done.
    again = await (await alice.click(moved, label="Share the good news")).reply()
    assert again.content == "Already done: this good news is shared with this group."
    assert len(good_news(world)) == 1
    # Deleting the application takes its good news down with it.
    ask = await (await alice.slash("apply delete", application="1")).reply()
    await (await alice.click(ask, label="Delete it")).reply()
    assert world.emu.messages[post.id].deleted
    assert await world.db.scalar("SELECT COUNT(*) FROM win_shares") == 0
    gone = await (await alice.click(moved, label="Share the good news")).reply()
    assert gone.content == "That was deleted."


async def test_anonymous_good_news_goes_up_later_and_cancel_posts_nothing(world):
    await set_up_support(world)
    bob = world.actor(world.bob)
    await (await bob.slash("apply log", company="Globex")).reply()
    await (await bob.slash("apply log", company="Initech")).reply()
    offer = await update(bob, "1", "offer")
    preview = await (await bob.click(offer, label="Share the good news")).reply()
    scheduled = await (await bob.click(preview, label="Post it")).reply()
    assert scheduled.content.startswith("Scheduled: your good news goes up anonymously")
    assert good_news(world) == []
    interviewing = await update(bob, "2", "interviewing")
    other = await (await bob.click(interviewing, label="Share the good news")).reply()
    cancelled = await (await bob.click(other, label="Cancel")).reply()
    assert cancelled.content == "Cancelled: nothing was posted."
    world.clock.advance(timedelta(minutes=61))
    await world.bot.get_cog("PersonalDMs").catch_up()
    [post] = good_news(world)
    assert "Someone in the group got an offer!" in text_of(post)
    assert "bob" not in text_of(post) and "Globex" not in text_of(post)


async def test_the_digest_counts_wins_names_only_who_shared_by_name_and_says_its_period(world):
    await set_up_support(world)
    alice, bob, carol = (world.actor(u) for u in (world.alice, world.bob, world.carol))
    for actor in (alice, bob, carol):
        await (await actor.slash("apply log", company="Acme")).reply()
    await update(alice, "1", "interviewing")
    named = await update(bob, "1", "interviewing")
    await update(bob, "1", "offer")
    await update(carol, "1", "screening")
    preview = await (await bob.click(named, label="Share the good news")).reply()
    preview = await (await bob.click(preview, label="Use my name")).reply()
    await (await bob.click(preview, label="Post it")).reply()
    await (await world.actor(world.admin).slash("support nudge-now", kind="digest")).reply()
    [digest] = [m for m in world.emu.channel_messages(world.support_id)
                if "The group's week" in text_of(m)]
    text = text_of(digest)
    today = local_today(world.clock.now(), "UTC")
    first = today - timedelta(days=6)
    days = f"{first:%a} {first.day} – {today:%a} {today.day} {today:%b}"
    if first.month != today.month:
        days = f"{first:%a} {first.day} {first:%b} – {today:%a} {today.day} {today:%b}"
    assert f"Here's what the group did together in the last 7 days ({days}):" in text
    assert "• 2 interviews reached\n• 1 offer received" in text
    assert f"<@{world.bob}>" in text
    assert f"<@{world.alice}>" not in text and f"<@{world.carol}>" not in text
