"""`python -m bot db copy`: every row, both ways, refusing a target that holds anything."""

from __future__ import annotations

import asyncio

import pytest

from bot.__main__ import main
from bot.db.backends import open_database
from bot.db.copy import CopyRefused, copy_database
from bot.db.migrate import migrate
from tests.backend import ON_POSTGRESQL, drop_database, fresh_postgresql_url
from tests.services.test_privacy import (
    ALICE,
    BOB,
    CAROL,
    DIGEST,
    DIGEST_TEXT,
    GUILD,
    SUPPORT,
    T,
    note,
    seed_member,
)

needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="copies to and from PostgreSQL: set ONWARD_TEST_DATABASE_URL")

UNICODE = "Zoë & Ōkami 株式会社 — “quotes” 'and' \\ 🎉"


async def fill(db) -> None:
    """Rows in every table: three members' whole journals, a server with its schedules and
    posts, plus unicode, NULLs and an encouragement rotation whose order matters."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO digest_posts (message_id, guild_id, channel_id, title, description,"
            " footer, created_at) VALUES (?, ?, ?, 'Weekly digest', ?, NULL, ?)",
            (DIGEST, GUILD, SUPPORT, DIGEST_TEXT, T))
        alice_share = await seed_member(tx, ALICE, UNICODE, named_message=9001)
        bob_share = await seed_member(tx, BOB, "Globex", named_message=9101)
        await seed_member(tx, CAROL, "Initech", named_message=9201)
        await note(tx, BOB, ALICE, "bob cheers alice 💪", anonymous=True, share_id=alice_share)
        await note(tx, CAROL, BOB, "carol cheers bob", anonymous=False, share_id=bob_share)
        await note(tx, CAROL, BOB, "no share any more", anonymous=False, share_id=None)
        await tx.execute(
            "INSERT INTO guild_config (guild_id, support_channel_id, timezone, created_at,"
            " updated_at) VALUES (?, ?, 'Europe/Berlin', ?, ?)", (GUILD, SUPPORT, T, T))
        await tx.execute(
            "INSERT INTO nudge_schedules (guild_id, kind, days, time, enabled, updated_at)"
            " VALUES (?, 'encouragement', 'mon,wed', '09:30', 1, ?)", (GUILD, T))
        await tx.execute(
            "INSERT INTO nudge_schedules (guild_id, kind, days, time, enabled, updated_at)"
            " VALUES (?, 'digest', 'fri', '17:00', 0, ?)", (GUILD, T))
        await tx.execute(
            "INSERT INTO deliveries (guild_id, kind, slot, status, created_at)"
            " VALUES (?, 'digest', '2026-11-20T17:00', 'posted', ?)", (GUILD, T))
        for index in (7, 2, 5):     # insertion order, not key order, is what rotation keeps
            await tx.execute(
                "INSERT INTO encouragement_rotation (guild_id, line_index, used_at)"
                " VALUES (?, ?, ?)", (GUILD, index, T))
        await tx.execute("INSERT INTO meta (key, value) VALUES ('commands', ?)", (UNICODE,))


async def tables_of(db) -> list[str]:
    if db.dialect == "postgresql":
        rows = await db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'")
    else:
        rows = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(str(r[0]) for r in rows)


async def dump(db) -> dict[str, list[dict]]:
    """Every row of every table, as plain dicts in a backend-neutral order (the rotation in
    insertion order: SQLite's rowid, PostgreSQL's seq)."""
    out = {}
    for table in await tables_of(db):
        if table == "encouragement_rotation":
            order = "seq" if db.dialect == "postgresql" else "rowid"
            rows = await db.fetchall(f"SELECT guild_id, line_index, used_at FROM {table}"
                                     f" ORDER BY {order}")
            out[table] = [dict(r) for r in rows]
            continue
        rows = [dict(r) for r in await db.fetchall(f"SELECT * FROM {table}")]
        out[table] = sorted(rows, key=lambda r: repr(sorted(r.items())))
    return out


async def snapshot(url: str) -> dict[str, list[dict]]:
    db = await open_database(url)
    try:
        return await dump(db)
    finally:
        await db.close()


async def sqlite_journal(path) -> str:
    url = f"sqlite:///{path}"
    db = await open_database(url)
    try:
        await migrate(db)
        await fill(db)
    finally:
        await db.close()
    return url


def same_types(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> None:
    for table, rows in a.items():
        for left, right in zip(rows, b[table], strict=True):
            assert {k: type(v) for k, v in left.items()} == \
                {k: type(v) for k, v in right.items()}, table


async def test_the_seed_has_rows_in_every_table(tmp_path):
    source = await snapshot(await sqlite_journal(tmp_path / "from.db"))
    assert all(source.values()), [t for t, rows in source.items() if not rows]


async def test_sqlite_to_sqlite_copies_every_row_as_stored(tmp_path):
    source_url = await sqlite_journal(tmp_path / "from.db")
    lines: list[str] = []
    report = await copy_database(source_url, f"sqlite:///{tmp_path / 'to.db'}", say=lines.append)
    source, target = await snapshot(source_url), await snapshot(f"sqlite:///{tmp_path / 'to.db'}")
    assert target == source
    same_types(source, target)
    assert report.counts == {t: (len(rows), len(rows)) for t, rows in source.items()}
    # The counts are printed per table, side by side.
    assert any(line.split() == ["rejections", "6", "6"] for line in lines), lines
    assert lines[-1].startswith(f"Done: {report.rows:,} rows in {len(source)} tables")


@needs_postgresql
async def test_sqlite_to_postgresql_and_back(tmp_path):
    source_url = await sqlite_journal(tmp_path / "from.db")
    pg_url = await fresh_postgresql_url()
    try:
        await copy_database(source_url, pg_url, say=lambda _: None)
        source, on_pg = await snapshot(source_url), await snapshot(pg_url)
        assert {t: rows for t, rows in on_pg.items()} == source
        same_types(source, on_pg)
        assert on_pg["meta"] == [{"key": "commands", "value": UNICODE}]
        assert [r["line_index"] for r in on_pg["encouragement_rotation"]] == [7, 2, 5]

        # The next row PostgreSQL numbers itself does not collide with a copied id.
        pg = await open_database(pg_url)
        try:
            top = await pg.scalar("SELECT MAX(id) FROM rejections")
            async with pg.transaction() as tx:
                new_id = await tx.insert(
                    "INSERT INTO rejections (user_id, company, occurred_on, share, created_at)"
                    " VALUES (?, 'After the move', '2026-11-25', 'private', ?)", (ALICE, T))
            assert new_id == top + 1
            async with pg.transaction() as tx:
                await tx.execute("DELETE FROM rejections WHERE id = ?", (new_id,))
        finally:
            await pg.close()

        back_url = f"sqlite:///{tmp_path / 'back.db'}"
        await copy_database(pg_url, back_url, say=lambda _: None)
        back = await snapshot(back_url)
        assert back == source
        same_types(source, back)
    finally:
        await drop_database(pg_url)


@needs_postgresql
async def test_refuses_a_postgresql_target_with_rows(tmp_path):
    source_url = await sqlite_journal(tmp_path / "from.db")
    pg_url = await fresh_postgresql_url()
    try:
        pg = await open_database(pg_url)
        try:
            async with pg.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        finally:
            await pg.close()
        with pytest.raises(CopyRefused, match=r"is not empty \(rows in meta\)"):
            await copy_database(source_url, pg_url, say=lambda _: None)
        assert (await snapshot(pg_url))["rejections"] == []
    finally:
        await drop_database(pg_url)


async def test_refuses_a_target_with_rows_and_leaves_it_alone(tmp_path, capsys):
    source_url = await sqlite_journal(tmp_path / "from.db")
    target_url = f"sqlite:///{tmp_path / 'to.db'}"
    db = await open_database(target_url)
    try:
        await migrate(db)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO member_settings (user_id, timezone, weekly_goal, updated_at)"
                " VALUES (42, 'UTC', 3, ?)", (T,))
    finally:
        await db.close()
    before = await snapshot(target_url)

    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(main, ["db", "copy", source_url, target_url])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "is not empty (rows in member_settings)" in err
    assert "create a fresh one" in err
    assert await snapshot(target_url) == before


async def test_command_line_copies_and_prints_progress_for_big_tables(tmp_path, capsys):
    source_url = await sqlite_journal(tmp_path / "from.db")
    db = await open_database(source_url)
    try:
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO rejections (user_id, company, occurred_on, share, created_at)"
                " VALUES (?, ?, '2026-11-01', 'private', ?)",
                [(ALICE, f"Company {i}", T) for i in range(25_000)])
    finally:
        await db.close()
    target_url = f"sqlite:///{tmp_path / 'to.db'}"
    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(main, ["db", "copy", source_url, target_url, "--batch", "4000"])
    assert exited.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert "rejections: 25,006 rows" in out
    assert "  rejections: 12,000 / 25,006" in out
    assert "  rejections: 24,000 / 25,006" in out
    assert "  rejections: 16,000 / 25,006" not in out     # every 10,000 rows, not each batch
    assert any(line.split() == ["rejections", "25,006", "25,006"] for line in out)
    assert await snapshot(target_url) == await snapshot(source_url)


async def test_same_url_twice_is_refused(tmp_path):
    url = await sqlite_journal(tmp_path / "from.db")
    with pytest.raises(CopyRefused, match="the same database"):
        await copy_database(url, url, say=lambda _: None)
