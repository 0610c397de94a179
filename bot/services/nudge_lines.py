"""What the group nudges say. Sincere and plain: grounded in the five habits, never hype.

Every text is marked with `N_()` and translated where a post is made; pools are picked by
index, so what is stored and compared is never the translated text."""

from __future__ import annotations

from datetime import date

from bot.i18n import N_, _, ngettext
from bot.services.dates import range_in_words

# Posted to the support channel in rotation; none repeats in a server until all were used.
ENCOURAGEMENT_LINES: tuple[str, ...] = (
    # Don't take it personally
    N_("A rejection is one team's decision about one role at one moment. It is not a verdict "
       "on you, even when it feels like one."),
    N_("Hiring comes down to fit, timing, budget and a dozen things nobody outside the room "
       "sees. Much of it was never yours to control."),
    N_("If a no stung this week, that's because you cared. Caring is a strength to keep, not a "
       "mistake to fix."),
    N_("Most people in jobs they love heard no many times first. Those stories just rarely get "
       "told."),
    N_("You can be disappointed and still know your worth. Both can be true on the same day."),
    # Ask for feedback
    N_("A short, thankful note asking for feedback costs five minutes. Not everyone answers, "
       "and the ones who do often give you something real. /feedback draft writes one with you."),
    N_("Feedback you ask for is a gift you give your future self, even when it's brief. It's "
       "fine if the answer is only \"we went with someone more senior\"."),
    N_("Asking how you could have done better takes courage. It also tells an interviewer "
       "exactly the kind of colleague you'd be."),
    # Reflect on the experience
    N_("After an interview, a few honest notes are worth more than replaying it all night: "
       "what went well, what caught you out, one thing to practise. /reflect keeps them for you."),
    N_("Look back at your reflections once in a while. The questions that tripped you up "
       "months ago may be easy now, and that is progress you earned."),
    N_("Write down what went well, too. Reflection isn't only a list of what to fix."),
    N_("One thing to practise this week is enough. Small, steady preparation beats cramming "
       "everything at once."),
    # Keep a positive attitude, with a supportive network
    N_("Nobody here has to do this alone. If someone shared a hard week, a kind word from you "
       "may be the thing they remember."),
    N_("Rest counts. Stepping away for an evening is part of keeping going, not a break from it."),
    N_("Be as patient with yourself as you would be with a friend going through the same search."),
    N_("Share a small win with the group this week: a good conversation, a tough question you "
       "handled, an application you were nervous to send."),
    N_("Hard weeks pass. Keeping your routine, your people and some sleep makes them pass faster."),
    # Keep applying
    N_("Every application is a fresh chance, and each one gets a little easier to write. Keep "
       "the pace that is sustainable for you."),
    N_("Momentum matters more than volume. A few thoughtful applications a week add up."),
    N_("The right role is looking for someone like you at the same time you're looking for it. "
       "Keep giving it chances to find you."),
    N_("If applying feels heavy today, do the smallest next step: save one listing, update one "
       "line of your CV. That still counts."),
    N_("Interviews you didn't get through still made you better at the next one. Nothing you "
       "practised is wasted."),
)

ENCOURAGEMENT_TITLE = N_("A note for the group")
ENCOURAGEMENT_FOOTER = N_(
    "A rough week? /rejection log keeps it private, and /encourage sends someone a kind word."
)
# Footers vary so a post never ends the same way as the one before it.
ENCOURAGEMENT_FOOTERS: tuple[str, ...] = (
    ENCOURAGEMENT_FOOTER,
    N_("/reflect turns a hard interview into notes you can use; only you see them."),
    N_("Someone here had a hard week? /encourage sends them a kind word, signed or not."),
    N_("/feedback draft writes a short, thankful feedback request with you."),
    N_("/progress shows the effort you put in, week by week. Only you can see it."),
)
KEEP_APPLYING_FOOTERS: tuple[str, ...] = (
    N_("Counts only what members logged in this server. Nobody is ranked."),
    N_("Group totals from this server only; nobody is named or ranked."),
    N_("Only what members logged here is counted, and only as a group."),
)
DIGEST_FOOTERS: tuple[str, ...] = (
    N_("Group totals only: counted from what members logged or shared here."),
    N_("Only group totals, from what members logged or shared in this server."),
    N_("Counted from what members logged or shared here; nobody is ranked."),
)

