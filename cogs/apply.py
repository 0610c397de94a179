"""/apply: log applications against a weekly goal and move them through a pipeline."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.applications import Application
from bot.formatting import inert
from bot.i18n import _, ngettext
from bot.services import application_csv, text
from bot.services.applications import (
    GOAL_MAX,
    GOAL_MIN,
    LIST_MAX,
    AlreadyDone,
    ImportPreview,
    LoggedApplication,
    PossibleDuplicate,
    WeekProgress,
    change_label,
)
from bot.services.dates import in_words, in_words_iso
from bot.ui import PersistentButton

if TYPE_CHECKING:
    from bot.client import Onward
    from cogs.encourage import Encourage

# Choice names are what members see (translated); the values are stored. A stored status is
# shown through the same catalog text: `_(app.status)`.
STATUSES = [
    app_commands.Choice(name=T_("applied"), value="applied"),
    app_commands.Choice(name=T_("screening"), value="screening"),
    app_commands.Choice(name=T_("interviewing"), value="interviewing"),
    app_commands.Choice(name=T_("offer"), value="offer"),
    app_commands.Choice(name=T_("rejected"), value="rejected"),
    app_commands.Choice(name=T_("withdrawn"), value="withdrawn"),
    app_commands.Choice(name=T_("no-response"), value="no-response"),
]
GOAL_HELP = T_("Applications per week (1–100).")
LIMIT_HELP = T_("How many to show (1–50, default 10).")
assert f"({GOAL_MIN}–{GOAL_MAX})" in GOAL_HELP.message, "the goal help names GOAL_MIN/GOAL_MAX"
assert f"(1–{LIST_MAX}," in LIMIT_HELP.message, "the /apply list limit help names LIST_MAX"
APPLICATION_HELP = T_("Which application (start typing the company or its number).")
LISTED_MAX = 8       # refused rows, duplicates or warnings named one by one in a preview


def progress_line(week: WeekProgress) -> str:
    span = f"{in_words(week.first_day)} – {in_words(week.last_day)}"
    count = week.applications
    if week.goal is None:
        # Translators: {span} is the week's first and last day.
        return ngettext("This week ({span}): {count} application. Set a weekly goal with "
                        "/apply goal if a steady pace would help.",
                        "This week ({span}): {count} applications. Set a weekly goal with "
                        "/apply goal if a steady pace would help.", count).format(
            span=span, count=count)
    if week.goal_met:
        extra = week.applications - week.goal
        if extra:
            return ngettext("This week ({span}): {count} application, your goal of {goal} is "
                            "reached (and {extra} more). Rest is part of the plan too.",
                            "This week ({span}): {count} applications, your goal of {goal} is "
                            "reached (and {extra} more). Rest is part of the plan too.",
                            count).format(span=span, count=count, goal=week.goal, extra=extra)
        return ngettext("This week ({span}): {count} application, your goal of {goal} is "
                        "reached. Rest is part of the plan too.",
                        "This week ({span}): {count} applications, your goal of {goal} is "
                        "reached. Rest is part of the plan too.", count).format(
            span=span, count=count, goal=week.goal)
    left = week.goal - week.applications
    return _("This week ({span}): {count} of {goal}. {left} more to reach your goal; one at a "
             "time is fine.").format(span=span, count=count, goal=week.goal, left=left)


def what(app: Application) -> str:
    return inert(app.company) + (f" · {inert(app.role)}" if app.role else "")


def describe(app: Application) -> str:
    """One line of /apply list."""
    if app.status != "applied" and app.status_changed_on:
        # Translators: {status} is a status like "interviewing"; {since} a date.
        return _("**#{number}** {application} · applied {date} · {status} since {since}").format(
            number=app.number, application=what(app), date=in_words_iso(app.applied_on),
            status=_(app.status), since=in_words_iso(app.status_changed_on))
    return _("**#{number}** {application} · applied {date} · {status}").format(
        number=app.number, application=what(app), date=in_words_iso(app.applied_on),
        status=_(app.status))


def fit_list(heading: str, lines: list[str], limit: int = 2000) -> str:
    """Whole lines only, as many as fit in one message, and how many more there are."""
    shown = [heading]
    for index, line in enumerate(lines):
        rest = len(lines) - index
        tail = "\n" + ngettext("…and {count} more that don't fit here; /apply export lists "
                               "them all.",
                               "…and {count} more that don't fit here; /apply export lists "
                               "them all.", rest).format(count=rest)
        if sum(len(x) + 1 for x in shown) + len(line) + len(tail) > limit:
            shown.append(tail.strip())
            break
        shown.append(line)
    return "\n".join(shown)


def locale_of(interaction: discord.Interaction) -> str:
    return str(interaction.locale)


def one_button(label: str, custom_id: str, style: discord.ButtonStyle) -> discord.ui.View:
    """A view handled by a dynamic item; stopped, so discord.py keeps no copy of it."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label=label, style=style, custom_id=custom_id))
    view.stop()
    return view


