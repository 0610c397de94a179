"""/rejection log, list, edit, delete, share and unshare, and the buttons of their replies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.rejections import Rejection
from bot.formatting import inert
from bot.services import text
from bot.services.applications import AlreadyDone
from bot.services.dates import in_words_iso
from bot.services.journal import (
    LIST_MAX,
    EditedEntry,
    JournalService,
    LoggedRejection,
    PossibleDuplicate,
    change_label,
)
from bot.services.privacy import DataDeleted
from bot.services.sharing import FROM_A_DM, SharingService
from bot.ui import EntryOption, PersistentButton, entry_choices
from cogs.apply import disabled, locale_of
from cogs.encourage import delete_posts, encourage_buttons, post_embed, render_post

if TYPE_CHECKING:
    from bot.client import Onward
    from cogs.encourage import Encourage

log = logging.getLogger(__name__)

Stage = Literal[
    "application", "recruiter-screen", "phone-screen", "technical", "take-home", "onsite",
    "final", "offer",
]
Share = Literal["private", "anonymous", "named"]
ShareAs = Literal["anonymous", "named"]
DATE_HELP = "YYYY-MM-DD, today, yesterday or “3 days ago”"
ENTRY_HELP = "Which of your entries (start typing the company or its number)."


def entry_buttons(rejection_id: int, *, undo: bool = False,
                  no_dms: bool = False) -> discord.ui.View:
    """The buttons under a logged entry (and Undo under a /rejection log reply). Each is handled
    by the dynamic item its cog registers, so the view is stopped: discord.py then keeps no
    copy of it for 15 minutes per reply."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label="Reflect now", style=discord.ButtonStyle.primary,
        custom_id=custom_ids.reflect(rejection_id)))
    view.add_item(discord.ui.Button(
        label="Draft feedback request", style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.feedback_draft(rejection_id)))
    view.add_item(discord.ui.Button(
        label="Share with the group", style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.share(rejection_id)))
    if undo:
        view.add_item(discord.ui.Button(
            label="Undo", style=discord.ButtonStyle.secondary,
            custom_id=custom_ids.rejection_undo(rejection_id)))
    if no_dms:
        view.add_item(discord.ui.Button(
            label="No DMs, thanks", style=discord.ButtonStyle.secondary,
            custom_id=custom_ids.no_dms()))
    view.stop()
    return view


def entry_time(entry):
    return discord.utils.parse_time(entry.created_at)


def what(entry: Rejection) -> str:
    """Company and role, as text."""
    return inert(entry.company) + (f" · {inert(entry.role)}" if entry.role else "")


def details(entry: Rejection) -> str:
    """Company, role, stage and the date in words."""
    parts = [inert(entry.company)]
    if entry.role:
        parts.append(inert(entry.role))
    if entry.stage:
        parts.append(entry.stage)
    parts.append(in_words_iso(entry.occurred_on))
    return " · ".join(parts)


def describe(entry: Rejection) -> str:
    """One line of /rejection list."""
    return f"**#{entry.number}** {details(entry)}"


def logged_text(logged: LoggedRejection, *, consent: bool = False) -> str:
    entry = logged.entry
    lines = [
        f"Logged **#{entry.number}**: {details(entry)}.",
        "",
        f"> {logged.reframe}",
        "",
    ]
    if logged.prompt_due_at:
        due = discord.utils.parse_time(logged.prompt_due_at)
        when = "shortly" if due <= entry_time(entry) else discord.utils.format_dt(due, "R")
        if consent:
            lines.append(
                f"I'll send you a few reflection questions about it by DM {when} "
                f"({discord.utils.format_dt(due, 'f')}) unless you reflect first. Rather "
                "not get DMs from me? Press **No DMs, thanks**.")
        else:
            lines.append(
                f"I'll send you a few reflection questions by DM {when} unless you reflect first."
            )
    share = entry.share
    if share != "private":
        lines.append(f"You chose to share it with the group ({share}): a private preview "
                     "follows, and nothing is posted before you press **Post it**.")
    lines.append("Undo works for 15 minutes.")
    return "\n".join(lines)


