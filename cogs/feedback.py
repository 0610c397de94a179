"""/feedback draft and /feedback log, and the buttons that go with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.feedback import FeedbackRequest
from bot.db.repositories.rejections import Rejection
from bot.formatting import inert, timestamp
from bot.services import text
from bot.services.feedback import Draft, FeedbackService
from bot.services.reflection import ReflectionService
from bot.ui import (
    ENTRY_OPTION_HELP,
    EntryForm,
    EntryOption,
    PersistentButton,
    entry_choices,
    save_submitted_form,
)
from cogs.apply import disabled
from cogs.personal_dms import no_dms_view

if TYPE_CHECKING:
    from bot.client import Onward

Tone = Literal["brief", "warm", "formal"]
FORM_PREFIX = "onward:feedback-form:"


class Buttons(discord.ui.View):
    """Buttons whose clicks are handled by DynamicItems registered by their cogs, so this view
    is never kept in memory."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False


def copyable(value: str) -> str:
    """Text inside a code block shows as typed; only a backtick could end the block early."""
    return value.replace("`", "ˋ")


def draft_message(draft: Draft, followup_days: int) -> str:
    entry = draft.entry
    return "\n".join([
        (f"Here's a {draft.tone} feedback request for **#{entry.number}** {inert(entry.company)}. "
         "Copy it into an email, or pick another tone below:"),
        "",
        f"**Subject:** {inert(draft.subject)}",
        f"```text\n{copyable(draft.body)}\n```",
        (f"Press **I sent it** once it's on its way: I'll check in once, in {followup_days} "
         "days, if no feedback is logged by then."),
    ])


TONE_LABELS = {"brief": "Brief", "warm": "Warm", "formal": "Formal"}


def sent_view(rejection_id: int, tone: str = "warm") -> discord.ui.View:
    """I sent it, and one button per tone (the one shown is greyed out)."""
    view = Buttons()
    view.add_item(discord.ui.Button(
        label="I sent it", style=discord.ButtonStyle.success,
        custom_id=custom_ids.feedback_sent(rejection_id)))
    for name, label in TONE_LABELS.items():
        view.add_item(discord.ui.Button(
            label=label, custom_id=custom_ids.feedback_tone(rejection_id, name),
            disabled=name == tone))
    return view


class FeedbackForm(EntryForm):
    """The feedback received; its submission is saved by `Feedback.on_interaction`."""

    def __init__(self, entry: Rejection, earlier: FeedbackRequest | None) -> None:
        super().__init__(title=_title(entry), prefix=FORM_PREFIX, entry_id=entry.id)
        self.add_item(discord.ui.TextInput(
            label="The feedback you received", custom_id="feedback",
            style=discord.TextStyle.paragraph, required=True, max_length=text.FEEDBACK_MAX,
            placeholder="Paste or summarise what they told you.",
            default=earlier.feedback_text if earlier and earlier.feedback_text else None,
        ))


def _title(entry: Rejection) -> str:
    title = f"Feedback for #{entry.number} {entry.company}"
    return title if len(title) <= 45 else title[:44] + "…"


class DraftButton(PersistentButton, template=custom_ids.FEEDBACK_DRAFT):
    """Draft feedback request, on the /rejection log reply: the warm draft."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Draft feedback request", custom_id=custom_ids.feedback_draft(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> DraftButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Feedback, interaction.client.get_cog("Feedback"))
        await cog.send_draft(interaction, self.rejection_id, None, "warm")


class ToneButton(PersistentButton, template=custom_ids.FEEDBACK_TONE):
    """Brief / Warm / Formal, on a draft: the same request redrafted in that tone."""

    def __init__(self, rejection_id: int, tone: str) -> None:
        super().__init__(discord.ui.Button(
            label=TONE_LABELS[tone], custom_id=custom_ids.feedback_tone(rejection_id, tone)))
        self.rejection_id = rejection_id
        self.tone = tone

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> ToneButton:
        return cls(int(match["rejection_id"]), match["tone"])

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Feedback, interaction.client.get_cog("Feedback"))
        await cog.send_draft(interaction, self.rejection_id, None, self.tone, replace=True)


class SentButton(PersistentButton, template=custom_ids.FEEDBACK_SENT):
    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="I sent it", custom_id=custom_ids.feedback_sent(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> SentButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Feedback, interaction.client.get_cog("Feedback"))
        await cog.mark_sent(interaction, self.rejection_id)


class LogButton(PersistentButton, template=custom_ids.FEEDBACK_LOG):
    """Log feedback, on the "did you hear back?" follow-up."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Log feedback", custom_id=custom_ids.feedback_log(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> LogButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Feedback, interaction.client.get_cog("Feedback"))
        await cog.open_log_modal(interaction, self.rejection_id)