def disabled(message: discord.Message | None) -> discord.ui.View | None:
    """The message's buttons, greyed out: a button that did its thing can't do it again."""
    if message is None or not message.components:
        return None
    view = discord.ui.View.from_message(message, timeout=None)
    for item in view.children:
        if isinstance(item, discord.ui.Button) and item.url is None:
            item.disabled = True
    view.stop()
    return view


def _listed(items: Sequence[str]) -> str:
    shown = "; ".join(items[:LISTED_MAX])
    if len(items) > LISTED_MAX:
        rest = len(items) - LISTED_MAX
        # Translators: ends a list of lines named one by one, like "line 2; line 5; and 3 more".
        shown += ngettext("; and {count} more", "; and {count} more", rest).format(count=rest)
    return shown


def preview_text(filename: str, preview: ImportPreview) -> str:
    lines = [ngettext("**{file}**: {count} row found.", "**{file}**: {count} rows found.",
                      preview.found).format(file=inert(filename, 80), count=preview.found)]
    lines.append(_("• {count} to import").format(count=preview.rows))
    if preview.duplicates:
        dupes = len(preview.duplicates)
        lines.append(ngettext(
            "• {count} duplicate skipped (same company, role and date): {lines}",
            "• {count} duplicates skipped (same company, role and date): {lines}",
            dupes).format(count=dupes, lines=_listed([
                _("line {line} (same as your #{number})").format(line=line, number=n) if n
                else _("line {line} (same as an earlier line)").format(line=line)
                for line, n in preview.duplicates])))
    if preview.refused:
        lines.append(_("• {count} refused: {lines}").format(
            count=len(preview.refused), lines=_listed(
                [_("line {line}: {reason}").format(line=line, reason=why)
                 for line, why in preview.refused])))
    if preview.warnings:
        lines.append(_("• Imported with a change: {lines}").format(lines=_listed(
            [_("line {line}: {reason}").format(line=line, reason=why)
             for line, why in preview.warnings])))
    if preview.ignored_columns:
        lines.append(_("• Columns not used: {columns}").format(
            columns=inert(", ".join(preview.ignored_columns), 200)))
    if preview.pending_id is None:
        lines.append(_("Nothing to import, so nothing was changed."))
    else:
        lines.append(_("Nothing is imported until you press **Import**; all rows go in "
                       "together or none do. This preview keeps for a day."))
    return "\n".join(lines)[:2000]


