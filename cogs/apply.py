"""/apply log and /apply goal: keep applying, at a pace the member sets."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.formatting import inert
from bot.services import text
from bot.services.applications import GOAL_MAX, GOAL_MIN, ApplicationService, WeekProgress


def progress_line(week: WeekProgress) -> str:
    span = f"{week.first_day:%a %d %b}–{week.last_day:%a %d %b}"
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


class Apply(commands.GroupCog, group_name="apply",
            group_description="Log your applications against a weekly goal."):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.applications = ApplicationService(bot.database, bot.clock)
        super().__init__()

    @app_commands.command(name="log", description="Record a job application you sent.")
    @app_commands.describe(
        company="The company you applied to.",
        role="The role you applied for.",
        link="The job posting (http:// or https://).",
        date="When you applied: YYYY-MM-DD, today, yesterday or “3 days ago” (default today).",
    )
    async def log(
        self, interaction: discord.Interaction,
        company: app_commands.Range[str, 1, text.COMPANY_MAX],
        role: app_commands.Range[str, 1, text.ROLE_MAX] | None = None,
        link: app_commands.Range[str, 1, text.LINK_MAX] | None = None,
        date: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        logged = await self.applications.log(
            user_id=interaction.user.id, guild_id=interaction.guild_id, company=company,
            role=role, link=link, date=date,
        )
        app = logged.application
        what = inert(app.company) + (f" · {inert(app.role)}" if app.role else "")
        lines = [f"Logged your application to {what} ({app.applied_on})."]
        if not logged.in_this_week:
            lines.append("That date is in an earlier week, so it counts there.")
        lines.append(progress_line(logged.week))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

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


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Apply(bot))
