"""What the group nudges say. Sincere and plain: grounded in the five habits, never hype."""

from __future__ import annotations

# Posted to the support channel in rotation; none repeats in a server until all were used.
ENCOURAGEMENT_LINES: tuple[str, ...] = (
    # Don't take it personally
    ("A rejection is one team's decision about one role at one moment. "
     "It is not a verdict on you, even when it feels like one."),
    ("Hiring comes down to fit, timing, budget and a dozen things nobody outside the room sees. "
     "Much of it was never yours to control."),
    ("If a no stung this week, that's because you cared. Caring is a strength to keep, "
     "not a mistake to fix."),
    ("Most people in jobs they love heard no many times first. Those stories just rarely "
     "get told."),
    "You can be disappointed and still know your worth. Both can be true on the same day.",
    # Ask for feedback
    ("A short, thankful note asking for feedback costs five minutes. Not everyone answers, "
     "and the ones who do often give you something real. /feedback draft writes one with you."),
    ("Feedback you ask for is a gift you give your future self, even when it's brief. "
     "It's fine if the answer is only \"we went with someone more senior\"."),
    ("Asking how you could have done better takes courage. It also tells an interviewer "
     "exactly the kind of colleague you'd be."),
    # Reflect on the experience
    ("After an interview, a few honest notes are worth more than replaying it all night: "
     "what went well, what caught you out, one thing to practise. /reflect keeps them for you."),
    ("Look back at your reflections once in a while. The questions that tripped you up "
     "months ago may be easy now, and that is progress you earned."),
    "Write down what went well, too. Reflection isn't only a list of what to fix.",
    ("One thing to practise this week is enough. Small, steady preparation beats "
     "cramming everything at once."),
    # Keep a positive attitude, with a supportive network
    ("Nobody here has to do this alone. If someone shared a hard week, a kind word from you "
     "may be the thing they remember."),
    "Rest counts. Stepping away for an evening is part of keeping going, not a break from it.",
    "Be as patient with yourself as you would be with a friend going through the same search.",
    ("Share a small win with the group this week: a good conversation, a tough question you "
     "handled, an application you were nervous to send."),
    "Hard weeks pass. Keeping your routine, your people and some sleep makes them pass faster.",
    # Keep applying
    ("Every application is a fresh chance, and each one gets a little easier to write. "
     "Keep the pace that is sustainable for you."),
    "Momentum matters more than volume. A few thoughtful applications a week add up.",
    ("The right role is looking for someone like you at the same time you're looking for it. "
     "Keep giving it chances to find you."),
    ("If applying feels heavy today, do the smallest next step: save one listing, update "
     "one line of your CV. That still counts."),
    ("Interviews you didn't get through still made you better at the next one. "
     "Nothing you practised is wasted."),
)

ENCOURAGEMENT_TITLE = "A note for the group"
ENCOURAGEMENT_FOOTER = (
    "A rough week? /rejection log keeps it private, and /encourage sends someone a kind word."
)

KEEP_APPLYING_TITLE = "Keep applying"
DIGEST_TITLE = "The group's week"
