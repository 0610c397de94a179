"""/rejection log, list, edit, delete, share and unshare, and the buttons of their replies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.rejections import Rejection
from bot.formatting import inert
from bot.i18n import _, ngettext
from bot.services import text
from bot.services.applications import AlreadyDone
from bot.services.dates import in_words_iso
from bot.services.journal import (
    LIST_MAX,
    EditedEntry,
    LoggedRejection,
    PossibleDuplicate,
    change_label,
)
from bot.services.privacy import DataDeleted
from bot.services.sharing import FROM_A_DM
from bot.tree import handle_interaction_error
from bot.ui import EntryOption, PersistentButton, entry_choices
from cogs.apply import disabled, locale_of
from cogs.encourage import (
    delete_posts,
    encourage_buttons,
    post_embed,
    render_post,
    send_share_preview,
)

if TYPE_CHECKING:
    from bot.client import Onward
    from cogs.encourage import Encourage

log = logging.getLogger(__name__)

# Choice names are what members see (translated); the values are stored. A stored stage is
# shown through the same catalog text: `_(entry.stage)`.
STAGES = [
    app_commands.Choice(name=T_("application"), value="application"),
    app_commands.Choice(name=T_("recruiter-screen"), value="recruiter-screen"),
    app_commands.Choice(name=T_("phone-screen"), value="phone-screen"),
    app_commands.Choice(name=T_("technical"), value="technical"),
    app_commands.Choice(name=T_("take-home"), value="take-home"),
    app_commands.Choice(name=T_("onsite"), value="onsite"),
    app_commands.Choice(name=T_("final"), value="final"),
    app_commands.Choice(name=T_("offer"), value="offer"),
]
SHARE_AS = [
    app_commands.Choice(name=T_("anonymous"), value="anonymous"),
    app_commands.Choice(name=T_("named"), value="named"),
]
SHARES = [app_commands.Choice(name=T_("private"), value="private"), *SHARE_AS]
ENTRY_HELP = T_("Which of your entries (start typing the company or its number).")
LIMIT_HELP = T_("How many to show (1–25, default 10).")
assert f"(1–{LIST_MAX}," in LIMIT_HELP.message, "the /rejection list limit help names LIST_MAX"


def entry_buttons(rejection_id: int, *, undo: bool = False,
                  no_dms: bool = False) -> discord.ui.View:
    """The buttons under a logged entry (and Undo under a /rejection log reply). Each is handled
    by the dynamic item its cog registers, so the view is stopped: discord.py then keeps no
    copy of it for 15 minutes per reply."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label=_("Reflect now"), style=discord.ButtonStyle.primary,
        custom_id=custom_ids.reflect(rejection_id)))
    view.add_item(discord.ui.Button(
        label=_("Draft feedback request"), style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.feedback_draft(rejection_id)))
    view.add_item(discord.ui.Button(
        label=_("Share with the group"), style=discord.ButtonStyle.secondary,
        custom_id=custom_ids.share(rejection_id)))
    if undo:
        view.add_item(discord.ui.Button(
            label=_("Undo"), style=discord.ButtonStyle.secondary,
            custom_id=custom_ids.rejection_undo(rejection_id)))
    if no_dms:
        view.add_item(discord.ui.Button(
            label=_("No DMs, thanks"), style=discord.ButtonStyle.secondary,
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
        parts.append(_(entry.stage))
    parts.append(in_words_iso(entry.occurred_on))
    return " · ".join(parts)


def describe(entry: Rejection) -> str:
    """One line of /rejection list."""
    return f"**#{entry.number}** {details(entry)}"


def logged_text(logged: LoggedRejection, *, consent: bool = False) -> str:
    entry = logged.entry
    lines = [
        _("Logged **#{number}**: {details}.").format(number=entry.number,
                                                      details=details(entry)),
        "",
        f"> {logged.reframe}",
        "",
    ]
    if logged.prompt_due_at:
        due = discord.utils.parse_time(logged.prompt_due_at)
        soon = due <= entry_time(entry)
        relative, full = discord.utils.format_dt(due, "R"), discord.utils.format_dt(due, "f")
        if consent and soon:
            # Translators: {at} is a date and time Discord shows in the reader's own format.
            text_ = _("I'll send you a few reflection questions about it by DM shortly ({at}) "
                      "unless you reflect first. Rather not get DMs from me? Press **No DMs, "
                      "thanks**.")
        elif consent:
            # Translators: {when} reads like "in 2 hours"; {at} is a date and time.
            text_ = _("I'll send you a few reflection questions about it by DM {when} ({at}) "
                      "unless you reflect first. Rather not get DMs from me? Press **No DMs, "
                      "thanks**.")
        elif soon:
            text_ = _("I'll send you a few reflection questions by DM shortly unless you "
                      "reflect first.")
        else:
            # Translators: {when} reads like "in 2 hours".
            text_ = _("I'll send you a few reflection questions by DM {when} unless you "
                      "reflect first.")
        lines.append(text_.format(when=relative, at=full))
    if entry.share == "anonymous":
        lines.append(_("You chose to share it with the group (anonymous): a private preview "
                       "follows, and nothing is posted before you press **Post it**."))
    elif entry.share != "private":
        lines.append(_("You chose to share it with the group (named): a private preview "
                       "follows, and nothing is posted before you press **Post it**."))
    lines.append(_("Undo works for 15 minutes."))
    return "\n".join(lines)


def duplicate_text(found: PossibleDuplicate) -> str:
    earlier = found.earlier
    # Translators: {entry} is the company (and role); {date} a date in words.
    return _("You already logged {entry} on {date}: that's **#{number}**. I haven't stored it "
             "again. If this is another rejection, press **Log it anyway**.").format(
        entry=what(earlier), date=in_words_iso(earlier.occurred_on), number=earlier.number)


def _shown(name: str, value: object) -> str:
    if value is None or value == "":
        return _("(none)")
    if name == "occurred_on":
        return in_words_iso(str(value))
    if name == "stage":
        return _(str(value))
    return inert(str(value), 200)


def edited_text(edited: EditedEntry, posts_updated: int, waiting: int) -> str:
    entry = edited.entry
    if not edited.changes:
        return _("Nothing changed: #{number} {entry} already says that.").format(
            number=entry.number, entry=what(entry))
    lines = [_("Updated **#{number}**:").format(number=entry.number)]
    # Translators: one changed detail, like "Role: Designer -> Senior designer".
    lines += [_("{label}: {before} -> {after}").format(
        label=change_label(name), before=_shown(name, getattr(edited.before, name)),
        after=_shown(name, getattr(entry, name))) for name in edited.changes]
    if posts_updated:
        lines.append(ngettext("Its post in the group is updated to match.",
                              "Its {count} posts in the groups are updated to match.",
                              posts_updated).format(count=posts_updated))
    if waiting:
        lines.append(_("Its anonymous post isn't up yet; it will show the new details."))
    return "\n".join(lines)


def delete_buttons(rejection_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label=_("Delete it"), style=discord.ButtonStyle.danger,
        custom_id=custom_ids.rejection_delete(rejection_id, True)))
    view.add_item(discord.ui.Button(
        label=_("Keep it"), style=discord.ButtonStyle.secondary,
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
        super().__init__(discord.ui.Button(label=_("Undo"),
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
            content=_("Undone: #{number} {entry} is no longer in your journal.").format(
                number=entry.number, entry=what(entry)),
            view=disabled(interaction.message))


class LogAnywayButton(PersistentButton, template=custom_ids.REJECTION_ANYWAY):
    def __init__(self, pending_id: int) -> None:
        super().__init__(discord.ui.Button(label=_("Log it anyway"),
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
            label=_("Delete it") if go else _("Keep it"),
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
                content=_("Kept: **#{number}** {entry} stays in your journal.").format(
                    number=entry.number, entry=what(entry)),
                view=disabled(interaction.message))
            return
        try:
            entry = await cog.journal.entry_for_button(interaction.user.id, self.rejection_id)
        except DataDeleted:
            raise AlreadyDone(_("Already done: that entry is deleted.")) from None
        await interaction.response.defer()
        await cog.remove(interaction.user.id, entry.id)
        await interaction.edit_original_response(
            content=_("Deleted #{number} {entry}, with its reflection, feedback, reminders "
                      "and any group post.").format(number=entry.number, entry=what(entry)),
            view=disabled(interaction.message))


# Translators: command and option names must stay lowercase, one word or hyphenated,
# at most 32 characters, with no spaces.
class RejectionCog(commands.GroupCog, name="Rejection", group_name=T_("rejection"),
                   group_description=T_("Log a rejection and see your entries.")):
    """Log a rejection and see your entries."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.journal = bot.services.journal
        self.sharing = bot.services.sharing
        super().__init__()

    async def after_logging(self, interaction: discord.Interaction,
                            logged: LoggedRejection) -> None:
        if logged.prompt_due_at:
            await self.bot.engine.wake(discord.utils.parse_time(logged.prompt_due_at))
        if logged.entry.share != "private":
            # The reply is already sent; what follows is the same preview as /rejection share.
            try:
                await send_share_preview(interaction, self.sharing, logged.entry.id,
                                         named=logged.entry.share == "named", show_company=False)
            except Exception as error:  # noqa: BLE001 - the reply was sent: follow up privately
                await handle_interaction_error(interaction, error)

    async def remove(self, user_id: int, rejection_id: int) -> None:
        """The entry and everything about it gone, its posts in every server first."""
        encourage = cast("Encourage | None", self.bot.get_cog("Encourage"))
        assert encourage is not None, "the encourage cog takes posts down"
        await encourage.remove_entry_posts(user_id, rejection_id)
        await self.journal.delete(user_id, rejection_id)

    @app_commands.command(name=T_("log"),
                          description=T_("Log an interview rejection, privately."))
    @app_commands.describe(
        company=T_("The company that said no."),
        role=T_("The role you applied for."),
        stage=T_("How far you got."),
        date=T_("When it happened: YYYY-MM-DD, today, yesterday or “3 days ago” (default "
                "today)."),
        note=T_("Anything you want to remember about it (only you see it)."),
        share=T_("Who sees it: only you (default), the group anonymously, or the group by "
                 "name."),
    )
    @app_commands.rename(company=T_("company"), role=T_("role"), stage=T_("stage"),
                         date=T_("date"), note=T_("note"), share=T_("share"))
    @app_commands.choices(stage=STAGES, share=SHARES)
    async def log(
        self,
        interaction: discord.Interaction,
        company: app_commands.Range[str, 1, text.COMPANY_MAX],
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        stage: str | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
        note: app_commands.Range[str, 1, text.NOTE_MAX] | None = None,
        share: str = "private",
    ) -> None:
        result = await self.journal.log_or_warn(
            user_id=interaction.user.id, guild_id=interaction.guild_id, company=company,
            role=role, stage=stage, date=date, note=note, share=share,
            locale=locale_of(interaction),
        )
        if isinstance(result, PossibleDuplicate):
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(
                label=_("Log it anyway"), style=discord.ButtonStyle.secondary,
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

    @app_commands.command(name=T_("list"),
                          description=T_("Your logged rejections, newest first."))
    @app_commands.describe(limit=LIMIT_HELP)
    @app_commands.rename(limit=T_("limit"))
    async def list_(
        self, interaction: discord.Interaction,
        limit: app_commands.Range[int, 1, LIST_MAX] = 10,
    ) -> None:
        entries = await self.journal.list_entries(interaction.user.id, limit)
        if not entries:
            await interaction.response.send_message(
                _("No entries yet. When a no arrives, /rejection log keeps it here, "
                  "privately."),
                ephemeral=True,
            )
            return
        body = "\n".join(describe(e) for e in entries)
        await interaction.response.send_message(
            _("Your entries, newest first:\n{entries}").format(entries=body), ephemeral=True
        )

    @app_commands.command(name=T_("edit"), description=T_("Fix an entry: company, role, "
                                                         "stage, date or note."))
    @app_commands.describe(
        entry=ENTRY_HELP,
        company=T_("The company, corrected."),
        role=T_("The role, corrected."),
        stage=T_("How far you got."),
        date=T_("When it happened: YYYY-MM-DD, today, yesterday or “3 days ago”."),
        note=T_("Anything you want to remember about it (only you see it)."),
    )
    @app_commands.rename(entry=T_("entry"), company=T_("company"), role=T_("role"),
                         stage=T_("stage"), date=T_("date"), note=T_("note"))
    @app_commands.choices(stage=STAGES)
    async def edit(
        self, interaction: discord.Interaction, entry: EntryOption,
        company: app_commands.Range[str, 1, text.COMPANY_MAX] | None = None,
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        stage: str | None = None,
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

    @app_commands.command(name=T_("delete"),
                          description=T_("Delete an entry and everything about it."))
    @app_commands.describe(entry=ENTRY_HELP)
    @app_commands.rename(entry=T_("entry"))
    async def delete(self, interaction: discord.Interaction, entry: EntryOption) -> None:
        found = await self.journal.get_entry(interaction.user.id, entry)
        await interaction.response.send_message(
            _("Delete **#{number}** {details}? Its reflection, feedback, reminders and any "
              "group post go with it. This can't be undone.").format(
                number=found.number, details=details(found)),
            view=delete_buttons(found.id), ephemeral=True)

    @app_commands.command(name=T_("share"), description=T_("Share an entry with the group: a "
                                                          "private preview first."))
    @app_commands.describe(
        entry=ENTRY_HELP,
        as_=T_("Anonymously (default: nobody can tell it's you) or with your name."),
        show_company=T_("Show the company in the post (default: hidden)."),
    )
    @app_commands.rename(entry=T_("entry"), as_=T_("as"), show_company=T_("show_company"))
    @app_commands.choices(as_=SHARE_AS)
    async def share(
        self, interaction: discord.Interaction, entry: EntryOption, as_: str = "anonymous",
        show_company: bool = False,
    ) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(_(FROM_A_DM), ephemeral=True)
            return
        found = await self.journal.get_entry(interaction.user.id, entry)
        encourage = cast("Encourage | None", self.bot.get_cog("Encourage"))
        assert encourage is not None, "the encourage cog shows share previews"
        await encourage.send_preview(interaction, found.id, named=as_ == "named",
                                     show_company=show_company)

    @app_commands.command(name=T_("unshare"), description=T_("Take an entry's post down from "
                                                            "the group; it stays yours."))
    @app_commands.describe(entry=T_("Which of your shared entries (start typing the company)."))
    @app_commands.rename(entry=T_("entry"))
    async def unshare(self, interaction: discord.Interaction, entry: EntryOption) -> None:
        wanted = await self.journal.get_entry(interaction.user.id, entry)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found, shares = await self.sharing.unshare(interaction.user.id, wanted.id)
        await delete_posts(self.bot, shares)
        posted = sum(1 for s in shares if s.message_id is not None)
        pending = len(shares) - posted
        if posted and pending:
            done = ngettext(
                "Done: its post is deleted from the support channel and the anonymous post "
                "that was on its way won't go up. **#{number}** {company} stays in your journal.",
                "Done: its {count} posts are deleted and the anonymous post that was on its way "
                "won't go up. **#{number}** {company} stays in your journal.", posted)
        elif posted:
            done = ngettext(
                "Done: its post is deleted from the support channel. **#{number}** {company} "
                "stays in your journal.",
                "Done: its {count} posts are deleted. **#{number}** {company} stays in your "
                "journal.", posted)
        else:
            done = _("Done: the anonymous post that was on its way won't go up. **#{number}** "
                     "{company} stays in your journal.")
        await interaction.followup.send(
            done.format(count=posted, number=found.number, company=inert(found.company)),
            ephemeral=True)

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
