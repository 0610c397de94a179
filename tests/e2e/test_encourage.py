"""Sharing a rejection with the group and sending encouragement, as members do it."""

from __future__ import annotations

import json

EPHEMERAL = 64


async def set_up_support(world):
    admin = world.actor(world.admin)
    await (await admin.slash("support setup", channel=world.support_id)).reply()


def support_posts(world):
    return world.emu.channel_messages(world.support_id)


def text_of(message) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "",
                  (embed.get("footer") or {}).get("text") or ""]
    return "\n".join(parts)


async def log_shared(world, user_id, share, **options):
    member = world.actor(user_id)
    res = await member.slash("rejection log", company="Acme", stage="onsite",
                             note="the interviewer was dismissive", share=share, **options)
    reply = await res.reply()
    assert "it will be posted" in reply.content
    return res, await res.wait_followup(1)


async def test_share_anonymous_posts_without_name_or_note(world):
    await set_up_support(world)
    _, confirmation = await log_shared(world, world.alice, "anonymous")
    assert confirmation.flags & EPHEMERAL
    assert f"Posted to <#{world.support_id}> anonymously" in confirmation.content
    assert "Preview: Someone in the group got a no from **Acme** at the onsite stage." in \
        confirmation.content
    [post] = support_posts(world)
    shown = text_of(post)
    assert "Someone in the group got a no from **Acme** at the onsite stage." in shown
    assert "alice" not in shown and str(world.alice) not in shown
    assert "dismissive" not in shown
    assert [b["label"] for b in post.buttons] == ["Send encouragement", "Send anonymously"]
    assert post.allowed_mentions == {"parse": []}
    row = await world.db.fetchone("SELECT user_id, guild_id, named, message_id FROM shares")
    assert tuple(row) == (world.alice, world.guild_id, 0, post.id)


async def test_share_named_shows_the_authors_name(world):
    await set_up_support(world)
    _, confirmation = await log_shared(world, world.alice, "named")
    assert "with your name" in confirmation.content
    [post] = support_posts(world)
    assert "**alice** got a no from **Acme**" in text_of(post)
    assert "dismissive" not in text_of(post)
    assert post.mentioned_user_ids == []


async def test_private_entries_never_reach_a_channel(world):
    await set_up_support(world)
    res = await world.actor(world.alice).slash("rejection log", company="Acme", note="secret")
    await res.reply()
    await (await world.actor(world.admin).slash("support nudge-now", kind="digest")).reply()
    assert res.followups == []
    posts = support_posts(world)
    assert len(posts) == 1 and "Acme" not in text_of(posts[0])
    assert "secret" not in text_of(posts[0])


async def test_share_button_posts_anonymously_with_a_preview_and_only_once(world):
    await set_up_support(world)
    alice = world.actor(world.alice)
    logged = await (await alice.slash("rejection log", company="Globex",
                                      stage="technical")).reply()
    shared = await (await alice.click(logged, label="Share with the group")).reply()
    assert shared.flags & EPHEMERAL
    assert "anonymously" in shared.content
    assert "Preview: Someone in the group got a no from **Globex** at the technical stage." in \
        shared.content
    assert len(support_posts(world)) == 1
    again = await (await alice.click(logged, label="Share with the group")).reply()
    assert "already shared" in again.content
    assert len(support_posts(world)) == 1


async def test_share_button_keeps_the_named_choice(world):
    await set_up_support(world)
    res, _ = await log_shared(world, world.bob, "named")
    # Already posted when logged; pressing the button afterwards is refused kindly.
    again = await (await world.actor(world.bob).click(await res.reply(),
                                                      label="Share with the group")).reply()
    assert "already shared" in again.content
    assert "**bob** got a no" in text_of(support_posts(world)[0])


async def test_sharing_before_a_support_channel_exists_says_so(world):
    alice = world.actor(world.alice)
    res = await alice.slash("rejection log", company="Acme", share="anonymous")
    note = await res.wait_followup(1)
    assert note.flags & EPHEMERAL
    assert "no support channel yet" in note.content
    button = await (await alice.click(await res.reply(), label="Share with the group")).reply()
    assert "no support channel yet" in button.content
    assert await world.db.scalar("SELECT COUNT(*) FROM shares") == 0


async def test_send_encouragement_button_opens_a_modal_and_dms_the_author(world):
    await set_up_support(world)
    await log_shared(world, world.alice, "anonymous")
    [post] = support_posts(world)
    bob = world.actor(world.bob)
    opened = await bob.click(post, label="Send encouragement")
    modal = await opened.modal()
    assert modal["title"] == "Send a note of encouragement"
    dm = world.emu.wait_for_message(dm_user_id=world.alice, timeout=5)
    done = await (await bob.submit_modal(opened, {"Your note (they get it privately)":
                                                  "Been there. You'll land somewhere great."})
                  ).reply()
    assert done.flags & EPHEMERAL
    assert "Sent with your name" in done.content
    assert "alice" not in done.content           # the sender doesn't learn who shared
    received = await dm
    assert received.content.startswith("**bob** in Job Hunt Circle sent you a note")
    assert "> Been there. You'll land somewhere great." in received.content
    row = await world.db.fetchone(
        "SELECT sender_id, recipient_id, anonymous, delivered_at, share_id FROM encouragements")
    assert (row["sender_id"], row["recipient_id"], row["anonymous"]) == (world.bob, world.alice, 0)
    assert row["delivered_at"] is not None and row["share_id"] is not None


