import pytest

from bot.services import insights as insights_module
from bot.services.insights import (
    Document,
    InsightsService,
    PhraseExtractor,
    find_themes,
    next_step,
    ngram_keys,
    theme_line,
    tokens,
)

ALICE, BOB = 1001, 1002


async def add_reflection(db, user_id, company, day, *, struggled="", unprepared="",
                         differently="", went_well="", practise=""):
    at = f"{day}T18:00:00+00:00"
    async with db.transaction() as tx:
        rejection_id = await tx.insert(
            "INSERT INTO rejections (user_id, company, stage, occurred_on, created_at)"
            " VALUES (?, ?, 'onsite', ?, ?)", (user_id, company, day, at))
        await tx.execute(
            "INSERT INTO reflections (rejection_id, user_id, struggled, unprepared, differently,"
            " went_well, practise, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rejection_id, user_id, struggled, unprepared, differently, went_well, practise,
             at, at))


async def add_feedback(db, user_id, company, day, text, *, received=True):
    at = f"{day}T18:00:00+00:00"
    async with db.transaction() as tx:
        rejection_id = await tx.insert(
            "INSERT INTO rejections (user_id, company, stage, occurred_on, created_at)"
            " VALUES (?, ?, 'final', ?, ?)", (user_id, company, day, at))
        await tx.execute(
            "INSERT INTO feedback_requests (rejection_id, user_id, sent_at, received_at,"
            " feedback_text, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (rejection_id, user_id, at, at if received else None, text if received else None,
             at))


async def seed_alice(db):
    """Four reflections and one feedback note, oldest first."""
    await add_reflection(
        db, ALICE, "Acme", "2026-10-01",
        struggled="Salary negotiation questions threw me.",
        unprepared="I was unprepared for system design.",
        differently="Sleep more before onsite days.",
        went_well="The past project walkthrough went well.")
    await add_reflection(
        db, ALICE, "Hooli", "2026-10-15",
        struggled="System design: sharding a database.",
        unprepared="Scaling discussions.",
        differently="Draw the high-level diagram earlier.",
        went_well="Rapport with the interviewer; the STAR method kept my stories short.",
        practise="Read about database sharding.")
    await add_feedback(
        db, ALICE, "Globex", "2026-10-20",
        "Strong communication, but the system design round lacked depth on caching and "
        "scaling.")
    await add_reflection(
        db, ALICE, "Globex", "2026-10-22",
        struggled="Dynamic programming on the whiteboard. Dynamic programming again later.",
        unprepared="I had not reviewed graph algorithms.",
        differently="Ask clarifying questions before coding.",
        went_well="Behavioural questions went smoothly; I used the STAR method.",
        practise="Two dynamic programming problems a day.")
    await add_reflection(
        db, ALICE, "Initech", "2026-11-05",
        struggled="The system design question on a URL shortener; I ran out of time.",
        unprepared="Caching strategies.",
        differently="Clarify requirements first.",
        went_well="I explained my past project clearly.",
        practise="Practise system design with a timer.")


@pytest.fixture(scope="module")
def extractor():
    return PhraseExtractor()


async def test_themes_on_a_fixed_corpus(db, clock, extractor):
    await seed_alice(db)
    found = await InsightsService(db, clock, extractor).insights(ALICE)
    assert (found.reflections, found.feedback_notes, found.limited) == (4, 1, False)
    by_phrase = {t.phrase: t for t in found.themes}
    assert found.themes[0].phrase == "system design"
    assert {"system design", "caching", "scaling"} <= set(by_phrase)

    design = by_phrase["system design"]
    assert (design.notes, design.reflections, design.feedback_notes) == (4, 3, 1)
    # The quote is the newest note's sentence; the plan is the member's own practise line.
    assert design.quote == "The system design question on a URL shortener; I ran out of time."
    assert design.quote_company == "Initech"
    assert design.plan == "Practise system design with a timer."
    assert theme_line(design, found) == "system design came up in 3 reflections and 1 feedback note"
    assert next_step(design) == "Your own plan: “Practise system design with a timer.”"

    caching = by_phrase["caching"]
    assert (caching.reflections, caching.feedback_notes, caching.plan) == (1, 1, None)
    assert "mock round on caching" in next_step(caching)

    strengths = {t.phrase: t for t in found.strengths}
    assert set(strengths) == {"star method", "past project"}
    assert theme_line(strengths["star method"], found) == (
        "star method came up in 2 of your 4 reflections")
    assert strengths["past project"].quote == "I explained my past project clearly."


async def test_a_phrase_repeated_inside_one_note_is_not_a_theme(db, clock, extractor):
    await seed_alice(db)
    found = await InsightsService(db, clock, extractor).insights(ALICE)
    phrases = {t.phrase for t in found.themes}
    assert not any("dynamic programming" in p for p in phrases)
    assert not any("graph" in p for p in phrases)
    # Company names are who said no, not something to practise.
    assert not phrases & {"globex", "acme", "hooli", "initech"}


