"""/apply export and /apply import: a CSV file out, a CSV file (ours or a tracker's) in."""

from __future__ import annotations

import csv
import io
import json

EPHEMERAL = 64
HEADER = "number,date applied,company,role,link,status,status changed on,note"


async def count(world, table: str = "applications") -> int:
    return await world.db.scalar(f"SELECT COUNT(*) FROM {table}")


async def snapshot(world) -> dict[str, list[tuple]]:
    tables = ("applications", "application_status_history", "pending_imports")
    return {t: [tuple(r) for r in await world.db.fetchall(f"SELECT * FROM {t}")]
            for t in tables}


async def export(actor, **options) -> tuple[str, bytes, object]:
    reply = await (await actor.slash("apply export", **options)).reply()
    assert reply.flags & EPHEMERAL
    [(filename, data)] = reply.attachments
    return filename, data, reply


async def upload(world, actor, name: str, data: bytes):
    res = await actor.slash("apply import",
                            file=world.emu.upload(name, data, content_type="text/csv"))
    reply = await res.reply()
    assert reply.flags & EPHEMERAL
    return reply


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


async def seed_alice(world):
    alice = world.actor(world.alice)
    for company, options in [
        ("Acme", {"role": "Data Engineer", "link": "https://jobs.acme.example/42",
                  "date": "2025-10-01"}),
        ("=HYPERLINK(\"https://evil.example\")", {"role": "-Analyst", "date": "2025-10-05"}),
        ("Globex, Inc.", {"role": 'Engineer "II"', "date": "2025-10-09"}),
        ("Initech", {"date": "2025-11-02"}),
    ]:
        await (await alice.slash("apply log", company=company, **options)).reply()
    await (await alice.slash("apply update", application="1", status="interviewing",
                             note="Line one\nline two")).reply()
    await (await alice.slash("apply update", application="3", status="rejected")).reply()
    return alice


async def test_export_is_a_private_csv_safe_for_spreadsheets(world):
    alice = await seed_alice(world)
    await (await world.actor(world.bob).slash("apply log", company="Bob's secret")).reply()
    filename, data, reply = await export(alice)
    assert "Your 4 applications as a CSV file" in reply.content
    assert filename.startswith("onward-applications-start-to-") and filename.endswith(".csv")
    assert data.decode("utf-8").startswith(HEADER + "\r\n")
    rows = rows_of(data)
    assert rows[0] == HEADER.split(",")
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert rows[1][1:6] == ["2025-10-01", "Acme", "Data Engineer",
                            "https://jobs.acme.example/42", "interviewing"]
    assert rows[1][7] == "Line one\nline two"
    # Formula-like cells are made text; commas and quotes survive the quoting.
    assert rows[2][2] == "'=HYPERLINK(\"https://evil.example\")" and rows[2][3] == "'-Analyst"
    assert rows[3][2:4] == ["Globex, Inc.", 'Engineer "II"'] and rows[3][5] == "rejected"
    assert b"Bob's secret" not in data
    # A period: from/to, inclusive, by the date applied.
    _, part, _ = await export(alice, **{"from": "2025-10-05", "to": "2025-10-09"})
    assert [r[0] for r in rows_of(part)[1:]] == ["2", "3"]
    _, empty, reply = await export(alice, **{"from": "2025-11-20"})
    assert rows_of(empty) == [HEADER.split(",")] and "only its header" in reply.content
    refused = await (await alice.slash("apply export", **{"from": "2025-11-01",
                                                          "to": "2025-10-01"})).reply()
    assert "after the “to” date" in refused.content and not refused.attachments


async def test_round_trip_export_then_import_into_a_fresh_member_gives_identical_rows(world):
    alice = await seed_alice(world)
    _, data, _ = await export(alice)
    carol = world.actor(world.carol)
    preview = await upload(world, carol, "mine.csv", data)
    assert "4 rows found" in preview.content and "• 4 to import" in preview.content
    assert [b["label"] for b in preview.buttons] == ["Import", "Cancel"]
    assert await world.db.scalar("SELECT COUNT(*) FROM applications WHERE user_id = ?",
                                 (world.carol,)) == 0
    done = await (await carol.click(preview, label="Import")).reply()
    assert done.content.startswith("Imported 4 applications.")
    assert [b["disabled"] for b in done.buttons] == [True, True]
    _, again, _ = await export(carol)
    assert again == data
    columns = "number, company, role, link, applied_on, status, status_changed_on, note"
    mine = await world.db.fetchall(
        f"SELECT {columns} FROM applications WHERE user_id = ? ORDER BY number", (world.alice,))
    theirs = await world.db.fetchall(
        f"SELECT {columns} FROM applications WHERE user_id = ? ORDER BY number", (world.carol,))
    assert [tuple(r) for r in theirs] == [tuple(r) for r in mine]
    # Importing the same file again finds only duplicates, and imports nothing.
    twice = await upload(world, carol, "mine.csv", data)
    assert "4 duplicates skipped" in twice.content and "same as your #1" in twice.content
    assert "Nothing to import" in twice.content and twice.buttons == []


TRACKER = (
    "Organization,Job Title,Applied On,Job Link,Stage,Salary\n"
    "Acme,Backend Engineer,2025-11-02,https://acme.example/jobs/1,Interview,100k\n"
    "Globex,Data Analyst,not a date,https://globex.example/2,Applied,\n"
    "Initech,,2025-11-04,,Wishlist,\n"
    "acme,backend engineer,2025-11-02,,Applied,\n"
    "Hooli,SRE,2025-11-05,ftp://hooli.example,Applied,\n"
)