def duplicate_text(found: PossibleDuplicate) -> str:
    earlier = found.earlier
    return (f"You already logged {what(earlier)} on {in_words_iso(earlier.occurred_on)}: "
            f"that's **#{earlier.number}**. I haven't stored it again. If this is another "
            "rejection, press **Log it anyway**.")


def _shown(name: str, value: object) -> str:
    if value is None or value == "":
        return "(none)"
    if name == "occurred_on":
        return in_words_iso(str(value))
    if name == "stage":
        return str(value)
    return inert(str(value), 200)


def edited_text(edited: EditedEntry, posts_updated: int, waiting: int) -> str:
    entry = edited.entry
    if not edited.changes:
        return f"Nothing changed: #{entry.number} {what(entry)} already says that."
    lines = [f"Updated **#{entry.number}**:"]
    lines += [f"{change_label(name)}: {_shown(name, getattr(edited.before, name))} -> "
              f"{_shown(name, getattr(entry, name))}" for name in edited.changes]
    if posts_updated:
        lines.append("Its post in the group is updated to match." if posts_updated == 1 else
                     f"Its {posts_updated} posts in the groups are updated to match.")
    if waiting:
        lines.append("Its anonymous post isn't up yet; it will show the new details.")
    return "\n".join(lines)


def delete_buttons(rejection_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label="Delete it", style=discord.ButtonStyle.danger,
        custom_id=custom_ids.rejection_delete(rejection_id, True)))
    view.add_item(discord.ui.Button(
        label="Keep it", style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.rejection_delete(rejection_id, False)))
    view.stop()
    return view


def cog_of(interaction: discord.Interaction[Onward]) -> RejectionCog:
    cog = interaction.client.get_cog("Rejection")
    assert isinstance(cog, RejectionCog), "the rejection cog registers these buttons"
    return cog


