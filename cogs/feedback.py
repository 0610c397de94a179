"""/feedback draft and /feedback log, and the buttons that go with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.app_commands import locale_str as T_
from discord.ext import commands

from bot import custom_ids
from bot.db.repositories.feedback import FeedbackRequest
from bot.db.repositories.rejections import Rejection
from bot.formatting import inert, timestamp
from bot.i18n import N_, _, ngettext
from bot.services import text
from bot.services.feedback import Draft
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

# Choice names are what members see (translated); the values are what the drafts use.
TONES = [
    app_commands.Choice(name=T_("brief"), value="brief"),
    app_commands.Choice(name=T_("warm"), value="warm"),
    app_commands.Choice(name=T_("formal"), value="formal"),
]
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


# One whole sentence per tone.
DRAFT_HEADS = {
    "brief": N_("Here's a brief feedback request for **#{number}** {company}. Copy it into an "
                "email, or pick another tone below:"),
    "warm": N_("Here's a warm feedback request for **#{number}** {company}. Copy it into an "
               "email, or pick another tone below:"),
    "formal": N_("Here's a formal feedback request for **#{number}** {company}. Copy it into an "
                 "email, or pick another tone below:"),
}


def sent_prompt(followup_days: int) -> str:
    """The draft's last line, which asks for the I sent it click."""
    return ngettext("Press **I sent it** once it's on its way: I'll check in once, in {count} "
                    "day, if no feedback is logged by then.",
                    "Press **I sent it** once it's on its way: I'll check in once, in {count} "
                    "days, if no feedback is logged by then.", followup_days).format(
        count=followup_days)


def draft_message(draft: Draft, followup_days: int) -> str:
    entry = draft.entry
    return "\n".join([
        _(DRAFT_HEADS[draft.tone]).format(number=entry.number, company=inert(entry.company)),
        "",
        _("**Subject:** {subject}").format(subject=inert(draft.subject)),
        f"```text\n{copyable(draft.body)}\n```",
        sent_prompt(followup_days),
    ])


TONE_LABELS = {"brief": N_("Brief"), "warm": N_("Warm"), "formal": N_("Formal")}


def sent_view(rejection_id: int, tone: str = "warm") -> discord.ui.View:
    """I sent it, and one button per tone (the one shown is greyed out)."""
    view = Buttons()
    view.add_item(discord.ui.Button(
        label=_("I sent it"), style=discord.ButtonStyle.success,
        custom_id=custom_ids.feedback_sent(rejection_id)))
    for name, label in TONE_LABELS.items():
        view.add_item(discord.ui.Button(
            label=_(label), custom_id=custom_ids.feedback_tone(rejection_id, name),
            disabled=name == tone))
    return view


class FeedbackForm(EntryForm):
    """The feedback received; its submission is saved by `Feedback.on_interaction`."""

    def __init__(self, entry: Rejection, earlier: FeedbackRequest | None) -> None:
        super().__init__(title=_title(entry), prefix=FORM_PREFIX, entry_id=entry.id)
        self.add_item(discord.ui.TextInput(
            label=_("The feedback you received"), custom_id="feedback",
            style=discord.TextStyle.paragraph, required=True, max_length=text.FEEDBACK_MAX,
            placeholder=_("Paste or summarise what they told you."),
            default=earlier.feedback_text if earlier and earlier.feedback_text else None,
        ))


def _title(entry: Rejection) -> str:
    # Translators: a form title; Discord cuts it at 45 characters.
    title = _("Feedback for #{number} {company}").format(number=entry.number,
                                                         company=entry.company)
    return title if len(title) <= 45 else title[:44] + "…"


class DraftButton(PersistentButton, template=custom_ids.FEEDBACK_DRAFT):
    """Draft feedback request, on the /rejection log reply: the warm draft."""

    def __init__(self, rejection_id: int) -> None:
        super().__init__(discord.ui.Button(
            label=_("Draft feedback request"),
            custom_id=custom_ids.feedback_draft(rejection_id)))
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
            label=_(TONE_LABELS[tone]), custom_id=custom_ids.feedback_tone(rejection_id, tone)))
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
            label=_("I sent it"), custom_id=custom_ids.feedback_sent(rejection_id)))
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
            label=_("Log feedback"), custom_id=custom_ids.feedback_log(rejection_id)))
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
            label=_("Stop reminding"), custom_id=custom_ids.feedback_stop(rejection_id)))
        self.rejection_id = rejection_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> StopButton:
        return cls(int(match["rejection_id"]))

    async def on_click(self, interaction: discord.Interaction[Onward]) -> None:
        cog = cast(Feedback, interaction.client.get_cog("Feedback"))
        entry = await cog.feedback.stop_followup(interaction.user.id, self.rejection_id)
        await interaction.response.send_message(
            _("Okay, no more reminders about **#{number}** {company}. If they do write back, "
              "/feedback log keeps it.").format(number=entry.number,
                                                company=inert(entry.company)), ephemeral=True)
        await interaction.client.notices.show(interaction)


