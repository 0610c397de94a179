from bot.formatting import inert


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
