"""/rejection log, list, share and unshare."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import custom_ids
from bot.formatting import inert
from bot.services import text
from bot.services.journal import LIST_MAX, JournalService
from bot.services.sharing import FROM_A_DM, SharingService
from bot.ui import EntryOption
from cogs.encourage import delete_posts

Stage = Literal[
    "application", "recruiter-screen", "phone-screen", "technical", "take-home", "onsite",
    "final", "offer",
]
Share = Literal["private", "anonymous", "named"]
ShareAs = Literal["anonymous", "named"]


def entry_buttons(rejection_id: int) -> discord.ui.View:
    """The buttons under a logged entry. Each is handled by the dynamic item its cog registers,
    so the view is stopped: discord.py then keeps no copy of it for 15 minutes per reply."""
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
    view.stop()
    return view


def entry_time(entry):
    return discord.utils.parse_time(entry.created_at)


def describe(entry) -> str:
    parts = [f"**#{entry.id}** {inert(entry.company)}"]
    if entry.role:
        parts.append(inert(entry.role))
    if entry.stage:
        parts.append(entry.stage)
    parts.append(entry.occurred_on)
    return " · ".join(parts)


class Rejection(commands.GroupCog, group_name="rejection"):
    """Log a rejection and see your entries."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.journal = JournalService(bot.database, bot.clock)
        self.sharing = SharingService(bot.database, bot.clock)
        super().__init__()

    @app_commands.command(name="log", description="Log an interview rejection, privately.")
    @app_commands.describe(
        company="The company that said no.",
        role="The role you applied for.",
        stage="How far you got.",
        date="When it happened: YYYY-MM-DD, today, yesterday or “3 days ago” (default today).",
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
        logged = await self.journal.log_rejection(
            user_id=interaction.user.id, guild_id=interaction.guild_id, company=company,
            role=role, stage=stage, date=date, note=note, share=share,
        )
        entry = logged.entry
        due = None
        lines = [
            f"Logged **#{entry.id}**: {describe(entry)[len(f'**#{entry.id}** '):]}.",
            "",
            f"> {logged.reframe}",
            "",
        ]
        view = entry_buttons(entry.id)
        if logged.prompt_due_at:
            due = discord.utils.parse_time(logged.prompt_due_at)
            when = "shortly" if due <= entry_time(entry) else discord.utils.format_dt(due, "R")
            if await self.bot.outbox.personal.first_dm_consent(interaction.user.id):
                # The first DM Onward plans for a member: say so, and offer not to.
                lines.append(
                    f"I'll send you a few reflection questions about it by DM {when} "
                    f"({discord.utils.format_dt(due, 'f')}) unless you reflect first. Rather "
                    "not get DMs from me? Press **No DMs, thanks**."
                )
                view.add_item(discord.ui.Button(
                    label="No DMs, thanks", style=discord.ButtonStyle.secondary,
                    custom_id=custom_ids.no_dms()))
            else:
                lines.append(
                    f"I'll send you a few reflection questions by DM {when} unless you reflect "
                    "first."
                )
        if share != "private":
            lines.append(f"You chose to share it with the group ({share}); it will be posted to "
                         "the support channel, and I'll confirm below.")
        if due is not None:
            await self.bot.engine.wake(due)
        await interaction.response.send_message("\n".join(lines), view=view, ephemeral=True)
        if share != "private":
            self.bot.dispatch("rejection_shared", interaction, entry)

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


    @app_commands.command(name="share",
                          description="Share an entry with the group: a private preview first.")
    @app_commands.describe(
        entry="Which of your entries (start typing the company).",
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
        encourage = self.bot.get_cog("Encourage")
        assert encourage is not None, "the encourage cog shows share previews"
        await encourage.send_preview(interaction, entry, named=as_ == "named",
                                     show_company=show_company)

    @app_commands.command(name="unshare",
                          description="Take an entry's post down from the group; it stays yours.")
    @app_commands.describe(entry="Which of your shared entries (start typing the company).")
    async def unshare(self, interaction: discord.Interaction, entry: EntryOption) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found, shares = await self.sharing.unshare(interaction.user.id, entry)
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
            f"Done: {' and '.join(parts)}. **#{found.id}** {inert(found.company)} stays in "
            "your journal.", ephemeral=True)

    @share.autocomplete("entry")
    @unshare.autocomplete("entry")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=inert(c.label, 100, markdown=False), value=c.value)
                for c in await self.sharing.suggest(interaction.user.id, current)]


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Rejection(bot))
