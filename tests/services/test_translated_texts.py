"""Texts made in another language: every one goes through the catalog, and what is stored or
compared (pool lines, a digest's thanks) never depends on the translated words."""

from __future__ import annotations

import gettext
import random
import re
from datetime import date, timedelta

import pytest

from bot import i18n
from bot.errors import InvalidInput
from bot.services import nudge_lines, text
from bot.services.dates import range_in_words
from bot.services.feedback import greeting
from bot.services.nudges import NudgeService, digest_without, encouragement_post, thanks_line
from bot.services.sharing import share_post, win_post
from tests.services.test_nudges import GUILD, Channel, add_application, configure


def mangle(message: str) -> str:
    """A stand-in translation: between brackets, every "e" outside a placeholder an "ë", so the
    English text itself appears nowhere."""
    parts = re.split(r"(\{[^{}]*\})", message)
    return "⟦" + "".join(p if p.startswith("{") else p.replace("e", "ë") for p in parts) + "⟧"


class Bracketed(gettext.NullTranslations):
    def gettext(self, message):
        return mangle(message)

    def ngettext(self, singular, plural, n):
        return mangle(singular if n == 1 else plural)

    def pgettext(self, context, message):
        return mangle(message)


@pytest.fixture
def bracketed(monkeypatch):
    monkeypatch.setattr(
        i18n, "translations",
        lambda locale: Bracketed() if locale == "de" else gettext.NullTranslations())
    with i18n.using("de"):
        yield


async def test_keep_applying_rotation_holds_when_posts_are_translated(db, clock, bracketed):
    await configure(db, clock)
    seen = []
    for week in range(6):
        await add_application(db, 1001, GUILD, clock.now().date().isoformat())
        channel = Channel()
        await NudgeService(db, clock, rng=random.Random(week)).post_now(
            GUILD, "keep-applying", channel)
        post = channel.posts[0][1]
        assert post.title == mangle("Keep applying")
        line = nudge_lines.KEEP_APPLYING_LINES[post.line]
        assert mangle(line) in post.description and line not in post.description
        seen.append(post.line)
        clock.advance(timedelta(weeks=1))
    for i in range(len(seen)):
        assert seen[i] not in seen[max(0, i - 3):i], seen


def test_encouragement_post_is_translated_and_keeps_its_line(bracketed):
    post = encouragement_post(3)
    assert post.description == mangle(nudge_lines.ENCOURAGEMENT_LINES[3])
    assert post.footer == mangle(nudge_lines.ENCOURAGEMENT_FOOTERS[3])
    assert post.line == 3


def test_a_translated_digest_loses_one_name_and_keeps_its_words(bracketed):
    words = mangle("Thank you for showing up openly this week: {members}.")
    description = "intro\n\n" + thanks_line([11, 22, 33]) + "\n\nclose"
    assert description.split("\n")[2] == words.format(members="<@11>, <@22>, <@33>")
    assert digest_without(description, 22) == (
        "intro\n\n" + words.format(members="<@11>, <@33>") + "\n\nclose")
    alone = "intro\n\n" + thanks_line([22]) + "\n\nclose"
    assert digest_without(alone, 22) == "intro\n\nclose"


def test_counts_and_periods_are_whole_translated_sentences(bracketed):
    assert nudge_lines.keep_applying_count(2, 1, "Mon 8 – Sun 14 Jun") == mangle(
        "So far this week ({days}) the group has logged **{applications} applications**, "
        "and **{members} member** has reached their weekly goal."
    ).format(days="Mon 8 – Sun 14 Jun", applications=2, members=1)
    assert nudge_lines.digest_line("offers", 1) == mangle("• {count} offer received").format(
        count=1)
    # The days themselves are written by Babel in the language of the moment (German here).
    assert nudge_lines.week_period(date(2026, 6, 8), date(2026, 6, 14)) == mangle(
        "this week ({days})").format(days=range_in_words(date(2026, 6, 8), date(2026, 6, 14)))
    assert range_in_words(date(2026, 6, 8), date(2026, 6, 14)) != "Mon 8 – Sun 14 Jun"


def test_field_problems_are_whole_sentences_in_the_language(bracketed):
    with pytest.raises(InvalidInput) as empty:
        text.clean_required("  ", "company", text.COMPANY_MAX)
    assert str(empty.value) == mangle("Please give a company; it can't be empty.")
    with pytest.raises(InvalidInput) as long:
        text.clean_optional("x" * 1001, "answer", 1000, question="Q?")
    assert str(long.value) == mangle(
        "The answer to “{question}” is {length} characters long; please keep it under {limit}."
    ).format(question="Q?", length="1,001", limit="1,000")


def test_posts_and_greetings_are_made_in_the_language(bracketed):
    shared = share_post(company="Acme", stage="onsite", author_name=None)
    assert shared.title == mangle("Shared with the group")
    assert shared.description.split("\n")[0] == mangle(
        "Someone in the group got a no from **{company}** {stage}."
    ).format(company="Acme", stage=mangle("after an onsite interview"))
    assert win_post(status="offer", author_name="Dana").description.split("\n")[0] == mangle(
        "**{name}** got an offer!").format(name="Dana")
    assert greeting("Dana Kim", "warm") == mangle("Hi {first_name},").format(first_name="Dana")