class UndoLog(PersistentButton, template=custom_ids.APPLY_UNDO):
    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Undo"), style=discord.ButtonStyle.secondary,
                                           custom_id=custom_ids.apply_undo(application_id)))
        self.application_id = application_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> UndoLog:
        return cls(int(match["application_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Apply, interaction.client.get_cog("Apply"))
        app = await cog.applications.undo(interaction.user.id, self.application_id)
        await interaction.response.edit_message(
            content=_("Undone: #{number} {application} is no longer logged.").format(
                number=app.number, application=what(app)),
            view=disabled(interaction.message))


class LogAnyway(PersistentButton, template=custom_ids.APPLY_ANYWAY):
    def __init__(self, pending_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Log it anyway"),
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=custom_ids.apply_anyway(pending_id)))
        self.pending_id = pending_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> LogAnyway:
        return cls(int(match["pending_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Apply, interaction.client.get_cog("Apply"))
        logged = await cog.applications.log_anyway(interaction.user.id, self.pending_id)
        await interaction.response.edit_message(
            content=logged_text(logged), view=log_buttons(logged.application.id))


class ConfirmDelete(PersistentButton, template=custom_ids.APPLY_DELETE):
    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Delete it"),
                                           style=discord.ButtonStyle.danger,
                                           custom_id=custom_ids.apply_delete(application_id)))
        self.application_id = application_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> ConfirmDelete:
        return cls(int(match["application_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Apply, interaction.client.get_cog("Apply"))
        await cog.applications.get_by_id(interaction.user.id, self.application_id)
        # Good news shared from it goes with it.
        await cast("Encourage", interaction.client.get_cog("Encourage")).remove_application_posts(
            interaction.user.id, self.application_id)
        app = await cog.applications.delete(interaction.user.id, self.application_id)
        await interaction.response.edit_message(
            content=_("Deleted #{number} {application}.").format(
                number=app.number, application=what(app)),
            view=disabled(interaction.message))


class LogRejection(PersistentButton, template=custom_ids.APPLY_REJECTION):
    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Log this rejection"),
                                           style=discord.ButtonStyle.primary,
                                           custom_id=custom_ids.apply_rejection(application_id)))
        self.application_id = application_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> LogRejection:
        return cls(int(match["application_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Apply, interaction.client.get_cog("Apply"))
        await cog.log_rejection(interaction, self.application_id)


class ImportButton(PersistentButton, template=custom_ids.APPLY_IMPORT):
    def __init__(self, pending_id: int, go: bool) -> None:
        super().__init__(discord.ui.Button(
            label=_("Import") if go else _("Cancel"),
            style=discord.ButtonStyle.primary if go else discord.ButtonStyle.secondary,
            custom_id=custom_ids.apply_import(pending_id, go)))
        self.pending_id = pending_id
        self.go = go

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> ImportButton:
        return cls(int(match["pending_id"]), match["action"] == "go")

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Apply, interaction.client.get_cog("Apply"))
        service = cog.applications
        if not self.go:
            await service.cancel_import(interaction.user.id, self.pending_id)
            await interaction.response.edit_message(
                content=_("Cancelled; nothing was imported."),
                view=disabled(interaction.message))
            return
        imported, skipped = await service.run_import(
            interaction.user.id, interaction.guild_id, self.pending_id)
        lines = [ngettext("Imported {count} application. /apply list shows them.",
                          "Imported {count} applications. /apply list shows them.",
                          imported).format(count=imported)]
        if skipped:
            lines.append(ngettext("{count} skipped: you logged the same ones since the preview.",
                                  "{count} skipped: you logged the same ones since the preview.",
                                  skipped).format(count=skipped))
        await interaction.response.edit_message(content="\n".join(lines),
                                                view=disabled(interaction.message))


class GoodNewsButton(PersistentButton, template=custom_ids.GOOD_NEWS):
    """Share the good news, under an /apply update to interviewing or offer: a private preview
    first (anonymous unless the member switches to their name)."""

    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Share the good news"),
                                           custom_id=custom_ids.good_news(application_id)))
        self.application_id = application_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> GoodNewsButton:
        return cls(int(match["application_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        encourage = cast("Encourage", interaction.client.get_cog("Encourage"))
        await encourage.send_win_preview(interaction, self.application_id, named=False)


class GoodNewsPreviewButton(PersistentButton, template=custom_ids.GOOD_NEWS_POST):
    """Post it, Use my name / Stay anonymous, and Cancel on a good-news preview."""

    def __init__(self, application_id: int, named: bool, action: str) -> None:
        super().__init__(discord.ui.Button(
            label=(_("Post it") if action == "go" else _("Cancel") if action == "cancel"
                   else _("Switch")),
            custom_id=custom_ids.good_news_post(application_id, named=named, action=action)))
        self.application_id = application_id
        self.named = named
        self.action = action

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> GoodNewsPreviewButton:
        return cls(int(match["application_id"]), match["mode"] == "named", match["action"])

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        encourage = cast("Encourage", interaction.client.get_cog("Encourage"))
        if self.action == "go":
            await encourage.post_win(interaction, self.application_id, named=self.named)
        elif self.action == "switch":
            await encourage.send_win_preview(interaction, self.application_id,
                                             named=not self.named, replace=True)
        else:
            await interaction.response.edit_message(
                content=_("Cancelled: nothing was posted."), embed=None,
                view=disabled(interaction.message))


def log_buttons(application_id: int) -> discord.ui.View:
    return one_button(_("Undo"), custom_ids.apply_undo(application_id),
                      discord.ButtonStyle.secondary)


def logged_text(logged: LoggedApplication) -> str:
    app = logged.application
    lines = [_("Logged your application to {application} as **#{number}** (applied "
               "{date}).").format(application=what(app), number=app.number,
                                  date=in_words_iso(app.applied_on))]
    if not logged.in_this_week:
        lines.append(_("That date is in an earlier week, so it counts there."))
    lines.append(progress_line(logged.week))
    lines.append(_("Undo works for 15 minutes."))
    return "\n".join(lines)


# Translators: command and option names must stay lowercase, one word or hyphenated,
# at most 32 characters, with no spaces.
class Apply(commands.GroupCog, group_name=T_("apply"),
            group_description=T_("Log your applications and follow them through.")):
    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.applications = bot.services.applications
        self.journal = bot.services.journal
        super().__init__()

    async def application_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        apps = await self.applications.suggest(interaction.user.id, current)
        choices = []
        for app in apps:
            if app.role:
                # Translators: an autocomplete choice; {status} is like "applied".
                label = _("#{number} {company} · {role} ({status}, {date})").format(
                    number=app.number, company=app.company, role=app.role,
                    status=_(app.status), date=in_words_iso(app.applied_on))
            else:
                label = _("#{number} {company} ({status}, {date})").format(
                    number=app.number, company=app.company, status=_(app.status),
                    date=in_words_iso(app.applied_on))
            if len(label) > 100:
                label = label[:99] + "…"
            choices.append(app_commands.Choice(name=label, value=str(app.number)))
        return choices

    @app_commands.command(name=T_("log"), description=T_("Record a job application you sent."))
    @app_commands.describe(
        company=T_("The company you applied to."),
        role=T_("The role you applied for."),
        link=T_("The job posting (http:// or https://)."),
        date=T_("When you applied: YYYY-MM-DD, today, yesterday or “3 days ago” (default "
                "today)."),
    )
    @app_commands.rename(company=T_("company"), role=T_("role"), link=T_("link"),
                         date=T_("date"))
    async def log(
        self, interaction: discord.Interaction,
        company: app_commands.Range[str, 1, text.COMPANY_MAX],
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        link: app_commands.Range[str, 1, text.LINK_MAX] | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        result = await self.applications.log(
            user_id=interaction.user.id, guild_id=interaction.guild_id, company=company,
            role=role, link=link, date=date, locale=locale_of(interaction),
        )
        if isinstance(result, PossibleDuplicate):
            earlier = result.earlier
            await interaction.response.send_message(
                _("You already logged {application} on {date}: that's **#{number}**. I "
                  "haven't stored it again. If this is a second application, press **Log it "
                  "anyway**.").format(application=what(earlier),
                                      date=in_words_iso(earlier.applied_on),
                                      number=earlier.number),
                view=one_button(_("Log it anyway"), custom_ids.apply_anyway(result.pending_id),
                                discord.ButtonStyle.secondary),
                ephemeral=True)
            return
        await interaction.response.send_message(
            logged_text(result), view=log_buttons(result.application.id), ephemeral=True)

    @app_commands.command(
        name=T_("goal"), description=T_("Set how many applications you aim for each week.")
    )
    @app_commands.describe(per_week=GOAL_HELP)
    @app_commands.rename(per_week=T_("per_week"))
    async def goal(
        self, interaction: discord.Interaction,
        per_week: app_commands.Range[int, GOAL_MIN, GOAL_MAX],
    ) -> None:
        week = await self.applications.set_goal(interaction.user.id, per_week)
        await interaction.response.send_message(
            ngettext("Your weekly goal is now {count} application. Pick a pace you can keep; "
                     "you can change it any time.",
                     "Your weekly goal is now {count} applications. Pick a pace you can keep; "
                     "you can change it any time.", per_week).format(count=per_week)
            + "\n" + progress_line(week),
            ephemeral=True,
        )

    @app_commands.command(name=T_("list"), description=T_("Your applications, newest first."))
    @app_commands.describe(status=T_("Only those with this status."), limit=LIMIT_HELP)
    @app_commands.rename(status=T_("status"), limit=T_("limit"))
    @app_commands.choices(status=STATUSES)
    async def list_(
        self, interaction: discord.Interaction, status: str | None = None,
        limit: app_commands.Range[int, 1, LIST_MAX] = 10,
    ) -> None:
        apps = await self.applications.list_applications(interaction.user.id, status, limit)
        if not apps:
            await interaction.response.send_message(
                (_("No applications with status {status}.").format(status=_(status)) if status
                 else _("No applications yet. /apply log records one; /apply import reads a "
                        "CSV.")),
                ephemeral=True)
            return
        # Translators: {status} is a status like "interviewing".
        heading = (_("Your {status} applications, newest first:").format(status=_(status))
                   if status else _("Your applications, newest first:"))
        await interaction.response.send_message(
            fit_list(heading, [describe(a) for a in apps]), ephemeral=True)

    @app_commands.command(name=T_("update"), description=T_("Change an application: its "
                                                           "status or details."))
    @app_commands.describe(
        application=APPLICATION_HELP,
        status=T_("Where it stands now."),
        company=T_("The company, corrected."),
        role=T_("The role, corrected."),
        link=T_("The job posting (http:// or https://)."),
        date=T_("When you applied: YYYY-MM-DD, today, yesterday or “3 days ago”."),
        note=T_("Anything to remember about it (only you see it)."),
    )
    @app_commands.rename(application=T_("application"), status=T_("status"),
                         company=T_("company"), role=T_("role"), link=T_("link"),
                         date=T_("date"), note=T_("note"))
    @app_commands.choices(status=STATUSES)
    @app_commands.autocomplete(application=application_autocomplete)
    async def update(
        self, interaction: discord.Interaction,
        application: app_commands.Range[str, 1, 100],
        status: str | None = None,
        company: app_commands.Range[str, 1, text.COMPANY_MAX] | None = None,
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        link: app_commands.Range[str, 1, text.LINK_MAX] | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
        note: app_commands.Range[str, 1, text.NOTE_MAX] | None = None,
    ) -> None:
        updated = await self.applications.update(
            user_id=interaction.user.id, application=application, status=status,
            company=company, role=role, link=link, date=date, note=note,
            locale=locale_of(interaction))
        app = updated.application
        if not updated.changes:
            await interaction.response.send_message(
                _("Nothing changed: #{number} {application} already says that.").format(
                    number=app.number, application=what(app)), ephemeral=True)
            return
        lines = [_("Updated **#{number}** {application}:").format(number=app.number,
                                                                 application=what(app))]
        # Translators: one changed detail, like "Status: applied -> interviewing".
        lines += [_("{label}: {before} -> {after}").format(
            label=change_label(name), before=_shown(name, getattr(updated.before, name)),
            after=_shown(name, getattr(app, name))) for name in updated.changes]
        if updated.status_changed:
            lines.append(_("Status changed on {date}.").format(
                date=in_words_iso(app.status_changed_on)))
        view = None
        if updated.is_win:
            lines.append(
                _("That's a win: an offer! It counts in /progress and in the group's weekly "
                  "wins (no names). **Share the good news** shows you a post for the group "
                  "first.") if app.status == "offer" else
                _("That's a win: you reached the interviews. It counts in /progress and in the "
                  "group's weekly wins (no names). **Share the good news** shows you a post for "
                  "the group first."))
            view = one_button(_("Share the good news"), custom_ids.good_news(app.id),
                              discord.ButtonStyle.success)
        if updated.offers_rejection:
            lines.append(_("Sorry it didn't work out. **Log this rejection** puts it in your "
                           "journal, linked to this application, so you can reflect on it."))
            view = one_button(_("Log this rejection"), custom_ids.apply_rejection(app.id),
                              discord.ButtonStyle.primary)
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        await interaction.response.send_message("\n".join(lines), ephemeral=True, **kwargs)

    @app_commands.command(name=T_("delete"), description=T_("Delete one of your applications."))
    @app_commands.describe(application=APPLICATION_HELP)
    @app_commands.rename(application=T_("application"))
    @app_commands.autocomplete(application=application_autocomplete)
    async def delete(
        self, interaction: discord.Interaction, application: app_commands.Range[str, 1, 100],
    ) -> None:
        app = await self.applications.get(interaction.user.id, application)
        await interaction.response.send_message(
            # Translators: {status} is a status like "interviewing".
            _("Delete **#{number}** {application} (applied {date}, {status})? This can't be "
              "undone.").format(number=app.number, application=what(app),
                                date=in_words_iso(app.applied_on), status=_(app.status)),
            view=one_button(_("Delete it"), custom_ids.apply_delete(app.id),
                            discord.ButtonStyle.danger),
            ephemeral=True)

    @app_commands.command(name=T_("export"), description=T_("Your applications as a CSV file, "
                                                           "e.g. as proof of your job search."))
    @app_commands.describe(
        from_=T_("First day applied to include: YYYY-MM-DD, today, yesterday or “3 days ago” "
                 "(default: all)."),
        to=T_("Last day applied to include: YYYY-MM-DD, today, yesterday or “3 days ago” "
              "(default: today)."))
    @app_commands.rename(from_=T_("from"), to=T_("to"))
    async def export(
        self, interaction: discord.Interaction,
        from_: app_commands.Range[str, 1, 40] | None = None,
        to: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        export = await self.applications.export_csv(
            interaction.user.id, from_, to, locale=locale_of(interaction))
        await interaction.response.defer(ephemeral=True, thinking=True)
        if export.count:
            message = ngettext(
                "Your {count} application as a CSV file (opens in any spreadsheet). Only you "
                "can see this message.",
                "Your {count} applications as a CSV file (opens in any spreadsheet). Only you "
                "can see this message.", export.count).format(count=export.count)
        else:
            message = _("No applications in that period; the file has only its header row.")
        await interaction.followup.send(
            message, file=discord.File(io.BytesIO(export.content), filename=export.filename),
            ephemeral=True)

    @app_commands.command(name=T_("import"), description=T_("Add applications from a CSV "
                                                           "file: your export or a tracker's."))
    @app_commands.describe(file=T_("A CSV file with a header row (company, role, date applied, "
                                   "link, status...)."))
    @app_commands.rename(file=T_("file"))
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        application_csv.check_size(file.size)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        preview = await self.applications.preview_import(
            interaction.user.id, data, locale=locale_of(interaction))
        view = discord.utils.MISSING
        if preview.pending_id is not None:
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(
                label=_("Import"), style=discord.ButtonStyle.primary,
                custom_id=custom_ids.apply_import(preview.pending_id, True)))
            view.add_item(discord.ui.Button(
                label=_("Cancel"), style=discord.ButtonStyle.secondary,
                custom_id=custom_ids.apply_import(preview.pending_id, False)))
            view.stop()
        await interaction.followup.send(preview_text(file.filename, preview), view=view,
                                        ephemeral=True)

    async def log_rejection(self, interaction: discord.Interaction, application_id: int) -> None:
        """The Log this rejection button: a journal entry prefilled from the application."""
        app = await self.applications.get_by_id(interaction.user.id, application_id)
        if await self.applications.linked_rejection(app.id) is not None:
            raise AlreadyDone(_("Already done: the rejection for #{number} is in your "
                                "journal.").format(number=app.number))
        stage = await self.applications.rejection_stage(app.id)
        logged = await self.journal.log_rejection(
            user_id=app.user_id, guild_id=interaction.guild_id,
            company=app.company, role=app.role, stage=stage,
            date=app.status_changed_on if app.status == "rejected" else None,
            also=self.applications.link_rejection(app))
        due = discord.utils.parse_time(logged.prompt_due_at) if logged.prompt_due_at else None
        await self.bot.engine.wake(due)
        if stage:
            # Translators: {stage} is a stage like "phone-screen".
            head = _("Logged the rejection from {application} in your journal, linked to "
                     "#{number} (stage: {stage}).")
        else:
            head = _("Logged the rejection from {application} in your journal, linked to "
                     "#{number}.")
        lines = [head.format(application=what(app), number=app.number,
                             stage=_(stage) if stage else stage),
                 "", f"> {logged.reframe}", ""]
        if stage is None:
            lines.append(_("Which stage it reached isn't known; /rejection edit can add it."))
        if due is not None:
            lines.append(_("I'll send you a few reflection questions by DM later unless you "
                           "/reflect first."))
        await interaction.response.edit_message(content="\n".join(lines),
                                                view=disabled(interaction.message))


def _shown(name: str, value: object) -> str:
    if value is None or value == "":
        return _("(none)")
    if name == "applied_on":
        return in_words(date.fromisoformat(str(value)))
    if name == "status":
        return _(str(value))
    return inert(str(value), 200)


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(UndoLog, LogAnyway, ConfirmDelete, LogRejection, ImportButton,
                          GoodNewsButton, GoodNewsPreviewButton)
    await bot.add_cog(Apply(bot))