async def test_only_the_members_own_notes_are_read(db, clock, extractor):
    await add_reflection(db, ALICE, "Acme", "2026-11-01", struggled="Kubernetes networking.")
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        await add_reflection(db, BOB, "Hooli", day, struggled="Kubernetes networking again.",
                             practise="Kubernetes networking labs.")
    await add_feedback(db, BOB, "Hooli", "2026-11-05", "Kubernetes networking was weak.")
    service = InsightsService(db, clock, extractor)
    alice = await service.insights(ALICE)
    assert (alice.reflections, alice.feedback_notes, alice.themes) == (1, 0, [])
    bob = await service.insights(BOB)
    assert bob.themes[0].phrase == "kubernetes networking"
    assert bob.themes[0].notes == 4


async def test_feedback_not_yet_received_is_not_a_note(db, clock, extractor):
    await add_reflection(db, ALICE, "Acme", "2026-11-01", struggled="Terraform modules.")
    await add_feedback(db, ALICE, "Acme", "2026-11-02", "Terraform modules.", received=False)
    found = await InsightsService(db, clock, extractor).insights(ALICE)
    assert (found.reflections, found.feedback_notes, found.themes) == (1, 0, [])


async def test_no_notes_means_empty_insights(db, clock, extractor):
    found = await InsightsService(db, clock, extractor).insights(ALICE)
    assert (found.notes, found.themes, found.strengths) == (0, [], [])


async def test_only_the_newest_notes_are_read_when_there_are_many(db, clock, extractor,
                                                                   monkeypatch):
    monkeypatch.setattr(insights_module, "NOTE_LIMIT", 3)
    await add_reflection(db, ALICE, "A", "2026-09-01", struggled="Golang concurrency.")
    await add_reflection(db, ALICE, "B", "2026-09-02", struggled="Golang concurrency.")
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        await add_reflection(db, ALICE, "C", day, struggled="Whiteboard pressure.")
    found = await InsightsService(db, clock, extractor).insights(ALICE)
    assert (found.reflections, found.limited) == (3, True)
    assert [t.phrase for t in found.themes] == ["whiteboard pressure"]


def test_extractor_reads_each_text_once(extractor):
    calls = []
    fresh = PhraseExtractor()
    real = fresh._yake.extract_keywords
    fresh._yake.extract_keywords = lambda text: calls.append(text) or real(text)
    for _ in range(3):
        first = fresh.candidates("Distributed tracing with OpenTelemetry.")
    assert len(calls) == 1
    assert "opentelemetry" in {c.key for c in first}
    assert "distributed tracing" in {c.key for c in first}


def test_tokens_keep_tech_spellings_and_plurals_fold():
    assert tokens("C++, Node.js and C# trade-offs.") == ["c++", "node.js", "and", "c#",
                                                         "trade-offs"]
    assert "system design question" in ngram_keys("Two system design questions.")


def shared(texts, extractor, limit=5):
    docs = [Document("reflection", i, "Acme", text) for i, text in enumerate(texts)]
    return [(t.phrase, t.notes) for t in find_themes(docs, extractor, limit=limit)]


def test_a_theme_needs_two_different_notes(extractor):
    assert shared([
        "Struggled with system design questions.",
        "system design again; system design everywhere",   # counts once for this note
        "Salary talk went badly.",
    ], extractor) == [("system design", 2)]
    assert shared(["Only one note about kubernetes."], extractor) == []
    assert shared([], extractor) == []


def test_longer_phrases_stand_in_for_the_word_they_share(extractor):
    notes = ["API design for payments", "System design of a feed", "API design review",
             "system design whiteboard"]
    # "design" is in all four notes, but the two phrases say what kind.
    assert shared(notes, extractor) == [("api design", 2), ("system design", 2)]


def test_most_widespread_first_and_limited(extractor):
    notes = ["API design for payments", "System design of a feed", "API design review",
             "system design whiteboard", "caching layer", "caching again", "caching"]
    assert shared(notes, extractor, limit=2) == [("caching", 3), ("api design", 2)]
    assert shared(list(reversed(notes)), extractor, limit=2)[0] == ("caching", 3)


async def test_overlapping_phrases_are_one_theme_and_plans_read_as_sentences(db, clock,
                                                                              extractor):
    await add_reflection(db, ALICE, "Initech", "2026-11-02",
                         struggled="The system design mock went badly; I froze.")
    await add_reflection(db, ALICE, "Globex", "2026-11-09",
                         struggled="Another design mock interview and I froze again.")
    await add_reflection(db, ALICE, "Hooli", "2026-11-16",
                         struggled="My system design mock was slow to start.")
    found = await InsightsService(db, clock, extractor).insights(ALICE)
    phrases = [t.phrase for t in found.themes]
    mocks = [p for p in phrases if "mock" in p]
    assert len(mocks) == 1, phrases
    theme = next(t for t in found.themes if "mock" in t.phrase)
    assert theme.notes == 3
    # No two themes share the same quote.
    quotes = [t.quote for t in found.themes]
    assert len(quotes) == len(set(quotes)), found.themes
    for t in found.themes:
        step = next_step(t)
        assert step[0].isupper() and step.rstrip("”").endswith((".", "!", "?")), step


def test_phrases_sharing_two_words_overlap_but_one_shared_word_does_not():
    from bot.services.insights import _overlaps
    assert _overlaps("design mock interview", "system design mock")
    assert _overlaps("system design", "system design mock")
    assert not _overlaps("system design", "api design")
