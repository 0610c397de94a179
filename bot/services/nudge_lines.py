"""What the group nudges say. Sincere and plain: grounded in the five habits, never hype."""

from __future__ import annotations

from datetime import date

from bot.services.dates import range_in_words

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
# Footers vary so a post never ends the same way as the one before it.
ENCOURAGEMENT_FOOTERS: tuple[str, ...] = (
    ENCOURAGEMENT_FOOTER,
    "/reflect turns a hard interview into notes you can use; only you see them.",
    "Someone here had a hard week? /encourage sends them a kind word, signed or not.",
    "/feedback draft writes a short, thankful feedback request with you.",
    "/progress shows the effort you put in, week by week. Only you can see it.",
)
KEEP_APPLYING_FOOTERS: tuple[str, ...] = (
    "Counts only what members logged in this server. Nobody is ranked.",
    "Group totals from this server only; nobody is named or ranked.",
    "Only what members logged here is counted, and only as a group.",
)
DIGEST_FOOTERS: tuple[str, ...] = (
    "Group totals only: counted from what members logged or shared here.",
    "Only group totals, from what members logged or shared in this server.",
    "Counted from what members logged or shared here; nobody is ranked.",
)

# Keep-applying: a count sentence (when there is something to count), then one line from this
# pool; a server sees no line again within four weeks.
KEEP_APPLYING_LINES: tuple[str, ...] = (
    ("Every application is another chance for the right team to find you. Sent one today? "
     "Log it with `/apply log`; `/apply goal` sets a weekly pace."),
    ("A few thoughtful applications beat a pile of rushed ones. Pick one listing that fits "
     "and give it your best hour; `/apply log` keeps count."),
    ("If applying feels heavy today, do the smallest next step: save one listing or update one "
     "line of your CV. `/apply log` counts the applications when they go out."),
    ("Steady beats fast. Set a pace you can keep with `/apply goal`, and log each one with "
     "`/apply log`."),
    ("Each application is practice at telling your story, and the next one goes out a little "
     "sharper. `/apply log` keeps your week in view."),
    ("The right role is looking for someone like you right now. Give it one more chance to "
     "find you this week, and log it with `/apply log`."),
)
KEEP_APPLYING_COUNT = {
    # (applications, members at goal) forms; each a whole sentence with named placeholders.
    ("one", None): "So far {period} the group has logged **{applications} application**.",
    ("other", None): "So far {period} the group has logged **{applications} applications**.",
    ("one", "one"): ("So far {period} the group has logged **{applications} application**, and "
                     "**{members} member** has reached their weekly goal."),
    ("one", "other"): ("So far {period} the group has logged **{applications} application**, "
                       "and **{members} members** have reached their weekly goal."),
    ("other", "one"): ("So far {period} the group has logged **{applications} applications**, "
                       "and **{members} member** has reached their weekly goal."),
    ("other", "other"): ("So far {period} the group has logged **{applications} applications**,"
                         " and **{members} members** have reached their weekly goal."),
}
KEEP_APPLYING_QUIET = ("A new week ({days}), and a clean slate. One thoughtful application is a "
                       "fine start, whenever you're ready; `/apply log` keeps count.")

# Digest: one line per kind of effort that happened; nothing is printed for a zero.
DIGEST_INTRO = "Here's what the group did together {period}:"
DIGEST_LINES: dict[str, tuple[str, str]] = {
    "applications": ("• {count} application sent", "• {count} applications sent"),
    "reflections": ("• {count} reflection written", "• {count} reflections written"),
    "feedback_requests": ("• {count} feedback request sent", "• {count} feedback requests sent"),
    "shared_rejections": ("• {count} rejection shared with the group",
                          "• {count} rejections shared with the group"),
    "interviews": ("• {count} interview reached", "• {count} interviews reached"),
    "offers": ("• {count} offer received", "• {count} offers received"),
}
DIGEST_CLOSE = "Every one of these took effort. Be proud of the work, whatever the replies."
DIGEST_QUIET = ("It's been a quiet week here ({days}), and that's fine. Rest is part of "
                "keeping going, and the group is here when you're ready.")


def plural_form(count: int) -> str:
    """The plural category of an English count: "one" or "other"."""
    return "one" if count == 1 else "other"


def plural(count: int, forms: tuple[str, str], **values: object) -> str:
    """The (one, other) form that fits `count`, filled in; both take {count}."""
    one, other = forms
    return (one if count == 1 else other).format(count=count, **values)


def week_period(monday: date, sunday: date) -> str:
    """"this week (Mon 8 – Sun 14 Jun)": every count names the days it covers."""
    return f"this week ({day_range(monday, sunday)})"


def last_days_period(first: date, last: date) -> str:
    """"in the last 7 days (Tue 9 – Mon 15 Jun)"."""
    return f"in the last 7 days ({day_range(first, last)})"


def day_range(first: date, last: date) -> str:
    """"Mon 8 – Sun 14 Jun", or "Mon 29 Jun – Sun 5 Jul" across months (in the language of
    the moment)."""
    return range_in_words(first, last)


def footer_for(footers: tuple[str, ...], turn: int) -> str:
    return footers[turn % len(footers)]

KEEP_APPLYING_TITLE = "Keep applying"
DIGEST_TITLE = "The group's week"
