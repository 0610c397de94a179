from hypothesis import given, settings
from hypothesis import strategies as st

from bot.formatting import inert
from bot.services.text import literal


def test_inert_escapes_markdown_so_text_shows_as_typed():
    assert inert("**bold** _it_ `code`") == r"\*\*bold\*\* \_it\_ \`code\`"


def test_inert_limit_holds_after_escaping():
    for text in ["*" * 500, "a*" * 300, "plain " * 100, "é" * 400]:
        shown = inert(text, 200)
        assert len(shown) <= 200
        assert shown.endswith("…")
        assert not shown[:-1].endswith("\\") or shown[:-1].endswith("\\\\")
    assert inert("short", 200) == "short"
    assert inert(None) == ""


# Member text never becomes a tag ----------------------------------------------------------------

LIVE = ("<@", "<#", "</", "@everyone", "@here")
PIECES = st.sampled_from([
    "<@123>", "<@!456>", "<@&789>", "<#42>", "</rejection log:1234>", "@everyone", "@here",
    "<", "@", ">", "#", "&", "!", "/", ":", "**", "__", "~~", "||", "`", "```", "> ", "# ",
    "-# ", "[x](https://e.x)", "\\", "\n", " ", "Acme", "é", "日本", "🙂", "\u200b", "\u200d",
    "<t:1700000000:R>", "<:emoji:1>", "<a:e:2>", "@ everyone", "<<@", "@@here",
])
MEMBER_TEXT = st.one_of(
    st.lists(PIECES, max_size=12).map("".join),
    st.text(max_size=60),
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=10).map("".join),
)


def live_tags(shown: str) -> list[str]:
    return [tag for tag in LIVE if tag in shown]


@settings(max_examples=400, deadline=None)
@given(MEMBER_TEXT, st.one_of(st.none(), st.integers(min_value=2, max_value=80)))
def test_inert_never_leaves_a_live_tag(text, limit):
    assert live_tags(inert(text, limit)) == []
    assert live_tags(inert(text, limit, markdown=False)) == []
    if limit is not None:
        assert len(inert(text, limit)) <= limit


@settings(max_examples=300, deadline=None)
@given(MEMBER_TEXT)
def test_literal_never_leaves_a_live_tag(text):
    assert live_tags(literal(text, 60)) == []


def test_tags_stay_visible_as_typed():
    shown = inert("<@&123> <@456> @everyone </x:1>")
    assert shown.replace("\u200b", "") == "<@&123> <@456> @everyone </x:1>"
    assert "<@" not in shown and "@everyone" not in shown
