"""The texts cogs make come from the catalog of the moment, whole sentences at a time: with a
catalog that brackets every text it translates, every line a member reads is bracketed."""

from __future__ import annotations

import gettext
from datetime import date

import pytest

from bot import i18n
from bot.db.repositories.member_settings import MemberSettings
from bot.services.applications import ImportPreview, WeekProgress
from bot.tree import unexpected_reply
from cogs.apply import preview_text, progress_line
from cogs.settings import changes, describe
from cogs.support import pause_line


class Bracketing(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


@pytest.fixture
def bracketing(monkeypatch):
    monkeypatch.setattr(i18n, "translations", lambda locale: Bracketing())
    with i18n.using("de"):
        yield


def whole(line: str) -> bool:
    return line.startswith("⟦") and line.endswith("⟧")


def test_settings_read_entirely_from_the_catalog(bracketing):
    prefs = MemberSettings(user_id=1, quiet_start="22:00", quiet_end="08:00",
                           encouragement_dms=False, anonymous_notes=False)
    lines = describe(prefs).split("\n")
    assert len(lines) == 8 and all(whole(line) for line in lines)
    assert "⟦**Quiet hours:** 22:00–08:00 (no personal DMs then" in lines[1]
    changed = changes(("dm_prompts", "timezone"), MemberSettings(user_id=1), prefs)
    assert changed == ["⟦**⟦Timezone⟧:** ⟦not set⟧ (was ⟦not set⟧)⟧",
                       "⟦**⟦DM prompts⟧:** ⟦on⟧ (was ⟦on⟧)⟧"]


@pytest.mark.parametrize(("applications", "goal"), [(1, None), (3, None), (2, 5), (5, 5), (7, 5)])
def test_the_week_line_is_one_sentence_per_case(bracketing, applications, goal):
    week = WeekProgress(date(2026, 6, 15), date(2026, 6, 21), applications, goal)
    line = progress_line(week)
    assert whole(line) and line.count("⟦") == 1


def test_an_import_preview_reads_from_the_catalog(bracketing):
    preview = ImportPreview(pending_id=3, rows=2, found=4, duplicates=[(3, 7)],
                            refused=[(5, "no company")], warnings=[], ignored_columns=["x"])
    lines = preview_text("apps.csv", preview).split("\n")
    assert all(whole(line) for line in lines)
    assert "⟦line 3 (same as your #7)⟧" in lines[2]


def test_error_replies_read_from_the_catalog(bracketing):
    assert whole(unexpected_reply("AB12")) and "(code AB12)" in unexpected_reply("AB12")
    assert whole(pause_line("the channel is gone") or "")


def test_english_is_the_text_itself():
    week = WeekProgress(date(2026, 6, 15), date(2026, 6, 21), 1, None)
    assert progress_line(week).startswith("This week (")
    assert progress_line(week).endswith("): 1 application. Set a weekly goal with /apply goal "
                                         "if a steady pace would help.")


def test_stored_choices_read_as_their_choice_names(bracketing):
    from cogs import apply, rejection

    assert apply._shown("status", "no-response") == "⟦no-response⟧"
    assert rejection._shown("stage", "phone-screen") == "⟦phone-screen⟧"
    assert {c.value for c in apply.STATUSES} == {c.name for c in apply.STATUSES}
    assert {c.value for c in rejection.STAGES} == {c.name for c in rejection.STAGES}
