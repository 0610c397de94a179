import json
import re
from datetime import timedelta

import pytest

from bot.db.repositories.privacy import NOT_PERSONAL, PERSONAL_TABLES
from bot.errors import NotAllowed
from bot.services.privacy import ConfirmationExpired, PrivacyService, describe_counts
from tests.backend import (
    foreign_key_parents,
    insertion_order,
    integrity_problems,
    refuse_deletes,
    table_columns,
)

ALICE, BOB, CAROL = 1001, 1002, 1003
GUILD, SUPPORT = 500, 600
T = "2026-11-20T10:00:00+00:00"
USER_COLUMN = re.compile(r"(^|_)(user|sender|recipient|member|author|owner)_id$")


async def schema(db) -> dict[str, list[str]]:
    return {table: list(columns) for table, columns in (await table_columns(db)).items()}


async def rows_about(db, user_id) -> dict[str, list[dict]]:
    """Straight from the schema, independent of the map under test."""
    found = {}
    for table, columns in (await schema(db)).items():
        user_cols = [c for c in columns if USER_COLUMN.search(c)]
        if user_cols:
            where = " OR ".join(f"{c} = ?" for c in user_cols)
            found[table] = [dict(r) for r in await db.fetchall(
                f"SELECT * FROM {table} WHERE {where} ORDER BY {await insertion_order(db, table)}",
                [user_id] * len(user_cols))]
    return found


async def all_rows(db) -> dict[str, list[dict]]:
    return {t: [dict(r) for r in await db.fetchall(
        f"SELECT * FROM {t} ORDER BY {await insertion_order(db, t)}")] for t in await schema(db)}


async def seed_member(tx, user_id, company, *, named_message=None):
    """One of everything for a member: entries, a reflection edited once, feedback, an
    application, a named and an anonymous share, timers, a waiting notice, settings."""
    rej = await tx.insert(
        "INSERT INTO rejections (user_id, guild_id, company, role, stage, occurred_on, note,"
        " share, created_at) VALUES (?, ?, ?, 'Backend', 'onsite', '2026-11-19', ?, 'named', ?)",
        (user_id, GUILD, company, f"private note of {company}", T))
    rej2 = await tx.insert(
        "INSERT INTO rejections (user_id, guild_id, company, occurred_on, share, created_at)"
        " VALUES (?, NULL, ?, '2026-11-18', 'anonymous', ?)", (user_id, company + " Two", T))
    refl = await tx.insert(
        "INSERT INTO reflections (rejection_id, user_id, struggled, unprepared, differently,"
        " went_well, practise, created_at, updated_at) VALUES (?, ?, ?, 'u', 'd', 'w', 'p', ?, ?)",
        (rej, user_id, f"{company} system design", T, T))
    await tx.insert(
        "INSERT INTO reflection_history (reflection_id, user_id, struggled, unprepared,"
        " differently, went_well, practise, written_at, replaced_at)"
        " VALUES (?, ?, ?, 'u0', 'd0', 'w0', 'p0', ?, ?)",
        (refl, user_id, f"{company} first draft", T, T))
    await tx.insert(
        "INSERT INTO feedback_requests (rejection_id, user_id, interviewer, tone, sent_at,"
        " received_at, feedback_text, created_at) VALUES (?, ?, 'Pat', 'warm', ?, ?, ?, ?)",
        (rej, user_id, T, T, f"{company} feedback text", T))
    app = await tx.insert(
        "INSERT INTO applications (user_id, guild_id, company, applied_on, created_at, number)"
        " VALUES (?, ?, ?, '2026-11-20', ?, 1)", (user_id, GUILD, company + " Apply", T))
    await tx.insert(
        "INSERT INTO application_status_history (application_id, user_id, status, changed_on,"
        " created_at) VALUES (?, ?, 'rejected', '2026-11-21', ?)", (app, user_id, T))
    await tx.insert(
        "INSERT INTO application_rejections (application_id, rejection_id, user_id, created_at)"
        " VALUES (?, ?, ?, ?)", (app, rej, user_id, T))
    await tx.insert(
        "INSERT INTO pending_imports (user_id, kind, rows, created_at, expires_at)"
        " VALUES (?, 'import', '[]', ?, ?)", (user_id, T, T))
    await tx.insert(       # good news shared anonymously, still waiting for its moment
        "INSERT INTO win_shares (application_id, user_id, guild_id, status, named, channel_id,"
        " post_at, created_at) VALUES (?, ?, ?, 'interviewing', 0, ?, ?, ?)",
        (app, user_id, GUILD, SUPPORT, T, T))
    named = await tx.insert(
        "INSERT INTO shares (rejection_id, user_id, guild_id, channel_id, message_id, named,"
        " created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
        (rej, user_id, GUILD, SUPPORT, named_message, T))
    await tx.insert(
        "INSERT INTO shares (rejection_id, user_id, guild_id, channel_id, message_id, named,"
        " created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
        (rej2, user_id, GUILD, SUPPORT, (named_message or 0) + 1, T))
    await tx.insert(
        "INSERT INTO timers (user_id, kind, subject_id, due_at, status, created_at)"
        " VALUES (?, 'reflection_prompt', ?, ?, 'pending', ?)", (user_id, rej2, T, T))
    await tx.insert(
        "INSERT INTO timers (user_id, kind, subject_id, due_at, status, created_at)"
        " VALUES (?, 'feedback_followup', ?, ?, 'sent', ?)", (user_id, rej, T, T))
    await tx.insert(
        "INSERT INTO pending_notices (user_id, kind, subject_id, body, created_at)"
        " VALUES (?, 'reflection_prompt', ?, '{}', ?)", (user_id, rej2, T))
    await tx.insert(
        "INSERT INTO outbox (user_id, lane, nonce, payload, give_up_at, created_at)"
        " VALUES (?, 'onward', ?, '{}', ?, ?)", (user_id, f"n{user_id}{company}", T, T))
    await tx.execute(
        "INSERT INTO member_settings (user_id, timezone, weekly_goal, updated_at)"
        " VALUES (?, 'Europe/Paris', 5, ?)", (user_id, T))
    await tx.execute(
        "INSERT INTO note_blocks (guild_id, member_id, blocked_by, created_at) VALUES (?, ?, 1, ?)",
        (GUILD, user_id, T))
    await tx.execute("INSERT INTO digest_thanks (message_id, user_id) VALUES (?, ?)",
                     (DIGEST, user_id))
    return named