class UndoButton(PersistentButton, template=custom_ids.REJECTION_UNDO):
    """Undo, under a /rejection log reply: for 15 minutes the entry goes as if never logged."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(label="Undo",
                                           custom_id=custom_ids.rejection_undo(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> UndoButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cog_of(interaction)
        entry = await cog.journal.check_undo(interaction.user.id, self.rejection_id)
        await cog.remove(interaction.user.id, entry.id)
        await interaction.response.edit_message(
            content=f"Undone: #{entry.number} {what(entry)} is no longer in your journal.",
            view=disabled(interaction.message))


class LogAnywayButton(PersistentButton, template=custom_ids.REJECTION_ANYWAY):
    def __init__(self, pending_id: int) -> None:
        super().__init__(discord.ui.Button(label="Log it anyway",
                                           custom_id=custom_ids.rejection_anyway(pending_id)))
        self.pending_id = pending_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> LogAnywayButton:
        return cls(int(match["pending_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cog_of(interaction)
        logged = await cog.journal.log_anyway(interaction.user.id, self.pending_id)
        await interaction.response.edit_message(
            content=logged_text(logged), view=entry_buttons(logged.entry.id, undo=True))
        await cog.after_logging(interaction, logged)


class DeleteButton(PersistentButton, template=custom_ids.REJECTION_DELETE):
    """Delete it / Keep it, under a /rejection delete confirmation."""

    def __init__(self, rejection_id: int, go: bool) -> None:
        super().__init__(discord.ui.Button(
            label="Delete it" if go else "Keep it",
            custom_id=custom_ids.rejection_delete(rejection_id, go)))
        self.rejection_id = rejection_id
        self.go = go

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> DeleteButton:
        return cls(int(match["rejection_id"]), match["action"] == "go")

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cog_of(interaction)
        if not self.go:
            entry = await cog.journal.entry_for_button(interaction.user.id, self.rejection_id)
            await interaction.response.edit_message(
                content=f"Kept: **#{entry.number}** {what(entry)} stays in your journal.",
                view=disabled(interaction.message))
            return
        try:
            entry = await cog.journal.entry_for_button(interaction.user.id, self.rejection_id)
        except DataDeleted:
            raise AlreadyDone("Already done: that entry is deleted.") from None
        await interaction.response.defer()
        await cog.remove(interaction.user.id, entry.id)
        await interaction.edit_original_response(
            content=(f"Deleted #{entry.number} {what(entry)}, with its reflection, feedback, "
                     "reminders and any group post."),
            view=disabled(interaction.message))


class RejectionCog(commands.GroupCog, name="Rejection", group_name="rejection"):
    """Log a rejection and see your entries."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.journal = JournalService(bot.database, bot.clock)
        self.sharing = SharingService(bot.database, bot.clock)
        super().__init__()

    async def after_logging(self, interaction: discord.Interaction,
                            logged: LoggedRejection) -> None:
        if logged.prompt_due_at:
            await self.bot.engine.wake(discord.utils.parse_time(logged.prompt_due_at))
        if logged.entry.share != "private":
            self.bot.dispatch("rejection_shared", interaction, logged.entry)

    async def remove(self, user_id: int, rejection_id: int) -> None:
        """The entry and everything about it gone, its posts in every server first."""
        encourage = cast("Encourage | None", self.bot.get_cog("Encourage"))
        assert encourage is not None, "the encourage cog takes posts down"
        await encourage.remove_entry_posts(user_id, rejection_id)
        await self.journal.delete(user_id, rejection_id)

    @app_commands.command(name="log", description="Log an interview rejection, privately.")
    @app_commands.describe(
        company="The company that said no.",
        role="The role you applied for.",
        stage="How far you got.",
        date=f"When it happened: {DATE_HELP} (default today).",
        note="Anything you want to remember about it (only you see it).",
        share="Who sees it: only you (default), the group anonymously, or the group by name.",
    )
    async def log(
        self,
        interaction: discord.Interaction,
        company: app_commands.Range[str, 1, text.COMPANY_MAX],
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        stage: Stage | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
        note: app_commands.Range[str, 1, text.NOTE_MAX] | None = None,
        share: Share = "private",
    ) -> None:
        result = await self.journal.log_or_warn(
            user_id=interaction.user.id, guild_id=interaction.guild_id, company=company,
            role=role, stage=stage, date=date, note=note, share=share,
            locale=locale_of(interaction),
        )
        if isinstance(result, PossibleDuplicate):
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(
                label="Log it anyway", style=discord.ButtonStyle.secondary,
                custom_id=custom_ids.rejection_anyway(result.pending_id)))
            view.stop()
            await interaction.response.send_message(duplicate_text(result), view=view,
                                                    ephemeral=True)
            return
        # The first DM Onward plans for a member: say so, and offer not to.
        consent = bool(result.prompt_due_at) and await self.bot.outbox.personal.first_dm_consent(
            interaction.user.id)
        await interaction.response.send_message(
            logged_text(result, consent=consent),
            view=entry_buttons(result.entry.id, undo=True, no_dms=consent), ephemeral=True,
        )
        await self.after_logging(interaction, result)

    @app_commands.command(name="list", description="Your logged rejections, newest first.")
    @app_commands.describe(limit=f"How many to show (1–{LIST_MAX}, default 10).")
    async def list_(
        self, interaction: discord.Interaction,
        limit: app_commands.Range[int, 1, LIST_MAX] = 10,
    ) -> None:
        entries = await self.journal.list_entries(interaction.user.id, limit)
        if not entries:
            await interaction.response.send_message(
                "No entries yet. When a no arrives, /rejection log keeps it here, privately.",
                ephemeral=True,
            )
            return
        body = "\n".join(describe(e) for e in entries)
        await interaction.response.send_message(
            f"Your entries, newest first:\n{body}", ephemeral=True
        )

    @app_commands.command(name="edit", description="Fix an entry: company, role, stage, date "
                                                   "or note.")
    @app_commands.describe(
        entry=ENTRY_HELP,
        company="The company, corrected.",
        role="The role, corrected.",
        stage="How far you got.",
        date=f"When it happened: {DATE_HELP}.",
        note="Anything you want to remember about it (only you see it).",
    )
    async def edit(
        self, interaction: discord.Interaction, entry: EntryOption,
        company: app_commands.Range[str, 1, text.COMPANY_MAX] | None = None,
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        stage: Stage | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
        note: app_commands.Range[str, 1, text.NOTE_MAX] | None = None,
    ) -> None:
        edited = await self.journal.edit(
            user_id=interaction.user.id, entry=entry, company=company, role=role, stage=stage,
            date=date, note=note, locale=locale_of(interaction))
        await interaction.response.defer(ephemeral=True, thinking=True)
        updated = waiting = 0
        if edited.changes:
            shares = await self.journal.posts_of(interaction.user.id, edited.entry.id)
            waiting = sum(1 for s in shares if s.message_id is None)
            if edited.post_changed:
                updated = await self.update_posts(interaction, edited.entry, shares)
        await interaction.followup.send(edited_text(edited, updated, waiting), ephemeral=True)

    async def update_posts(self, interaction: discord.Interaction, entry: Rejection,
                           shares) -> int:
        """Each posted share of the entry edited to show it as it is now, through the same
        rendering as the post itself. Returns how many were edited."""
        edited = 0
        for share in shares:
            if share.message_id is None:
                continue        # not up yet: it is rendered from the entry when it goes up
            author = self._name_in(share.guild_id, interaction) if share.named else None
            post = render_post(self.sharing, entry, named=share.named,
                               show_company=share.show_company, author_name=author)
            channel = self.bot.get_partial_messageable(share.channel_id, guild_id=share.guild_id)
            try:
                await channel.get_partial_message(share.message_id).edit(
                    embed=post_embed(post), view=encourage_buttons(share.id))
            except discord.HTTPException as error:
                log.warning("could not update shared post %s: %s", share.message_id, error)
                continue
            edited += 1
        return edited

    def _name_in(self, guild_id: int, interaction: discord.Interaction) -> str:
        if interaction.guild_id == guild_id:
            return interaction.user.display_name
        guild = self.bot.get_guild(guild_id)
        member = guild.get_member(interaction.user.id) if guild is not None else None
        return (member or interaction.user).display_name

    @app_commands.command(name="delete", description="Delete an entry and everything about it.")
    @app_commands.describe(entry=ENTRY_HELP)
    async def delete(self, interaction: discord.Interaction, entry: EntryOption) -> None:
        found = await self.journal.get_entry(interaction.user.id, entry)
        await interaction.response.send_message(
            f"Delete **#{found.number}** {details(found)}? Its reflection, feedback, reminders "
            "and any group post go with it. This can't be undone.",
            view=delete_buttons(found.id), ephemeral=True)

    @app_commands.command(name="share",
                          description="Share an entry with the group: a private preview first.")
    @app_commands.describe(
        entry=ENTRY_HELP,
        as_="Anonymously (default: nobody can tell it's you) or with your name.",
        show_company="Show the company in the post (default: hidden).",
    )
    @app_commands.rename(as_="as")
    async def share(
        self, interaction: discord.Interaction, entry: EntryOption, as_: ShareAs = "anonymous",
        show_company: bool = False,
    ) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(FROM_A_DM, ephemeral=True)
            return
        found = await self.journal.get_entry(interaction.user.id, entry)
        encourage = cast("Encourage | None", self.bot.get_cog("Encourage"))
        assert encourage is not None, "the encourage cog shows share previews"
        await encourage.send_preview(interaction, found.id, named=as_ == "named",
                                     show_company=show_company)

    @app_commands.command(name="unshare",
                          description="Take an entry's post down from the group; it stays yours.")
    @app_commands.describe(entry="Which of your shared entries (start typing the company).")
    async def unshare(self, interaction: discord.Interaction, entry: EntryOption) -> None:
        wanted = await self.journal.get_entry(interaction.user.id, entry)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found, shares = await self.sharing.unshare(interaction.user.id, wanted.id)
        await delete_posts(self.bot, shares)
        posted = sum(1 for s in shares if s.message_id is not None)
        pending = len(shares) - posted
        parts = []
        if posted:
            parts.append("its post is deleted from the support channel"
                         if posted == 1 else f"its {posted} posts are deleted")
        if pending:
            parts.append("the anonymous post that was on its way won't go up")
        await interaction.followup.send(
            f"Done: {' and '.join(parts)}. **#{found.number}** {inert(found.company)} stays in "
            "your journal.", ephemeral=True)

    @edit.autocomplete("entry")
    @delete.autocomplete("entry")
    @share.autocomplete("entry")
    @unshare.autocomplete("entry")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await entry_choices(self.journal.choices, interaction, current)


DYNAMIC_ITEMS = (UndoButton, LogAnywayButton, DeleteButton)


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(RejectionCog(bot))


async def teardown(bot: Onward) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
