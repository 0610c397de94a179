"""Service texts are made in the language of the moment, at the moment they are made.

A stand-in catalog wraps every text in brackets, so a text that skipped the catalog, or was
translated once at import time, shows up without them."""

from datetime import date, timedelta

import pytest

from bot import i18n
from bot.db.repositories.progress import Totals
from bot.errors import InvalidInput
from bot.scheduling.posting import describe
from bot.services import application_csv, applications, journal
from bot.services.chart import render_progress_chart
from bot.services.insights import Insights, Theme, next_step, theme_line
from bot.services.member_settings import parse_quiet_hours
from bot.services.privacy import DataDeleted, describe_counts
from bot.services.progress import (
    ProgressReport,
    Streak,
    WeekPoint,
    only_rejections_text,
    summary_fields,
)


class Bracketed:
    def gettext(self, message: str) -> str:
        return f"[{message}]"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"[{singular if n == 1 else plural}]"


@pytest.fixture
def bracketed(monkeypatch):
    monkeypatch.setattr(i18n, "translations", lambda locale: Bracketed())


def report(**totals) -> ProgressReport:
    values = dict(applications=7, rejections=2, interviews_reached=1, reflections=3,
                  feedback_asked=1, feedback_received=2, interviews_won=1, offers=1)
    values.update(totals)
    monday = date(2026, 6, 15)
    weeks = [WeekPoint(monday - timedelta(weeks=1), 5, 0, 0, 0), WeekPoint(monday, 2, 1, 0, 1)]
    return ProgressReport(today=monday, timezone="UTC", goal=3,
                          streak=Streak(weeks=6, grace_used=1, this_week_met=False),
                          totals=Totals(**values), weeks=weeks)


def test_progress_fields_are_whole_translated_sentences(bracketed):
    fields = dict(summary_fields(report()))
    assert list(fields) == ["[This week]", "[Streak]", "[Reflections]", "[Feedback]", "[Wins]",
                            "[Interviews reached]", "[Rejections logged]"]
    assert fields["[This week]"] == ("[2 of 3 applications · 1 to go]\n"
                                     "[7 applications in total]")
    assert fields["[Streak]"] == ("[[6 weeks meeting your goal] ([1 grace week forgiven]: one per"
                                  " 4 good weeks)]\n[This week can add one more.]")
    assert fields["[Feedback]"] == "[1 asked] · [2 received]"
    assert fields["[Wins]"] == "[1 interview reached] · [1 offer]"
    assert only_rejections_text(report()).endswith(
        "\n[Your goal is 3 applications a week: **/apply log** counts each one.]")


def test_insights_lines_are_translated(bracketed):
    theme = Theme(phrase="system design", notes=4, reflections=3, feedback_notes=1,
                  quote="q", quote_company="Acme", plan=None)
    found = Insights(reflections=4, feedback_notes=1, limited=False)
    assert theme_line(theme, found) == \
        "[system design came up in [3 reflections] and [1 feedback note]]"
    assert next_step(theme).startswith("[The feedback you got mentions it too.")


def test_labels_counts_and_refusals_are_translated_where_used(bracketed):
    assert applications.change_label("applied_on") == "[Date applied]"
    assert journal.change_label("occurred_on") == "[Date]"
    assert DataDeleted().message == "[That was deleted.]"
    assert describe_counts({}) == "[nothing]"
    assert describe_counts({"reflections": 1, "applications": 2, "timers": 1}) == \
        "[[1 reflection], [2 applications] and [1 scheduled reminder]]"
    with pytest.raises(InvalidInput) as refused:
        parse_quiet_hours("25:00-08:00")
    assert refused.value.message == ("[Hours go from 00 to 23 and minutes from 00 to 59. "
                                     "[Use HH:MM-HH:MM in your timezone, like 22:00-08:00, "
                                     "or “off”.]]")
    assert describe(TimeoutError()) == "[timed out]"


def test_import_refusals_are_translated_with_their_line(bracketed):
    with pytest.raises(InvalidInput) as refused:
        application_csv.parse(b"", date.fromisoformat, lambda values: values)
    assert refused.value.message == "[That file is empty. Nothing was imported.]"
    parsed = application_csv.parse(
        b"company,date applied,status\n=cmd,2026-06-01,applied\nAcme,,applied\n"
        b"Beta,2026-06-02,pondering\n",
        date.fromisoformat, lambda values: values)
    assert parsed.refused == [
        (2, "[the company “=cmd” starts like a spreadsheet formula]"),
        (3, "[no date applied]"),
    ]
    assert parsed.warnings == [
        (4, "[status “pondering” is not one I know, so it comes in as applied]")]


def test_chart_legend_keeps_its_order_in_another_language(bracketed):
    weeks = [WeekPoint(date(2026, 6, 1) + timedelta(weeks=i), a, 1, 1, 1)
             for i, a in enumerate((1, 4, 2))]
    png = render_progress_chart(weeks, goal=3)
    assert png.startswith(b"\x89PNG")