DIGEST = 7001
DIGEST_TEXT = ("Here's what the group did together in the last 7 days:\n"
               "• 3 applications sent\n\n"
               f"Thank you for showing up openly this week: <@{ALICE}>, <@{BOB}>, <@{CAROL}>.\n\n"
               "Every one of these took effort.")


async def note(tx, sender, recipient, text, *, anonymous, share_id=None):
    return await tx.insert(
        "INSERT INTO encouragements (sender_id, recipient_id, guild_id, share_id, message,"
        " anonymous, delivered_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (sender, recipient, GUILD, share_id, text, int(anonymous), T, T))


@pytest.fixture
async def seeded(db):
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO digest_posts (message_id, guild_id, channel_id, title, description,"
            " footer, created_at) VALUES (?, ?, ?, 'Weekly digest', ?, NULL, ?)",
            (DIGEST, GUILD, SUPPORT, DIGEST_TEXT, T))
        alice_share = await seed_member(tx, ALICE, "Acme", named_message=9001)
        bob_share = await seed_member(tx, BOB, "Globex", named_message=9101)
        await seed_member(tx, CAROL, "Initech", named_message=9201)
        await note(tx, BOB, ALICE, "bob cheers alice anonymously", anonymous=True,
                   share_id=alice_share)
        await note(tx, CAROL, ALICE, "carol cheers alice by name", anonymous=False,
                   share_id=alice_share)
        await note(tx, ALICE, BOB, "alice cheers bob anonymously", anonymous=True,
                   share_id=bob_share)
        await note(tx, CAROL, BOB, "carol cheers bob", anonymous=False, share_id=bob_share)
        await tx.execute(
            "INSERT INTO guild_config (guild_id, support_channel_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)", (GUILD, SUPPORT, T, T))
        await tx.execute(
            "INSERT INTO deliveries (guild_id, kind, slot, status, created_at)"
            " VALUES (?, 'digest', '2026-11-20T17:00', 'posted', ?)", (GUILD, T))
    return db


async def test_map_covers_every_table_with_a_user_id(db):
    tables = await schema(db)
    personal = {t for t, cols in tables.items() if any(USER_COLUMN.search(c) for c in cols)}
    assert personal == set(PERSONAL_TABLES), (
        "every table with a user-id column must be in PERSONAL_TABLES "
        "(bot/db/repositories/privacy.py)"
    )
    for table, columns in tables.items():
        if table in PERSONAL_TABLES:
            assert set(PERSONAL_TABLES[table]) == {c for c in columns if USER_COLUMN.search(c)}
        else:
            assert table in NOT_PERSONAL, f"{table} is neither personal nor declared not personal"
    assert set(tables) == set(PERSONAL_TABLES) | NOT_PERSONAL


async def test_map_deletes_children_before_parents(db):
    order = list(PERSONAL_TABLES)
    for table in order:
        for parent in await foreign_key_parents(db, table):
            if parent in PERSONAL_TABLES:
                assert order.index(table) < order.index(parent), (table, parent)


async def test_seed_touches_every_personal_table(seeded):
    about = await rows_about(seeded, ALICE)
    assert all(about[table] for table in PERSONAL_TABLES), {t: len(r) for t, r in about.items()}


async def test_export_holds_every_row_about_the_member(seeded, clock):
    export = await PrivacyService(seeded, clock).export(ALICE)
    document = json.loads(export.content.decode("utf-8"))
    assert document["format"] == "onward-export"
    assert document["user_id"] == ALICE
    assert export.filename == f"onward-export-{ALICE}-20261125.json"
    expected = await rows_about(seeded, ALICE)
    assert set(document["tables"]) == set(expected)
    for table, rows in expected.items():
        exported = document["tables"][table]
        if table != "encouragements":
            assert exported == rows, table
        else:
            assert [r["id"] for r in exported] == [r["id"] for r in rows]
    assert export.counts["encouragements"] == 3
    assert export.counts["reflection_history"] == 1
    text = export.content.decode("utf-8")
    for other in ("Globex", "Initech", "carol cheers bob"):
        assert other not in text
    for own in ("private note of Acme", "Acme first draft", "Acme feedback text", "Acme Apply",
                "alice cheers bob anonymously", "bob cheers alice anonymously"):
        assert own in text


async def test_export_keeps_anonymous_senders_anonymous(seeded, clock):
    document = json.loads((await PrivacyService(seeded, clock).export(ALICE)).content)
    notes = {n["message"]: n for n in document["tables"]["encouragements"]}
    assert notes["bob cheers alice anonymously"]["sender_id"] is None
    assert notes["carol cheers alice by name"]["sender_id"] == CAROL
    assert notes["alice cheers bob anonymously"]["sender_id"] == ALICE
    assert notes["alice cheers bob anonymously"]["recipient_id"] == BOB
    assert str(BOB) not in json.dumps(notes["bob cheers alice anonymously"])


async def test_export_of_a_stranger_is_empty(seeded, clock):
    export = await PrivacyService(seeded, clock).export(4242)
    document = json.loads(export.content)
    assert export.total == 0
    assert all(rows == [] for rows in document["tables"].values())


async def test_delete_removes_every_row_and_nothing_else(seeded, clock):
    before = await all_rows(seeded)
    deletion = await PrivacyService(seeded, clock).delete_everything(ALICE)

    assert all(rows == [] for rows in (await rows_about(seeded, ALICE)).values())
    after = await all_rows(seeded)

    def unrelated(table, rows):
        cols = [c for c in (rows[0].keys() if rows else []) if USER_COLUMN.search(c)]
        return [r for r in rows if ALICE not in {r[c] for c in cols}]

    # The one digest that thanked her by name now thanks only the others.
    [digest] = after.pop("digest_posts")
    assert digest["description"] == DIGEST_TEXT.replace(f"<@{ALICE}>, ", "")
    assert [d.description for d in deletion.digests] == [digest["description"]]
    before.pop("digest_posts")
    for table, rows in before.items():
        assert after[table] == unrelated(table, rows), table
    assert after["guild_config"] and after["deliveries"]
    assert deletion.counts["rejections"] == 2
    assert deletion.counts["encouragements"] == 3
    assert deletion.counts["reflection_history"] == 1
    assert deletion.counts["note_blocks"] == 1 and deletion.counts["digest_thanks"] == 1
    # Her posts of both kinds, to delete from the channel.
    assert [(p.channel_id, p.message_id, p.named) for p in deletion.posts] == [
        (SUPPORT, 9001, True), (SUPPORT, 9002, False)]
    assert await integrity_problems(seeded) == []


async def test_notes_alice_sent_are_gone_and_bob_keeps_the_others(seeded, clock):
    await PrivacyService(seeded, clock).delete_everything(ALICE)
    left = [r["message"] for r in await seeded.fetchall(
        "SELECT message FROM encouragements WHERE recipient_id = ? ORDER BY id", (BOB,))]
    assert left == ["carol cheers bob"]


async def test_a_waiting_note_alice_sent_leaves_bobs_notices(seeded, clock):
    async with seeded.transaction() as tx:
        waiting = await note(tx, ALICE, BOB, "hang in there, from alice", anonymous=False)
        await tx.insert(
            "INSERT INTO pending_notices (user_id, kind, subject_id, body, created_at)"
            " VALUES (?, 'encouragement', ?, ?, ?)",
            (BOB, waiting, json.dumps({"content": "alice sent: hang in there, from alice"}), T))
    bobs_other_notices = await seeded.fetchall(
        "SELECT * FROM pending_notices WHERE user_id = ? AND kind != 'encouragement'", (BOB,))
    await PrivacyService(seeded, clock).delete_everything(ALICE)
    left = await seeded.fetchall("SELECT * FROM pending_notices WHERE user_id = ?", (BOB,))
    assert [dict(r) for r in left] == [dict(r) for r in bobs_other_notices]
    assert "hang in there" not in json.dumps([dict(r) for r in await all_notices(seeded)])


async def all_notices(db):
    return await db.fetchall("SELECT * FROM pending_notices")


async def test_delete_is_all_or_nothing(seeded, clock):
    before = await all_rows(seeded)
    await refuse_deletes(seeded, "rejections", "refused")
    with pytest.raises(Exception, match="refused"):
        await PrivacyService(seeded, clock).delete_everything(ALICE)
    assert await all_rows(seeded) == before


async def test_delete_twice_is_harmless(seeded, clock):
    service = PrivacyService(seeded, clock)
    await service.delete_everything(ALICE)
    again = await service.delete_everything(ALICE)
    assert again.total == 0 and again.posts == [] and again.digests == []
    assert await service.what_would_go(ALICE) == {t: 0 for t in PERSONAL_TABLES}


async def test_summary_counts_before_deleting(seeded, clock):
    counts = await PrivacyService(seeded, clock).what_would_go(ALICE)
    summary = describe_counts(counts)
    assert summary.startswith("2 rejection entries, 1 reflection, 1 earlier reflection version")
    assert summary.endswith(" and 1 settings record")
    assert describe_counts({t: 0 for t in counts}) == "nothing"
    assert describe_counts({"applications": 1}) == "1 application"


async def test_confirmation_is_for_its_owner_and_expires(db, clock):
    service = PrivacyService(db, clock)
    deadline = int(service.deadline().timestamp())
    assert deadline == int((clock.now() + timedelta(seconds=60)).timestamp())
    service.check_confirmation(owner_id=ALICE, clicker_id=ALICE, deadline_epoch=deadline)
    with pytest.raises(NotAllowed):
        service.check_confirmation(owner_id=ALICE, clicker_id=BOB, deadline_epoch=deadline)
    clock.advance(timedelta(seconds=61))
    with pytest.raises(ConfirmationExpired, match="expired"):
        service.check_confirmation(owner_id=ALICE, clicker_id=ALICE, deadline_epoch=deadline)