class StopButton(PersistentButton, template=custom_ids.FEEDBACK_STOP):
    """Stop reminding, on the follow-up."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Stop reminding", custom_id=custom_ids.feedback_stop(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> StopButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Feedback, interaction.client.get_cog("Feedback"))
        entry = await cog.feedback.stop_followup(interaction.user.id, self.rejection_id)
        await interaction.response.send_message(
            f"Okay, no more reminders about **#{entry.number}** {inert(entry.company)}. If they do "
            "write back, /feedback log keeps it.", ephemeral=True)
        interaction.client.dispatch("interaction_answered", interaction)


class Feedback(commands.GroupCog, group_name="feedback"):
    """Ask for feedback after a rejection and keep what comes back."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.followup_days = bot.settings.feedback_followup_days
        self.feedback = FeedbackService(bot.database, bot.clock, self.followup_days)
        self.reflection = ReflectionService(bot.database, bot.clock)
        super().__init__()

    async def save_feedback(
        self, interaction: discord.Interaction, rejection_id: int, answers: dict[str, str]
    ) -> None:
        # Finding themes can take a moment on a long journal; answer Discord first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        logged = await self.feedback.log_feedback(
            interaction.user.id, rejection_id, answers.get("feedback"))
        entry = logged.entry
        verb = "Updated" if logged.replaced else "Saved"
        themes = await self.reflection.themes(interaction.user.id, limit=5)
        about = f"**#{entry.number}** {inert(entry.company)}"
        if logged.has_reflection:
            head = (f"{verb} the feedback for {about}; it sits beside your reflection. Asking "
                    "took courage, and now you have something to work with.")
        else:
            head = (f"{verb} the feedback for {about}. Asking took courage, and now you have "
                    "something to work with. /reflect keeps your own thoughts beside it.")
        lines = [head]
        if themes:
            lines.append("**What your notes share so far:** "
                         + " · ".join(inert(t.phrase) for t in themes))
        await interaction.edit_original_response(content="\n".join(lines))
        self.bot.dispatch("interaction_answered", interaction)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted feedback form: its id says which entry it is about."""
        await save_submitted_form(interaction, FORM_PREFIX, self.save_feedback)

    async def send_draft(
        self, interaction: discord.Interaction, rejection: int | str | None,
        interviewer: str | None, tone: str, replace: bool = False,
    ) -> None:
        """The draft, signed with the member's display name; `replace` redraws the message
        the tone button sits on instead of sending a new one."""
        draft = await self.feedback.draft(
            interaction.user.id, rejection, interviewer, tone,
            signature=interaction.user.display_name)
        content = draft_message(draft, self.followup_days)
        view = sent_view(draft.entry.id, draft.tone)
        if replace and interaction.message is not None:
            await interaction.response.edit_message(content=content, view=view)
        else:
            await interaction.response.send_message(content, view=view, ephemeral=True)
        if interaction.type is discord.InteractionType.component:
            self.bot.dispatch("interaction_answered", interaction)

    async def mark_sent(self, interaction: discord.Interaction, rejection_id: int) -> None:
        sent = await self.feedback.mark_sent(interaction.user.id, rejection_id)
        entry = sent.entry
        name = f"**#{entry.number}** {inert(entry.company)}"
        consent: discord.ui.View | None = None
        if sent.feedback_logged:
            reply = f"Noted that you asked about {name}; their feedback is already logged."
        elif sent.followup_due_at:
            due = discord.utils.parse_time(sent.followup_due_at)
            reply = (f"Recorded: your feedback request for {name} is on its way. If nothing is "
                     f"logged by {timestamp(due, 'D')}, I'll check in once by DM.")
            if await self.bot.outbox.personal.first_dm_consent(interaction.user.id):
                consent = no_dms_view()
            await self.bot.engine.wake(due)
        else:
            reply = f"Recorded: you asked for feedback on {name}. /feedback log keeps the answer."
        if sent.already_sent:
            reply = f"Already done: you'd marked this one as sent. {reply}"
        draft = interaction.message
        if draft is not None and draft.components:
            # A button that does a thing once: the draft stays to copy, its button greyed out,
            # and the line that asked for the click now says what it did.
            lines = draft.content.split("\n")
            if lines and lines[-1].startswith("Press **I sent it**"):
                lines = lines[:-1]
            await interaction.response.edit_message(
                content="\n".join([*lines, reply])[:2000], view=disabled(draft))
        else:
            await interaction.response.send_message(reply, ephemeral=True)
        if consent is not None:
            await interaction.followup.send(
                "Rather not get DMs from me? Press **No DMs, thanks**.", view=consent,
                ephemeral=True)
        self.bot.dispatch("interaction_answered", interaction)

    async def open_log_modal(
        self, interaction: discord.Interaction, rejection: int | str | None
    ) -> None:
        entry, earlier = await self.feedback.start_log(interaction.user.id, rejection)
        await interaction.response.send_modal(FeedbackForm(entry, earlier))

    @app_commands.command(name="draft", description="A polite, thankful feedback request to copy.")
    @app_commands.describe(
        rejection=ENTRY_OPTION_HELP,
        interviewer="Who to address it to (optional).",
        tone="brief, warm (default) or formal.",
    )
    async def draft(
        self, interaction: discord.Interaction,
        rejection: EntryOption | None = None,
        interviewer: app_commands.Range[str, 1, text.NAME_MAX] | None = None,
        tone: Tone = "warm",
    ) -> None:
        await self.send_draft(interaction, rejection, interviewer, tone)

    @app_commands.command(name="log", description="Keep the feedback you received, privately.")
    @app_commands.describe(rejection=ENTRY_OPTION_HELP)
    async def log(
        self, interaction: discord.Interaction,
        rejection: EntryOption | None = None,
    ) -> None:
        await self.open_log_modal(interaction, rejection)

    @draft.autocomplete("rejection")
    @log.autocomplete("rejection")
    async def rejection_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await entry_choices(self.reflection.suggest_entries, interaction, current)


async def setup(bot: Onward) -> None:
    bot.add_dynamic_items(DraftButton, ToneButton, SentButton, LogButton, StopButton)
    await bot.add_cog(Feedback(bot))


async def teardown(bot: Onward) -> None:
    bot.remove_dynamic_items(DraftButton, ToneButton, SentButton, LogButton, StopButton)
