"""Applications: habit 5, keep applying. Logged against a weekly goal, numbered per member,
moved through a pipeline of statuses, exported as CSV and imported from one."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlsplit

from bot.clock import Clock, from_db, to_db
from bot.db.connection import Database, SyncTransaction
from bot.db.repositories.applications import (
    Application,
    ApplicationRepository,
    PendingImport,
    StatusChange,
    dedupe_key,
)
from bot.db.repositories.member_settings import MemberSettingsRepository
from bot.errors import InvalidInput, NotAllowed, NotFound, UserFacingError
from bot.i18n import N_, _
from bot.services import application_csv, text
from bot.services.dates import local_today, parse_day

GOAL_MIN, GOAL_MAX = 1, 100
LIST_MAX = 50
STATUSES = application_csv.STATUSES
WIN_STATUSES = ("interviewing", "offer")
UNDO_WINDOW = timedelta(minutes=15)
PENDING_LIFETIME = timedelta(days=1)
# The rejection stage an application had reached, from the status before `rejected`.
STAGE_FROM_STATUS = {"applied": "application", "no-response": "application",
                     "screening": "recruiter-screen", "offer": "offer"}


class AlreadyDone(UserFacingError):
    """A button that does a thing once was pressed again."""


@dataclass(frozen=True, slots=True)
class WeekProgress:
    first_day: date          # Monday of the member's current local week
    last_day: date           # its Sunday
    applications: int
    goal: int | None

    @property
    def goal_met(self) -> bool:
        return self.goal is not None and self.applications >= self.goal


@dataclass(frozen=True, slots=True)
class LoggedApplication:
    application: Application
    week: WeekProgress
    in_this_week: bool       # False when the date given falls in an earlier week


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """/apply log of the same company and role on the same day again: nothing stored yet."""
    earlier: Application
    pending_id: int          # what "Log it anyway" stores


@dataclass(frozen=True, slots=True)
class UpdatedApplication:
    before: Application
    application: Application
    changes: list[str]       # the fields that changed, in the order members read them
    status_changed: bool

    @property
    def is_win(self) -> bool:
        return self.status_changed and self.application.status in WIN_STATUSES

    @property
    def offers_rejection(self) -> bool:
        return self.status_changed and self.application.status == "rejected"


@dataclass(frozen=True, slots=True)
class CsvExport:
    filename: str
    content: bytes
    count: int


@dataclass(frozen=True, slots=True)
class ImportPreview:
    pending_id: int | None   # None when there is nothing to import
    rows: int                # rows that would be imported
    found: int               # data rows read from the file
    duplicates: list[tuple[int, int | None]]   # (line, earlier number or None: earlier line)
    refused: list[tuple[int, str]]
    warnings: list[tuple[int, str]]
    ignored_columns: list[str]


def clean_link(value: str | None) -> str | None:
    link = text.clean_optional(value, "link", text.LINK_MAX)
    if link is None:
        return None
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in link:
        raise InvalidInput(
            _("The link must be a web address starting with http:// or https://."))
    return link


def _clean_fields(values: dict[str, str | None]) -> dict[str, str | None]:
    return {
        "company": text.clean_required(values.get("company"), "company", text.COMPANY_MAX),
        "role": text.clean_optional(values.get("role"), "role", text.ROLE_MAX),
        "link": clean_link(values.get("link")),
        "note": text.clean_optional(values.get("note"), "note", text.NOTE_MAX),
    }


def _week_around(today: date) -> tuple[date, date]:
    """The Monday and Sunday of the week holding `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def parse_number(typed: str | int | None) -> int:
    """An application's number as typed or chosen in autocomplete ("3", "#3")."""
    value = str(typed if typed is not None else "").strip().lstrip("#").strip()
    if not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise NotFound(_("Pick one of your applications from the list, or give its number "
                         "(see /apply list)."))
    return int(value)


# What a button of a finished request answers, by how it finished.
_ALREADY_FINISHED = {
    "imported": N_("Already done: those rows were imported."),
    "logged": N_("Already done: that application is logged."),
    "cancelled": N_("Already done: that import was cancelled, nothing was imported."),
}


class ApplicationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.applications = ApplicationRepository(db)
        self.settings = MemberSettingsRepository(db)

    # /apply log -------------------------------------------------------------------------

    async def log(
        self, *, user_id: int, guild_id: int | None, company: str, role: str | None = None,
        link: str | None = None, date: str | None = None, locale: str | None = None,
    ) -> LoggedApplication | PossibleDuplicate:
        """Store the application, or, when the member already logged the same company and
        role on that day, store nothing and return the earlier one (and a pending row that
        "Log it anyway" stores)."""
        now = self.clock.now()
        cleaned = _clean_fields({"company": company, "role": role, "link": link})

        def write(tx: SyncTransaction) -> LoggedApplication | PossibleDuplicate:
            prefs = self.settings.get_sync(tx, user_id)
            day = parse_day(date, now, prefs.timezone, locale).isoformat()
            earlier = self.applications.same_sync(tx, user_id, str(cleaned["company"]),
                                                  cleaned["role"], day)
            if earlier is not None:
                pending = self.applications.add_pending_sync(
                    tx, user_id, "log",
                    [{"guild_id": guild_id, "company": cleaned["company"],
                      "role": cleaned["role"], "link": cleaned["link"], "applied_on": day}],
                    to_db(now), to_db(now + PENDING_LIFETIME))
                return PossibleDuplicate(earlier=earlier, pending_id=pending)
            return self._store(tx, user_id, guild_id, cleaned, day, prefs.timezone)

        return await self.db.run(write)

    def _store(self, tx: SyncTransaction, user_id: int, guild_id: int | None,
               cleaned: dict, day: str, timezone: str | None) -> LoggedApplication:
        now = self.clock.now()
        stored = self.applications.add_sync(tx, Application(
            id=0, user_id=user_id, guild_id=guild_id, company=str(cleaned["company"]),
            role=cleaned.get("role"), link=cleaned.get("link"), applied_on=day,
            created_at=to_db(now),
        ))
        monday, sunday = _week_around(local_today(now, timezone))
        count = self.applications.count_between_sync(
            tx, user_id, monday.isoformat(), sunday.isoformat())
        settings = self.settings.get_sync(tx, user_id)
        week = WeekProgress(first_day=monday, last_day=sunday, applications=count,
                            goal=settings.weekly_goal)
        return LoggedApplication(application=stored, week=week,
                                 in_this_week=date.fromisoformat(day) >= week.first_day)

    async def log_anyway(self, user_id: int, pending_id: int) -> LoggedApplication:
        """The "Log it anyway" button: store the application the duplicate warning held."""
        def write(tx: SyncTransaction) -> LoggedApplication:
            pending = self._own_pending(tx, user_id, pending_id, "log")
            if not self.applications.finish_pending_sync(tx, pending_id, "logged"):
                raise AlreadyDone(_("Already done: that application is logged."))
            (row,) = pending.rows
            prefs = self.settings.get_sync(tx, user_id)
            return self._store(tx, user_id, row["guild_id"], row, row["applied_on"],
                               prefs.timezone)

        return await self.db.run(write)

    def _own_pending(self, tx: SyncTransaction, user_id: int, pending_id: int,
                     kind: str) -> PendingImport:
        pending = self.applications.pending_sync(tx, pending_id)
        if pending is None or pending.kind != kind:
            raise NotFound(_("That request is no longer here; nothing was changed."))
        if pending.user_id != user_id:
            raise NotAllowed(_("This button belongs to someone else; nothing was changed."))
        if pending.finished is not None:
            raise AlreadyDone(_(_ALREADY_FINISHED.get(pending.finished, N_("Already done."))))
        if from_db(pending.expires_at) < self.clock.now():
            raise UserFacingError(
                _("This was waiting for a day and has expired; nothing was changed. "
                  "Run /apply import again.") if kind == "import" else
                _("This was waiting for a day and has expired; nothing was changed. "
                  "Run /apply log again."))
        return pending

    async def undo(self, user_id: int, application_id: int) -> Application:
        """The Undo button of an /apply log reply: for 15 minutes after it was logged."""
        now = self.clock.now()

        def write(tx: SyncTransaction) -> Application:
            app = self.applications.get_owned_sync(tx, user_id, application_id)
            if app is None:
                raise AlreadyDone(
                    _("Already done: that application is no longer in your list."))
            if now - from_db(app.created_at) > UNDO_WINDOW:
                raise UserFacingError(
                    _("The time for undo has passed (15 minutes). /apply delete removes "
                      "#{number} if you still want it gone.").format(number=app.number))
            self.applications.delete_sync(tx, user_id, application_id)
            return app

        return await self.db.run(write)

    # /apply goal --------------------------------------------------------------------------

    async def set_goal(self, user_id: int, per_week: int) -> WeekProgress:
        if not GOAL_MIN <= per_week <= GOAL_MAX:
            raise InvalidInput(_("The weekly goal must be between {lowest} and {highest}.")
                               .format(lowest=GOAL_MIN, highest=GOAL_MAX))
        prefs = await self.settings.get(user_id)
        now = to_db(self.clock.now())
        changes: dict[str, object] = {"weekly_goal": per_week, "updated_at": now}
        if prefs.weekly_goal != per_week:
            # /progress compares the weeks from this one on with the new goal.
            changes["goal_set_at"] = now
        async with self.db.transaction() as tx:
            await self.settings.save(tx, prefs.with_changes(**changes))
        return await self.week(user_id)

    async def week(self, user_id: int) -> WeekProgress:
        """This local Monday–Sunday week for the member, with every application they logged."""
        prefs = await self.settings.get(user_id)
        monday, sunday = _week_around(local_today(self.clock.now(), prefs.timezone))
        count = await self.applications.count_between(
            user_id, monday.isoformat(), sunday.isoformat()
        )
        return WeekProgress(first_day=monday, last_day=sunday, applications=count,
                            goal=prefs.weekly_goal)

    # Reading ------------------------------------------------------------------------------

    async def list_applications(self, user_id: int, status: str | None = None,
                                limit: int = 10) -> list[Application]:
        if not 1 <= limit <= LIST_MAX:
            raise InvalidInput(_("Limit must be between 1 and {highest}.").format(
                highest=LIST_MAX))
        if status is not None and status not in STATUSES:
            raise InvalidInput(_("Status must be one of: {statuses}.").format(
                statuses=", ".join(STATUSES)))
        return await self.applications.list_recent(user_id, status, limit)

    async def get(self, user_id: int, typed: str | int | None) -> Application:
        """The member's own application by its number. Someone else's reads as missing."""
        number = parse_number(typed)
        app = await self.applications.by_number(user_id, number)
        if app is None:
            raise NotFound(_("You have no application #{number}. /apply list shows yours.")
                           .format(number=number))
        return app

    async def get_by_id(self, user_id: int, application_id: int) -> Application:
        """For buttons, whose custom_id carries the internal id."""
        app = await self.applications.get(application_id)
        if app is None:
            raise AlreadyDone(_("That application is no longer in your list."))
        if app.user_id != user_id:
            raise NotAllowed(_("This button belongs to someone else; nothing was changed."))
        return app

    async def suggest(self, user_id: int, typed: str) -> list[Application]:
        """For autocomplete: only the member's own, newest first, at most 25."""
        return await self.applications.search(user_id, typed[:100], limit=25)

    async def history(self, application_id: int) -> list[StatusChange]:
        return await self.applications.history(application_id)

    # /apply update and /apply delete ----------------------------------------------------

    async def update(
        self, *, user_id: int, application: str, status: str | None = None,
        company: str | None = None, role: str | None = None, link: str | None = None,
        date: str | None = None, note: str | None = None, locale: str | None = None,
    ) -> UpdatedApplication:
        if status is not None and status not in STATUSES:
            raise InvalidInput(_("Status must be one of: {statuses}.").format(
                statuses=", ".join(STATUSES)))
        app = await self.get(user_id, application)
        now = self.clock.now()
        new_company = (text.clean_required(company, "company", text.COMPANY_MAX)
                       if company is not None else app.company)
        new_role = text.clean_optional(role, "role", text.ROLE_MAX) if role is not None \
            else app.role
        new_link = clean_link(link) if link is not None else app.link
        new_note = text.clean_optional(note, "note", text.NOTE_MAX) if note is not None \
            else app.note

        def write(tx: SyncTransaction) -> UpdatedApplication:
            current = self.applications.get_owned_sync(tx, user_id, app.id)
            if current is None:
                raise NotFound(_("You have no application #{number}. /apply list shows yours.")
                               .format(number=app.number))
            prefs = self.settings.get_sync(tx, user_id)
            applied_on = (parse_day(date, now, prefs.timezone, locale).isoformat()
                          if date is not None else current.applied_on)
            today = local_today(now, prefs.timezone).isoformat()
            new_status = status if status is not None else current.status
            changed_status = new_status != current.status
            updated = replace(
                current, company=new_company, role=new_role, link=new_link, note=new_note,
                applied_on=applied_on,
                status=new_status,
                status_changed_on=max(today, applied_on) if changed_status
                else current.status_changed_on,
            )
            changes = _describe_changes(current, updated)
            if not changes:
                return UpdatedApplication(current, current, [], False)
            stored = self.applications.update_sync(tx, updated)
            if changed_status:
                self.applications.add_status_sync(tx, stored, stored.status,
                                                  str(stored.status_changed_on), to_db(now))
            return UpdatedApplication(current, stored, changes, changed_status)

        return await self.db.run(write)

    async def delete(self, user_id: int, application_id: int) -> Application:
        """The confirmation button of /apply delete."""
        def write(tx: SyncTransaction) -> Application:
            app = self.applications.delete_sync(tx, user_id, application_id)
            if app is None:
                raise AlreadyDone(_("Already done: that application was deleted."))
            return app

        return await self.db.run(write)

    async def rejection_stage(self, application_id: int) -> str | None:
        """The stage the application had reached before it was rejected, when the history
        says (an interview whose kind is unknown gives none)."""
        before = [h.status for h in await self.applications.history(application_id)
                  if h.status != "rejected"]
        return STAGE_FROM_STATUS.get(before[-1]) if before else None

    def link_rejection(self, application: Application):
        """For JournalService.log_rejection(also=...): link the new rejection to the
        application in the same transaction; a second one for the same application fails."""
        def link(tx: SyncTransaction, rejection) -> None:
            try:
                self.applications.link_rejection_sync(
                    tx, application.id, rejection.id, application.user_id,
                    to_db(self.clock.now()))
            except sqlite3.IntegrityError:
                raise AlreadyDone(
                    _("Already done: the rejection for #{number} is in your journal.")
                    .format(number=application.number)) from None
        return link

    async def linked_rejection(self, application_id: int) -> int | None:
        return await self.applications.linked_rejection(application_id)

    # /apply export and /apply import ----------------------------------------------------

    async def export_csv(self, user_id: int, first: str | None = None, last: str | None = None,
                         locale: str | None = None) -> CsvExport:
        prefs = await self.settings.get(user_id)
        now = self.clock.now()
        first_day = parse_day(first, now, prefs.timezone, locale) if first else None
        last_day = parse_day(last, now, prefs.timezone, locale) if last else None
        if first_day and last_day and first_day > last_day:
            raise InvalidInput(
                _("The “from” date is after the “to” date; swap them and try again."))
        apps = await self.applications.between(
            user_id, first_day.isoformat() if first_day else None,
            last_day.isoformat() if last_day else None)
        content = csv_of(apps)
        span = (f"{first_day.isoformat() if first_day else 'start'}"
                f"-to-{last_day.isoformat() if last_day else now.strftime('%Y-%m-%d')}")
        return CsvExport(filename=f"onward-applications-{span}.csv", content=content,
                         count=len(apps))

    async def preview_import(self, user_id: int, data: bytes,
                             locale: str | None = None) -> ImportPreview:
        """Read the file and keep what would be imported as a pending import (nothing is
        imported yet). Raises InvalidInput with the member's sentence for a file that can't be
        read at all."""
        prefs = await self.settings.get(user_id)
        now = self.clock.now()

        def read_date(cell: str) -> date:
            return parse_day(cell, now, prefs.timezone, locale)

        parsed = application_csv.parse(data, read_date, _clean_fields)
        known = await self.applications.keys(user_id)
        seen: dict[tuple[str, str, str], int] = {}
        keep: list[application_csv.ImportRow] = []
        duplicates: list[tuple[int, int | None]] = []
        for row in parsed.rows:
            key = dedupe_key(row.company, row.role, row.applied_on)
            if key in known:
                duplicates.append((row.line, known[key]))
            elif key in seen:
                duplicates.append((row.line, None))
            else:
                seen[key] = row.line
                keep.append(row)
        pending_id = None
        if keep:
            def write(tx: SyncTransaction) -> int:
                return self.applications.add_pending_sync(
                    tx, user_id, "import", [r.to_json() for r in keep], to_db(now),
                    to_db(now + PENDING_LIFETIME))
            pending_id = await self.db.run(write)
        return ImportPreview(
            pending_id=pending_id, rows=len(keep), found=len(parsed.rows) + len(parsed.refused),
            duplicates=duplicates, refused=parsed.refused, warnings=parsed.warnings,
            ignored_columns=parsed.ignored_columns)

    async def run_import(self, user_id: int, guild_id: int | None, pending_id: int
                         ) -> tuple[int, int]:
        """The Import button: every row in one transaction, or none. Returns (imported,
        skipped because an equal application was logged since the preview)."""
        now = self.clock.now()

        def write(tx: SyncTransaction) -> tuple[int, int]:
            pending = self._own_pending(tx, user_id, pending_id, "import")
            self.applications.finish_pending_sync(tx, pending_id, "imported")
            known = self.applications.keys_sync(tx, user_id)
            imported = skipped = 0
            for row in pending.rows:
                key = dedupe_key(row["company"], row["role"], row["applied_on"])
                if key in known:
                    skipped += 1
                    continue
                stored = self.applications.add_sync(tx, Application(
                    id=0, user_id=user_id, guild_id=guild_id, company=row["company"],
                    role=row["role"], link=row["link"], applied_on=row["applied_on"],
                    created_at=to_db(now), status=row["status"],
                    status_changed_on=row["status_changed_on"], note=row["note"]))
                known[key] = stored.number
                imported += 1
            return imported, skipped

        return await self.db.run(write)

    async def cancel_import(self, user_id: int, pending_id: int) -> None:
        def write(tx: SyncTransaction) -> None:
            self._own_pending(tx, user_id, pending_id, "import")
            self.applications.finish_pending_sync(tx, pending_id, "cancelled")

        await self.db.run(write)


def csv_of(apps: list[Application]) -> bytes:
    """The CSV of /apply export (also inside /privacy export)."""
    return application_csv.to_csv([
        (a.number, a.applied_on, a.company, a.role or "", a.link or "", a.status,
         a.status_changed_on or a.applied_on, a.note or "")
        for a in apps
    ])


def applications_csv(rows: list[dict]) -> str:
    """`csv_of` for application rows read as dicts (the /privacy export)."""
    fields = Application.__dataclass_fields__
    apps = [Application(**{k: v for k, v in row.items() if k in fields}) for row in rows]
    return csv_of(sorted(apps, key=lambda a: (a.number or 0, a.id))).decode("utf-8")


_LABELS = (("status", N_("Status")), ("company", N_("Company")), ("role", N_("Role")),
           ("link", N_("Link")), ("applied_on", N_("Date applied")), ("note", N_("Note")))


def _describe_changes(before: Application, after: Application) -> list[str]:
    """What an update changed, field by field (raw values; the cog renders them)."""
    return [name for name, _label in _LABELS if getattr(before, name) != getattr(after, name)]


def change_label(name: str) -> str:
    """The name of a field as members read it, in their language."""
    return _(dict(_LABELS)[name])
