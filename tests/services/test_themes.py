from bot.services.themes import find_themes, phrases


def test_phrases_are_normalised_ngrams_without_stop_words():
    found = phrases("I struggled with System Design, and the café chat.")
    assert {"system", "design", "system design", "cafe", "chat", "cafe chat"} <= found
    # No phrase is made of, or spans, stop words or punctuation.
    assert "with" not in found and "design cafe" not in found and "the" not in found


def test_a_theme_needs_two_different_notes():
    themes = find_themes([
        "Struggled with system design questions.",
        "system design again; system design everywhere",   # counts once for this note
        "Salary talk went badly.",
    ])
    assert [(t.phrase, t.documents) for t in themes] == [("system design", 2)]


def test_longest_then_most_frequent_first_and_subphrases_folded():
    notes = [
        "behavioural questions about conflict",
        "more behavioural questions; nervous",
        "nervous at the start",
        "nervous again, talked too fast",
        "practise system design whiteboard",
        "system design whiteboard felt rushed",
    ]
    phrases_found = [t.phrase for t in find_themes(notes)]
    assert phrases_found == ["system design whiteboard", "behavioural questions", "nervous"]


def test_deterministic_and_limited():
    notes = [f"topic{i} shared{i % 3} alpha" for i in range(12)]
    first = find_themes(notes, limit=3)
    assert first == find_themes(list(notes), limit=3)
    assert len(first) == 3


def test_nothing_shared_means_no_themes():
    assert find_themes(["one", "two"]) == []
    assert find_themes([]) == []
    assert find_themes(["", None]) == []