async def test_a_tracker_export_with_a_bad_row_shows_its_line_and_imports_nothing_until_import(
        world):
    alice = world.actor(world.alice)
    before = await snapshot(world)
    preview = await upload(world, alice, "tracker.csv", TRACKER.encode("utf-8"))
    text = preview.content
    assert "5 rows found" in text and "• 2 to import" in text
    assert "line 3: I couldn't read the date" in text
    assert "line 6: The link must be a web address" in text
    assert "1 duplicate skipped" in text and "line 5 (same as an earlier line)" in text
    assert "line 4: status “Wishlist” is not one I know, so it comes in as applied" in text
    assert "Columns not used: Salary" in text
    assert (await snapshot(world))["applications"] == before["applications"]
    done = await (await alice.click(preview, label="Import")).reply()
    assert done.content.startswith("Imported 2 applications.")
    rows = await world.db.fetchall(
        "SELECT number, company, role, link, applied_on, status FROM applications"
        " ORDER BY number")
    assert [tuple(r) for r in rows] == [
        (1, "Acme", "Backend Engineer", "https://acme.example/jobs/1", "2025-11-02",
         "interviewing"),
        (2, "Initech", None, None, "2025-11-04", "applied"),
    ]
    # The import is done once: its buttons are greyed out.
    assert [b["disabled"] for b in done.buttons] == [True, True]
    # Reaching an interview through an import counts as a win too.
    assert await world.db.scalar(
        "SELECT COUNT(*) FROM application_status_history WHERE status = 'interviewing'") == 1


async def test_cancel_imports_nothing_and_a_restart_keeps_a_pending_import(world):
    alice = world.actor(world.alice)
    data = b"Company,Role,Date\nAcme,Backend,2025-11-02\n"
    first = await upload(world, alice, "a.csv", data)
    cancelled = await (await alice.click(first, label="Cancel")).reply()
    assert cancelled.content == "Cancelled; nothing was imported."
    assert await count(world) == 0
    second = await upload(world, alice, "a.csv", data)
    await world.restart()
    done = await (await world.actor(world.alice).click(second, label="Import")).reply()
    assert done.content.startswith("Imported 1 application.")
    assert await count(world) == 1


async def test_files_that_cannot_be_read_get_a_clear_sentence_and_change_nothing(world):
    alice = world.actor(world.alice)
    await (await alice.slash("apply log", company="Acme")).reply()
    before = await snapshot(world)
    cases = [
        ("big.csv", b"company\n" + b"x" * (10 * 1024 * 1024), "I read CSV files up to 1 MB"),
        ("formula.csv", b"company,role,date\n=cmd|' /C calc'!A0,Engineer,2025-11-02\n",
         "line 2: the company “=cmd"),
        ("empty.csv", b"", "That file is empty"),
        ("blank.csv", b"\r\n \r\n", "That file is empty"),
        ("dupes.csv", b"Company,Organization,Role\nAcme,Acme,Dev\n",
         "two columns for the same thing: “Company” and “Organization”"),
        ("same.csv", b"company,role,company\nAcme,Dev,Acme\n",
         "two columns for the same thing"),
        ("latin1.csv", "company\nCaf\u00e9 Soci\u00e9t\u00e9\n".encode("latin-1"),
         "isn't UTF-8 text"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "isn't UTF-8 text"),
        ("notes.txt", b"Just some notes about my week\nnothing tabular\n",
         "couldn't find a header row"),
        ("header-only.csv", b"company,role,date applied\n", "a header but no rows"),
        ("many.csv", b"company,date\n" + b"Acme,2025-11-02\n" * 5001, "up to 5,000"),
    ]
    for name, data, words in cases:
        reply = await upload(world, alice, name, data)
        assert words in reply.content, (name, reply.content)
        assert "Nothing" in reply.content or "nothing" in reply.content, (name, reply.content)
        assert reply.buttons == []
        assert await snapshot(world) == before, name


async def test_a_utf8_bom_and_day_first_dates_are_read(world):
    uk = world.emu.actor(world.alice, world.guild_id, locale="en-GB")
    data = "\ufeffCompany,Position,Date Applied,URL\nCafé Société,Chef,2/11/2025,\n"
    preview = await upload(world, uk, "bom.csv", data.encode("utf-8"))
    assert "• 1 to import" in preview.content
    await (await uk.click(preview, label="Import")).reply()
    row = await world.db.fetchone("SELECT company, role, applied_on FROM applications")
    assert tuple(row) == ("Café Société", "Chef", "2025-11-02")


async def test_a_semicolon_separated_file_from_a_spreadsheet_is_read(world):
    de = world.emu.actor(world.alice, world.guild_id, locale="de")
    data = "Firma;Position;Date applied;Employer notes\n".replace("Firma", "Employer")
    data += "Siemens;Entwickler;03.11.2025;\n"
    preview = await upload(world, de, "export.csv", data.encode("utf-8"))
    # A German member reads the preview in German.
    assert "• 1 zum Importieren" in preview.content, preview.content
    await (await de.click(preview, label="Importieren")).reply()
    row = await world.db.fetchone("SELECT company, role, applied_on FROM applications")
    assert tuple(row) == ("Siemens", "Entwickler", "2025-11-03")


async def test_privacy_export_includes_the_applications_csv(world):
    alice = await seed_alice(world)
    _, csv_file, _ = await export(alice)
    reply = await (await alice.slash("privacy export")).reply()
    [(_, data)] = reply.attachments
    document = json.loads(data)
    assert document["applications_csv"].encode("utf-8") == csv_file
    assert len(document["tables"]["application_status_history"]) == 6
