"""/apply: log applications against a weekly goal and move them through a pipeline."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.applications import Application
from bot.formatting import inert
from bot.services import application_csv, text
from bot.services.applications import (
    GOAL_MAX,
    GOAL_MIN,
    LIST_MAX,
    AlreadyDone,
    ApplicationService,
    ImportPreview,
    LoggedApplication,
    PossibleDuplicate,
    WeekProgress,
    change_label,
)
from bot.services.dates import in_words, in_words_iso
from bot.services.journal import JournalService
from bot.ui import PersistentButton

if TYPE_CHECKING:
    from bot.client import Onward
    from cogs.encourage import Encourage

Status = Literal["applied", "screening", "interviewing", "offer", "rejected", "withdrawn",
                 "no-response"]
DATE_HELP = "YYYY-MM-DD, today, yesterday or “3 days ago”"
LISTED_MAX = 8       # refused rows, duplicates or warnings named one by one in a preview


def progress_line(week: WeekProgress) -> str:
    span = f"{in_words(week.first_day)} – {in_words(week.last_day)}"
    count = f"{week.applications} application{'' if week.applications == 1 else 's'}"
    if week.goal is None:
        return (f"This week ({span}): {count}. Set a weekly goal with /apply goal "
                "if a steady pace would help.")
    if week.goal_met:
        extra = week.applications - week.goal
        return (f"This week ({span}): {count}, your goal of {week.goal} is reached"
                + (f" (and {extra} more)." if extra else ".")
                + " Rest is part of the plan too.")
    left = week.goal - week.applications
    return (f"This week ({span}): {week.applications} of {week.goal}. "
            f"{left} more to reach your goal; one at a time is fine.")


def what(app: Application) -> str:
    return inert(app.company) + (f" · {inert(app.role)}" if app.role else "")


def describe(app: Application) -> str:
    """One line of /apply list."""
    line = f"**#{app.number}** {what(app)} · applied {in_words_iso(app.applied_on)} · {app.status}"
    if app.status != "applied" and app.status_changed_on:
        line += f" since {in_words_iso(app.status_changed_on)}"
    return line


def fit_list(heading: str, lines: list[str], limit: int = 2000) -> str:
    """Whole lines only, as many as fit in one message, and how many more there are."""
    shown = [heading]
    for index, line in enumerate(lines):
        rest = len(lines) - index
        tail = f"\n…and {rest} more that don't fit here; /apply export lists them all."
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
        shown += f"; and {len(items) - LISTED_MAX} more"
    return shown


def preview_text(filename: str, preview: ImportPreview) -> str:
    lines = [f"**{inert(filename, 80)}**: {preview.found} row{'' if preview.found == 1 else 's'}"
             " found."]
    lines.append(f"• {preview.rows} to import")
    if preview.duplicates:
        many = "s" if len(preview.duplicates) != 1 else ""
        lines.append(f"• {len(preview.duplicates)} duplicate{many}"
                     " skipped (same company, role and date): " + _listed([
                         f"line {line} (same as " + (f"your #{n})" if n else "an earlier line)")
                         for line, n in preview.duplicates]))
    if preview.refused:
        lines.append(f"• {len(preview.refused)} refused: " + _listed(
            [f"line {line}: {why}" for line, why in preview.refused]))
    if preview.warnings:
        lines.append("• Imported with a change: " + _listed(
            [f"line {line}: {why}" for line, why in preview.warnings]))
    if preview.ignored_columns:
        lines.append("• Columns not used: " + inert(", ".join(preview.ignored_columns), 200))
    if preview.pending_id is None:
        lines.append("Nothing to import, so nothing was changed.")
    else:
        lines.append("Nothing is imported until you press **Import**; all rows go in together "
                     "or none do. This preview keeps for a day.")
    return "\n".join(lines)[:2000]


class UndoLog(PersistentButton, template=custom_ids.APPLY_UNDO):
    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label="Undo", style=discord.ButtonStyle.secondary,
                                           custom_id=custom_ids.apply_undo(application_id)))
        self.application_id = application_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> UndoLog:
        return cls(int(match["application_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Apply, interaction.client.get_cog("Apply"))
        app = await cog.applications.undo(interaction.user.id, self.application_id)
        await interaction.response.edit_message(
            content=f"Undone: #{app.number} {what(app)} is no longer logged.",
            view=disabled(interaction.message))


class LogAnyway(PersistentButton, template=custom_ids.APPLY_ANYWAY):
    def __init__(self, pending_id: int) -> None:
        super().__init__(discord.ui.Button(label="Log it anyway",
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
        super().__init__(discord.ui.Button(label="Delete it", style=discord.ButtonStyle.danger,
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
            content=f"Deleted #{app.number} {what(app)}.", view=disabled(interaction.message))


class LogRejection(PersistentButton, template=custom_ids.APPLY_REJECTION):
    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label="Log this rejection",
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
            label="Import" if go else "Cancel",
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
                content="Cancelled; nothing was imported.", view=disabled(interaction.message))
            return
        imported, skipped = await service.run_import(
            interaction.user.id, interaction.guild_id, self.pending_id)
        lines = [f"Imported {imported} application{'' if imported == 1 else 's'}. "
                 "/apply list shows them."]
        if skipped:
            lines.append(f"{skipped} skipped: you logged the same ones since the preview.")
        await interaction.response.edit_message(content="\n".join(lines),
                                                view=disabled(interaction.message))


class GoodNewsButton(PersistentButton, template=custom_ids.GOOD_NEWS):
    """Share the good news, under an /apply update to interviewing or offer: a private preview
    first (anonymous unless the member switches to their name)."""

    def __init__(self, application_id: int) -> None:
        super().__init__(discord.ui.Button(label="Share the good news",
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
            label={"go": "Post it", "cancel": "Cancel"}.get(action, "Switch"),
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
                content="Cancelled: nothing was posted.", embed=None,
                view=disabled(interaction.message))


def log_buttons(application_id: int) -> discord.ui.View:
    return one_button("Undo", custom_ids.apply_undo(application_id),
                      discord.ButtonStyle.secondary)


def logged_text(logged: LoggedApplication) -> str:
    app = logged.application
    lines = [f"Logged your application to {what(app)} as **#{app.number}** "
             f"(applied {in_words_iso(app.applied_on)})."]
    if not logged.in_this_week:
        lines.append("That date is in an earlier week, so it counts there.")
    lines.append(progress_line(logged.week))
    lines.append("Undo works for 15 minutes.")
    return "\n".join(lines)


class Apply(commands.GroupCog, group_name="apply",
            group_description="Log your applications and follow them through."):
    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.applications = ApplicationService(bot.database, bot.clock)
        self.journal = JournalService(bot.database, bot.clock)
        super().__init__()

    async def application_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        apps = await self.applications.suggest(interaction.user.id, current)
        choices = []
        for app in apps:
            label = (f"#{app.number} {app.company}" + (f" · {app.role}" if app.role else "")
                     + f" ({app.status}, {in_words_iso(app.applied_on)})")
            if len(label) > 100:
                label = label[:99] + "…"
            choices.append(app_commands.Choice(name=label, value=str(app.number)))
        return choices

    @app_commands.command(name="log", description="Record a job application you sent.")
    @app_commands.describe(
        company="The company you applied to.",
        role="The role you applied for.",
        link="The job posting (http:// or https://).",
        date=f"When you applied: {DATE_HELP} (default today).",
    )
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
                f"You already logged {what(earlier)} on {in_words_iso(earlier.applied_on)}: "
                f"that's **#{earlier.number}**. I haven't stored it again. If this is a second "
                "application, press **Log it anyway**.",
                view=one_button("Log it anyway", custom_ids.apply_anyway(result.pending_id),
                                discord.ButtonStyle.secondary),
                ephemeral=True)
            return
        await interaction.response.send_message(
            logged_text(result), view=log_buttons(result.application.id), ephemeral=True)

    @app_commands.command(
        name="goal", description="Set how many applications you aim for each week."
    )
    @app_commands.describe(per_week=f"Applications per week ({GOAL_MIN}–{GOAL_MAX}).")
    async def goal(
        self, interaction: discord.Interaction,
        per_week: app_commands.Range[int, GOAL_MIN, GOAL_MAX],
    ) -> None:
        week = await self.applications.set_goal(interaction.user.id, per_week)
        await interaction.response.send_message(
            f"Your weekly goal is now {per_week} application{'' if per_week == 1 else 's'}. "
            "Pick a pace you can keep; you can change it any time.\n" + progress_line(week),
            ephemeral=True,
        )

    @app_commands.command(name="list", description="Your applications, newest first.")
    @app_commands.describe(status="Only those with this status.",
                           limit=f"How many to show (1–{LIST_MAX}, default 10).")
    async def list_(
        self, interaction: discord.Interaction, status: Status | None = None,
        limit: app_commands.Range[int, 1, LIST_MAX] = 10,
    ) -> None:
        apps = await self.applications.list_applications(interaction.user.id, status, limit)
        if not apps:
            await interaction.response.send_message(
                (f"No applications with status {status}." if status else
                 "No applications yet. /apply log records one; /apply import reads a CSV."),
                ephemeral=True)
            return
        heading = f"Your {status} applications" if status else "Your applications"
        await interaction.response.send_message(
            fit_list(f"{heading}, newest first:", [describe(a) for a in apps]), ephemeral=True)

    @app_commands.command(name="update", description="Change an application: its status or "
                                                     "details.")
    @app_commands.describe(
        application="Which application (start typing the company or its number).",
        status="Where it stands now.",
        company="The company, corrected.",
        role="The role, corrected.",
        link="The job posting (http:// or https://).",
        date=f"When you applied: {DATE_HELP}.",
        note="Anything to remember about it (only you see it).",
    )
    @app_commands.autocomplete(application=application_autocomplete)
    async def update(
        self, interaction: discord.Interaction,
        application: app_commands.Range[str, 1, 100],
        status: Status | None = None,
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
                f"Nothing changed: #{app.number} {what(app)} already says that.", ephemeral=True)
            return
        lines = [f"Updated **#{app.number}** {what(app)}:"]
        lines += [f"{change_label(name)}: {_shown(name, getattr(updated.before, name))} -> "
                  f"{_shown(name, getattr(app, name))}" for name in updated.changes]
        if updated.status_changed:
            lines.append(f"Status changed on {in_words_iso(app.status_changed_on)}.")
        view = None
        if updated.is_win:
            lines.append("That's a win: " + ("an offer!" if app.status == "offer" else
                                             "you reached the interviews.")
                         + " It counts in /progress and in the group's weekly wins (no names). "
                         "**Share the good news** shows you a post for the group first.")
            view = one_button("Share the good news", custom_ids.good_news(app.id),
                              discord.ButtonStyle.success)
        if updated.offers_rejection:
            lines.append("Sorry it didn't work out. **Log this rejection** puts it in your "
                         "journal, linked to this application, so you can reflect on it.")
            view = one_button("Log this rejection", custom_ids.apply_rejection(app.id),
                              discord.ButtonStyle.primary)
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        await interaction.response.send_message("\n".join(lines), ephemeral=True, **kwargs)

    @app_commands.command(name="delete", description="Delete one of your applications.")
    @app_commands.describe(application="Which application (start typing the company or its "
                                       "number).")
    @app_commands.autocomplete(application=application_autocomplete)
    async def delete(
        self, interaction: discord.Interaction, application: app_commands.Range[str, 1, 100],
    ) -> None:
        app = await self.applications.get(interaction.user.id, application)
        await interaction.response.send_message(
            f"Delete **#{app.number}** {what(app)} (applied {in_words_iso(app.applied_on)}, "
            f"{app.status})? This can't be undone.",
            view=one_button("Delete it", custom_ids.apply_delete(app.id),
                            discord.ButtonStyle.danger),
            ephemeral=True)

    @app_commands.command(name="export", description="Your applications as a CSV file, e.g. "
                                                     "as proof of your job search.")
    @app_commands.describe(from_=f"First day applied to include: {DATE_HELP} (default: all).",
                           to=f"Last day applied to include: {DATE_HELP} (default: today).")
    @app_commands.rename(from_="from")
    async def export(
        self, interaction: discord.Interaction,
        from_: app_commands.Range[str, 1, 40] | None = None,
        to: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        export = await self.applications.export_csv(
            interaction.user.id, from_, to, locale=locale_of(interaction))
        await interaction.response.defer(ephemeral=True, thinking=True)
        if export.count:
            message = (f"Your {export.count} application{'' if export.count == 1 else 's'} as a "
                       "CSV file (opens in any spreadsheet). Only you can see this message.")
        else:
            message = "No applications in that period; the file has only its header row."
        await interaction.followup.send(
            message, file=discord.File(io.BytesIO(export.content), filename=export.filename),
            ephemeral=True)

    @app_commands.command(name="import", description="Add applications from a CSV file: your "
                                                     "export or a tracker's.")
    @app_commands.describe(file="A CSV file with a header row (company, role, date applied, "
                                "link, status...).")
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
                label="Import", style=discord.ButtonStyle.primary,
                custom_id=custom_ids.apply_import(preview.pending_id, True)))
            view.add_item(discord.ui.Button(
                label="Cancel", style=discord.ButtonStyle.secondary,
                custom_id=custom_ids.apply_import(preview.pending_id, False)))
            view.stop()
        await interaction.followup.send(preview_text(file.filename, preview), view=view,
                                        ephemeral=True)

    async def log_rejection(self, interaction: discord.Interaction, application_id: int) -> None:
        """The Log this rejection button: a journal entry prefilled from the application."""
        app = await self.applications.get_by_id(interaction.user.id, application_id)
        if await self.applications.linked_rejection(app.id) is not None:
            raise AlreadyDone(f"Already done: the rejection for #{app.number} is in your "
                              "journal.")
        stage = await self.applications.rejection_stage(app.id)
        logged = await self.journal.log_rejection(
            user_id=app.user_id, guild_id=interaction.guild_id,
            company=app.company, role=app.role, stage=stage,
            date=app.status_changed_on if app.status == "rejected" else None,
            also=self.applications.link_rejection(app))
        due = discord.utils.parse_time(logged.prompt_due_at) if logged.prompt_due_at else None
        await self.bot.engine.wake(due)
        lines = [f"Logged the rejection from {what(app)} in your journal, linked to "
                 f"#{app.number}" + (f" (stage: {stage})" if stage else "") + ".",
                 "", f"> {logged.reframe}", ""]
        if stage is None:
            lines.append("Which stage it reached isn't known; /rejection edit can add it.")
        if due is not None:
            lines.append("I'll send you a few reflection questions by DM later unless you "
                         "/reflect first.")
        await interaction.response.edit_message(content="\n".join(lines),
                                                view=disabled(interaction.message))


def _shown(name: str, value: object) -> str:
    if value is None or value == "":
        return "(none)"
    if name == "applied_on":
        return in_words(date.fromisoformat(str(value)))
    if name == "status":
        return str(value)
    return inert(str(value), 200)


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(UndoLog, LogAnyway, ConfirmDelete, LogRejection, ImportButton,
                          GoodNewsButton, GoodNewsPreviewButton)
    await bot.add_cog(Apply(bot))