async def test_send_anonymously_hides_the_sender(world):
    await set_up_support(world)
    await log_shared(world, world.alice, "named")
    [post] = support_posts(world)
    carol = world.actor(world.carol)
    opened = await carol.click(post, label="Send anonymously")
    dm = world.emu.wait_for_message(dm_user_id=world.alice, timeout=5)
    await (await carol.submit_modal(opened, {"Your note (they get it privately)":
                                             "Proud of you for sharing."})).reply()
    received = await dm
    assert received.content.startswith("Someone in Job Hunt Circle sent you a note")
    assert "carol" not in received.content
    assert await world.db.scalar("SELECT anonymous FROM encouragements") == 1


async def test_the_author_cannot_encourage_their_own_post(world):
    await set_up_support(world)
    await log_shared(world, world.alice, "anonymous")
    [post] = support_posts(world)
    refused = await (await world.actor(world.alice).click(post,
                                                          label="Send encouragement")).reply()
    assert refused.flags & EPHEMERAL
    assert "your own post" in refused.content


async def test_encourage_command_dms_the_member(world):
    bob = world.actor(world.bob)
    dm = world.emu.wait_for_message(dm_user_id=world.alice, timeout=5)
    reply = await (await bob.slash("encourage", member=world.alice,
                                   message="@everyone you've got this")).reply()
    assert reply.flags & EPHEMERAL
    assert "Sent to alice by DM" in reply.content
    received = await dm
    assert "**bob** in Job Hunt Circle" in received.content
    assert received.mentioned_user_ids == []
    assert received.allowed_mentions == {"parse": []}
    anon_dm = world.emu.wait_for_message(dm_user_id=world.alice, timeout=5)
    await (await bob.slash("encourage", member=world.alice, message="keep going",
                           anonymous=True)).reply()
    assert (await anon_dm).content.startswith("Someone in Job Hunt Circle")


async def test_encourage_refuses_yourself_and_bots(world):
    alice = world.actor(world.alice)
    myself = await (await alice.slash("encourage", member=world.alice, message="hi")).reply()
    assert "That's you" in myself.content
    bot = await (await alice.slash("encourage", member=world.emu.bot_user_id,
                                   message="hi")).reply()
    assert "Bots can't read encouragement" in bot.content
    assert await world.db.scalar("SELECT COUNT(*) FROM encouragements") == 0


async def test_encourage_with_dms_closed_waits_and_mentions_them_in_the_support_channel(world):
    await set_up_support(world)
    world.emu.set_dms_closed(world.alice, True)
    bob = world.actor(world.bob)
    reply = await (await bob.slash("encourage", member=world.alice,
                                   message="the right team is out there")).reply()
    assert "DMs are closed" in reply.content
    assert "next time" in reply.content
    assert world.emu.dm_messages(world.alice) == []
    row = await world.db.fetchone("SELECT id, delivered_at FROM encouragements")
    assert row["delivered_at"] is None
    notice = await world.db.fetchone(
        "SELECT user_id, kind, subject_id, body FROM pending_notices")
    assert (notice["user_id"], notice["kind"], notice["subject_id"]) == (
        world.alice, "encouragement", row["id"])
    assert "the right team is out there" in json.loads(notice["body"])["content"]
    [mention] = support_posts(world)
    assert mention.content.startswith(f"<@{world.alice}>")
    assert "the right team is out there" not in mention.content
    assert mention.mentioned_user_ids == [world.alice]
    assert mention.allowed_mentions.get("parse") == []
    assert [int(u) for u in mention.allowed_mentions.get("users")] == [world.alice]
    # At Alice's next command the note is shown to her, privately.
    next_command = await world.actor(world.alice).slash("apply goal", per_week=2)
    shown = await next_command.wait_followup(1)
    assert shown.flags & EPHEMERAL
    assert "**bob** in Job Hunt Circle sent you a note" in shown.content
    assert "> the right team is out there" in shown.content


async def test_closed_dms_on_an_anonymous_share_never_unmask_the_author(world):
    await set_up_support(world)
    await log_shared(world, world.alice, "anonymous")
    world.emu.set_dms_closed(world.alice, True)
    [post] = support_posts(world)
    bob = world.actor(world.bob)
    opened = await bob.click(post, label="Send encouragement")
    done = await (await bob.submit_modal(opened, {"Your note (they get it privately)":
                                                  "hugs"})).reply()
    assert "DMs are closed" in done.content
    assert len(support_posts(world)) == 1            # no mention of the anonymous author
    assert await world.db.scalar("SELECT COUNT(*) FROM pending_notices") == 1


async def test_sharing_from_a_dm_says_it_happens_in_a_server(world):
    await set_up_support(world)
    alice = world.actor(world.alice, dm=True)
    res = await alice.slash("rejection log", company="Acme", share="named")
    note = await res.wait_followup(1)
    assert "Sharing happens in a server" in note.content
    assert support_posts(world) == []
