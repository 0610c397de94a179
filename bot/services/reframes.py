"""Short, sincere reframes for a logged rejection: it is about fit and timing, not worth."""

from __future__ import annotations

import random

from bot.i18n import N_, _

# (stages it suits, line). None suits every stage.
REFRAMES: tuple[tuple[frozenset[str] | None, str], ...] = (
    (None, N_("A no from one team is a statement about one role at one moment, not about your "
              "worth.")),
    (None, N_("Hiring decisions weigh fit, timing, budget and a dozen things you never see. "
              "Much of this was never yours to control.")),
    (None, N_("You showed up and put yourself forward. That part was yours, and you did it.")),
    (None, N_("It's fine for this to sting. The sting says you cared, not that you weren't "
              "enough.")),
    (None, N_("Plenty of people who now love their jobs heard no many times before the yes "
              "that fit.")),
    (frozenset({"application", "recruiter-screen"}),
     N_("Early screens are often keyword and timing filters. Being passed over there says very "
        "little about how you'd do the work.")),
    (frozenset({"application", "recruiter-screen", "phone-screen"}),
     N_("Early-stage rejections are mostly a numbers game. Each application is practice at "
        "telling your story, and the next one goes out a little sharper.")),
    (frozenset({"phone-screen", "technical", "take-home"}),
     N_("Getting to a technical round means your experience already convinced someone. One "
        "round going sideways doesn't undo that.")),
    (frozenset({"technical", "take-home"}),
     N_("Technical rounds sample a tiny slice of what you know under unusual pressure. A bad "
        "sample is not the whole picture.")),
    (frozenset({"onsite", "final"}),
     N_("Reaching the final rounds means they could picture you on the team. Often it comes "
        "down to a single seat and several people who could all do it.")),
    (frozenset({"onsite", "final"}),
     N_("Late-stage rejections hurt more because you got close. Getting close is real evidence "
        "that you're ready; the right seat is still out there.")),
    (frozenset({"offer"}),
     N_("An offer falling through is rarely about you: budgets, reorganisations and headcount "
        "freezes undo offers every week. They already decided you were the one they wanted.")),
    (None, N_("Their decision is information about what they needed, and you get to decide "
              "what, if anything, it says about your next step.")),
    (None, N_("You can take what's useful from this one and leave the rest. The verdict belongs "
              "to their situation; the learning belongs to you.")),
)


# Stages at which the member met nobody: texts for them never talk about an interview.
PRE_INTERVIEW: frozenset[str | None] = frozenset({None, "application"})


def reached_interview(stage: str | None) -> bool:
    """Whether a rejection at this stage came after at least one conversation or interview."""
    return stage not in PRE_INTERVIEW


def pick_reframe(
    stage: str | None, last_index: int | None, rng: random.Random | None = None
) -> int:
    """Index of a line that suits the stage and differs from the member's last one."""
    rng = rng or random.Random()
    suited = [
        i for i, (stages, _line) in enumerate(REFRAMES)
        if (stages is None or (stage is not None and stage in stages)) and i != last_index
    ]
    # A stage-specific line reads best when there is one; general lines fill in.
    specific = [i for i in suited if REFRAMES[i][0] is not None]
    if specific and rng.random() < 0.6:
        return rng.choice(specific)
    return rng.choice(suited)


def reframe_text(index: int) -> str:
    """The line at `index` in the current language (the index, not the text, is stored)."""
    return _(REFRAMES[index][1])