# Translators: command and option names must stay lowercase, one word or hyphenated,
# at most 32 characters, with no spaces.
class Feedback(commands.GroupCog, group_name=T_("feedback"),
               group_description=T_("Ask for feedback after a rejection and keep what comes "
                                    "back.")):
    """Ask for feedback after a rejection and keep what comes back."""

    def __init__(self, bot: Onward) -> None:
        self.bot = bot
        self.followup_days = bot.settings.feedback_followup_days
        self.feedback = bot.services.feedback
        self.reflection = bot.services.reflection
        super().__init__()

    async def save_feedback(
        self, interaction: discord.Interaction, rejection_id: int, answers: dict[str, str]
    ) -> None:
        # Finding themes can take a moment on a long journal; answer Discord first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        logged = await self.feedback.log_feedback(
            interaction.user.id, rejection_id, answers.get("feedback"))
        entry = logged.entry
        themes = await self.reflection.themes(interaction.user.id, limit=5)
        if logged.has_reflection and logged.replaced:
            head = _("Updated the feedback for **#{number}** {company}; it sits beside your "
                     "reflection. Asking took courage, and now you have something to work with.")
        elif logged.has_reflection:
            head = _("Saved the feedback for **#{number}** {company}; it sits beside your "
                     "reflection. Asking took courage, and now you have something to work with.")
        elif logged.replaced:
            head = _("Updated the feedback for **#{number}** {company}. Asking took courage, "
                     "and now you have something to work with. /reflect keeps your own "
                     "thoughts beside it.")
        else:
            head = _("Saved the feedback for **#{number}** {company}. Asking took courage, and "
                     "now you have something to work with. /reflect keeps your own thoughts "
                     "beside it.")
        lines = [head.format(number=entry.number, company=inert(entry.company))]
        if themes:
            lines.append(_("**What your notes share so far:** {themes}").format(
                themes=" · ".join(inert(t.phrase) for t in themes)))
        await interaction.edit_original_response(content="\n".join(lines))
        await self.bot.notices.show(interaction)

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
            await self.bot.notices.show(interaction)

    async def mark_sent(self, interaction: discord.Interaction, rejection_id: int) -> None:
        sent = await self.feedback.mark_sent(interaction.user.id, rejection_id)
        entry = sent.entry
        name = {"number": entry.number, "company": inert(entry.company)}
        consent: discord.ui.View | None = None
        if sent.feedback_logged:
            reply = _("Noted that you asked about **#{number}** {company}; their feedback is "
                      "already logged.").format(**name)
        elif sent.followup_due_at:
            due = discord.utils.parse_time(sent.followup_due_at)
            # Translators: {date} is a date Discord shows in the reader's own format.
            reply = _("Recorded: your feedback request for **#{number}** {company} is on its "
                      "way. If nothing is logged by {date}, I'll check in once by DM.").format(
                date=timestamp(due, "D"), **name)
            if await self.bot.outbox.personal.first_dm_consent(interaction.user.id):
                consent = no_dms_view()
            await self.bot.engine.wake(due)
        else:
            reply = _("Recorded: you asked for feedback on **#{number}** {company}. /feedback "
                      "log keeps the answer.").format(**name)
        if sent.already_sent:
            reply = _("Already done: you'd marked this one as sent. {reply}").format(reply=reply)
        draft = interaction.message
        if draft is not None and draft.components:
            # A button that does a thing once: the draft stays to copy, its button greyed out,
            # and the line that asked for the click now says what it did.
            lines = draft.content.split("\n")
            if lines and lines[-1] == sent_prompt(self.followup_days):
                lines = lines[:-1]
            await interaction.response.edit_message(
                content="\n".join([*lines, reply])[:2000], view=disabled(draft))
        else:
            await interaction.response.send_message(reply, ephemeral=True)
        if consent is not None:
            await interaction.followup.send(
                _("Rather not get DMs from me? Press **No DMs, thanks**."), view=consent,
                ephemeral=True)
        await self.bot.notices.show(interaction)

    async def open_log_modal(
        self, interaction: discord.Interaction, rejection: int | str | None
    ) -> None:
        entry, earlier = await self.feedback.start_log(interaction.user.id, rejection)
        await interaction.response.send_modal(FeedbackForm(entry, earlier))

    @app_commands.command(name=T_("draft"),
                          description=T_("A polite, thankful feedback request to copy."))
    @app_commands.describe(
        rejection=ENTRY_OPTION_HELP,
        interviewer=T_("Who to address it to (optional)."),
        tone=T_("brief, warm (default) or formal."),
    )
    @app_commands.rename(rejection=T_("rejection"), interviewer=T_("interviewer"),
                         tone=T_("tone"))
    @app_commands.choices(tone=TONES)
    async def draft(
        self, interaction: discord.Interaction,
        rejection: EntryOption | None = None,
        interviewer: app_commands.Range[str, 1, text.NAME_MAX] | None = None,
        tone: str = "warm",
    ) -> None:
        await self.send_draft(interaction, rejection, interviewer, tone)

    @app_commands.command(name=T_("log"),
                          description=T_("Keep the feedback you received, privately."))
    @app_commands.describe(rejection=ENTRY_OPTION_HELP)
    @app_commands.rename(rejection=T_("rejection"))
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