# Keep-applying: a count sentence (when there is something to count), then one line from this
# pool; a server sees no line again within four weeks.
KEEP_APPLYING_LINES: tuple[str, ...] = (
    N_("Every application is another chance for the right team to find you. Sent one today? "
       "Log it with `/apply log`; `/apply goal` sets a weekly pace."),
    N_("A few thoughtful applications beat a pile of rushed ones. Pick one listing that fits "
       "and give it your best hour; `/apply log` keeps count."),
    N_("If applying feels heavy today, do the smallest next step: save one listing or update "
       "one line of your CV. `/apply log` counts the applications when they go out."),
    N_("Steady beats fast. Set a pace you can keep with `/apply goal`, and log each one with "
       "`/apply log`."),
    N_("Each application is practice at telling your story, and the next one goes out a little "
       "sharper. `/apply log` keeps your week in view."),
    N_("The right role is looking for someone like you right now. Give it one more chance to "
       "find you this week, and log it with `/apply log`."),
)
KEEP_APPLYING_QUIET = N_("A new week ({days}), and a clean slate. One thoughtful application is "
                         "a fine start, whenever you're ready; `/apply log` keeps count.")


def keep_applying_count(applications: int, members: int, days: str) -> str:
    """The week's count as one sentence: `days` names the days it covers ("Mon 8 – Sun 14
    Jun"); members who reached their weekly goal are mentioned only when there are some."""
    values = {"days": days, "applications": applications, "members": members}
    if not members:
        return ngettext(
            "So far this week ({days}) the group has logged **{applications} application**.",
            "So far this week ({days}) the group has logged **{applications} applications**.",
            applications).format(**values)
    # Two counts in one sentence: the text is chosen by the number of applications (1 or
    # more), its plural form by the number of members.
    if applications == 1:
        # Translators: exactly one application; the plural form follows {members}.
        return ngettext(
            "So far this week ({days}) the group has logged **{applications} application**, "
            "and **{members} member** has reached their weekly goal.",
            "So far this week ({days}) the group has logged **{applications} application**, "
            "and **{members} members** have reached their weekly goal.",
            members).format(**values)
    # Translators: two or more applications; the plural form follows {members}.
    return ngettext(
        "So far this week ({days}) the group has logged **{applications} applications**, "
        "and **{members} member** has reached their weekly goal.",
        "So far this week ({days}) the group has logged **{applications} applications**, "
        "and **{members} members** have reached their weekly goal.",
        members).format(**values)


# Digest: one line per kind of effort that happened; nothing is printed for a zero.
DIGEST_KINDS = ("applications", "reflections", "feedback_requests", "shared_rejections",
                "interviews", "offers")


def digest_intro(days: str) -> str:
    return _("Here's what the group did together in the last 7 days ({days}):").format(days=days)


def digest_line(kind: str, count: int) -> str:
    """One line of the digest for a kind of effort (one of DIGEST_KINDS)."""
    if kind == "applications":
        text = ngettext("• {count} application sent", "• {count} applications sent", count)
    elif kind == "reflections":
        text = ngettext("• {count} reflection written", "• {count} reflections written", count)
    elif kind == "feedback_requests":
        text = ngettext("• {count} feedback request sent", "• {count} feedback requests sent",
                        count)
    elif kind == "shared_rejections":
        text = ngettext("• {count} rejection shared with the group",
                        "• {count} rejections shared with the group", count)
    elif kind == "interviews":
        text = ngettext("• {count} interview reached", "• {count} interviews reached", count)
    elif kind == "offers":
        text = ngettext("• {count} offer received", "• {count} offers received", count)
    else:
        raise ValueError(f"unknown digest kind {kind!r}")
    return text.format(count=count)


DIGEST_CLOSE = N_("Every one of these took effort. Be proud of the work, whatever the replies.")
DIGEST_QUIET = N_("It's been a quiet week here ({days}), and that's fine. Rest is part of "
                  "keeping going, and the group is here when you're ready.")


def week_period(monday: date, sunday: date) -> str:
    """"this week (Mon 8 – Sun 14 Jun)": every count names the days it covers."""
    return _("this week ({days})").format(days=day_range(monday, sunday))


def last_days_period(first: date, last: date) -> str:
    """"in the last 7 days (Tue 9 – Mon 15 Jun)"."""
    return _("in the last 7 days ({days})").format(days=day_range(first, last))


def day_range(first: date, last: date) -> str:
    """"Mon 8 – Sun 14 Jun", or "Mon 29 Jun – Sun 5 Jul" across months (in the language of
    the moment)."""
    return range_in_words(first, last)


def footer_for(footers: tuple[str, ...], turn: int) -> str:
    """The footer for this turn, in the current language."""
    return _(footers[turn % len(footers)])


KEEP_APPLYING_TITLE = N_("Keep applying")
DIGEST_TITLE = N_("The group's week")
