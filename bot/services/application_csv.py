"""Applications as CSV: the export members hand to a benefits office, and the import that reads
it back or reads a tracker's export. Pure functions: bytes in, rows or refusals out."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, _
from bot.services.text import literal

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
STATUSES = ("applied", "screening", "interviewing", "offer", "rejected", "withdrawn",
            "no-response")
HEADER = ("number", "date applied", "company", "role", "link", "status", "status changed on",
          "note")
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Header names (lower case, trimmed) → the field they fill.
COLUMNS: dict[str, str] = {
    "number": "number", "#": "number", "no": "number", "no.": "number",
    "company": "company", "organization": "company", "organisation": "company",
    "employer": "company", "company name": "company",
    "role": "role", "title": "role", "position": "role", "job title": "role", "job": "role",
    "date applied": "applied_on", "applied on": "applied_on", "date": "applied_on",
    "application date": "applied_on", "applied": "applied_on",
    "link": "link", "url": "link", "job link": "link", "job url": "link",
    "posting": "link", "job posting": "link",
    "status": "status", "stage": "status",
    "status changed on": "status_changed_on", "status changed": "status_changed_on",
    "note": "note", "notes": "note",
}

# Words trackers use for a status → ours. Anything else is imported as applied, with a warning.
STATUS_WORDS: dict[str, str] = {
    "": "applied", "applied": "applied", "submitted": "applied", "sent": "applied",
    "application sent": "applied", "pending": "applied",
    "screening": "screening", "screen": "screening", "phone screen": "screening",
    "recruiter screen": "screening", "recruiter call": "screening",
    "interviewing": "interviewing", "interview": "interviewing", "interviews": "interviewing",
    "interviewed": "interviewing", "onsite": "interviewing", "technical": "interviewing",
    "offer": "offer", "offered": "offer", "offer received": "offer", "accepted": "offer",
    "rejected": "rejected", "rejection": "rejected", "declined": "rejected",
    "not selected": "rejected",
    "withdrawn": "withdrawn", "withdrew": "withdrawn",
    "no-response": "no-response", "no response": "no-response", "ghosted": "no-response",
    "no reply": "no-response",
}


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 CSV with the header row, quoted as RFC 4180 says (CRLF line ends)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    company: str
    role: str | None
    link: str | None
    applied_on: str
    status: str
    status_changed_on: str
    note: str | None

    def to_json(self) -> dict:
        return {"line": self.line, "company": self.company, "role": self.role,
                "link": self.link, "applied_on": self.applied_on, "status": self.status,
                "status_changed_on": self.status_changed_on, "note": self.note}


@dataclass(slots=True)
class ParsedFile:
    rows: list[ImportRow] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)     # (line, why)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


EMPTY = N_("That file is empty. Nothing was imported.")


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise InvalidInput(
            _("That file is {size} MB; I read CSV files up to 1 MB. "
              "Split it or export a shorter period. Nothing was imported.")
            .format(size=f"{size / (1024 * 1024):.1f}"))
    if size == 0:
        raise InvalidInput(_(EMPTY))


def decode(data: bytes) -> str:
    check_size(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            _("That file isn't UTF-8 text. Save it as “CSV UTF-8” in your spreadsheet and try "
              "again. Nothing was imported.")) from None
    if not text.strip():
        raise InvalidInput(_(EMPTY))
    if "\x00" in text:
        raise InvalidInput(_("That file isn't a CSV text file. Nothing was imported."))
    return text


NOT_CSV = N_("I couldn't find a header row naming a company column (company, organization or "
             "employer) in that file; it needs to be a CSV file with a header row. "
             "Nothing was imported.")


def _fields(header: list[str]) -> tuple[list[str | None], list[str]]:
    """The field each column fills (None: not used) and the names of unused columns."""
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    ignored = []
    for name in header:
        key = " ".join(name.strip().lower().split())
        field_name = COLUMNS.get(key)
        if field_name is None:
            fields.append(None)
            if key:
                ignored.append(name.strip())
            continue
        if field_name in seen:
            raise InvalidInput(
                _("The header has two columns for the same thing: “{first}” and “{second}”. "
                  "Keep one and try again. Nothing was imported.")
                .format(first=literal(seen[field_name], 40), second=literal(name.strip(), 40)))
        seen[field_name] = name.strip()
        fields.append(field_name)
    if "company" not in seen:
        raise InvalidInput(_(NOT_CSV))
    return fields, ignored


def _cell(value: str) -> str:
    """A cell as typed: trimmed; our own export's ' before a formula-like start removed."""
    text = value.strip()
    if text.startswith("'") and text[1:2] and text[1] in "=+-@\t\r":
        return text[1:]
    return "" if text == "-" else text


def parse(
    data: bytes,
    read_date: Callable[[str], date],
    clean: Callable[[dict[str, str | None]], dict[str, str | None]],
) -> ParsedFile:
    """Rows of a CSV file. Raises InvalidInput (the member's sentence) for a file that can't
    be read at all; a row that can't be used is refused with its line number and why.
    `read_date` reads a date cell, `clean` checks company, role, link and note (both raise
    UserFacingError)."""
    text = decode(data)
    delimiter = _delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise InvalidInput(_(NOT_CSV)) from None
    # The line each record starts on (quoted cells may hold line breaks).
    header_index = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_index is None:
        raise InvalidInput(_(EMPTY))
    fields, ignored = _fields(records[header_index])
    body = [(i, r) for i, r in enumerate(records) if i > header_index and any(
        c.strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise InvalidInput(
            _("That file has {rows} rows; I import up to {most} at a time. Split it "
              "and import the parts. Nothing was imported.")
            .format(rows=f"{len(body):,}", most=f"{MAX_ROWS:,}"))
    if not body:
        raise InvalidInput(_("That file has a header but no rows. Nothing was imported."))
    lines = _line_numbers(text, len(records), delimiter)
    parsed = ParsedFile(ignored_columns=ignored)
    for index, record in body:
        line = lines[index]
        values: dict[str, str] = {}
        for name, value in zip(fields, record, strict=False):
            if name is not None:
                values[name] = value
        try:
            parsed.rows.append(_row(line, values, read_date, clean, parsed.warnings))
        except UserFacingError as refused:
            parsed.refused.append((line, refused.message))
    return parsed


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab a spreadsheet in many languages writes instead, as the
    first non-empty line uses most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((",", ";", "\t"), key=first.count) if first else ","


def _line_numbers(text: str, count: int, delimiter: str) -> list[int]:
    """Line (1-based) on which each CSV record starts."""
    starts = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    for _record in range(count):
        starts.append(previous_end + 1)
        next(reader)
        previous_end = reader.line_num
    return starts


# Why a row is refused: a cell that starts like a formula, by the field it fills. Each reads
# after "line {number}: " in the import preview.
FORMULA_REFUSALS = {
    "company": N_("the company “{value}” starts like a spreadsheet formula"),
    "role": N_("the role “{value}” starts like a spreadsheet formula"),
    "link": N_("the link “{value}” starts like a spreadsheet formula"),
    "note": N_("the note “{value}” starts like a spreadsheet formula"),
    "applied_on": N_("the applied on “{value}” starts like a spreadsheet formula"),
    "status": N_("the status “{value}” starts like a spreadsheet formula"),
    "status_changed_on": N_("the status changed on “{value}” starts like a spreadsheet formula"),
}


def _row(line: int, raw: dict[str, str], read_date: Callable[[str], date],
         clean: Callable[[dict[str, str | None]], dict[str, str | None]],
         warnings: list[tuple[int, str]]) -> ImportRow:
    for name, value in raw.items():
        if name == "number" or value.strip() == "-":
            continue
        if value.strip().startswith(FORMULA_START) or value.startswith(FORMULA_START):
            raise InvalidInput(_(FORMULA_REFUSALS[name]).format(
                value=literal(value.strip(), 30)))
    cells = {name: _cell(value) for name, value in raw.items()}
    if not cells.get("applied_on"):
        # Translators: why a row of an imported file is refused; reads after "line 4: ".
        raise InvalidInput(_("no date applied"))
    applied = read_date(cells["applied_on"])
    checked = clean({"company": cells.get("company"), "role": cells.get("role") or None,
                     "link": cells.get("link") or None, "note": cells.get("note") or None})
    typed_status = " ".join((cells.get("status") or "").lower().split())
    status = STATUS_WORDS.get(typed_status)
    if status is None:
        status = "applied"
        # Translators: reads after "line 4: "; "applied" is the status name, kept as is.
        why = _("status “{status}” is not one I know, so it comes in as applied")
        warnings.append((line, why.format(status=literal(cells["status"], 30))))
    changed = cells.get("status_changed_on")
    changed_on = read_date(changed) if changed else applied
    if changed_on < applied:
        changed_on = applied
    return ImportRow(
        line=line, company=str(checked["company"]), role=checked["role"],
        link=checked["link"], applied_on=applied.isoformat(), status=status,
        status_changed_on=changed_on.isoformat(), note=checked["note"])
