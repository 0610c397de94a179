"""/insights: what keeps coming up in a member's own reflections and feedback notes.

A theme is a phrase that occurs in at least two different notes of the same member
(a note is one reflection or one received feedback text). Candidate phrases come from
YAKE, run on each note separately: it scores 1–3 word phrases by statistics of the text
itself (position, frequency, casing, context), works offline and needs no model. A
candidate becomes a theme when it occurs in two or more of the member's notes.
Only the member's own text is ever read.

This is the one place themes are found: the replies to /reflect and /feedback log show the
top of this same list, so a member never sees two different answers to "what keeps
coming up"."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import yake

from bot.clock import Clock
from bot.db.connection import Database
from bot.db.repositories.progress import Note, ProgressRepository
from bot.i18n import N_, _, ngettext

# The newest notes are read; a prep list is about where the member is now, and the bound
# keeps /insights quick for someone with years of entries.
NOTE_LIMIT = 200
MAX_THEMES = 5
MAX_STRENGTHS = 3
QUOTE_MAX = 140
MIN_NOTES = 2
PHRASE_WORDS = 3

# Words that describe any reflection rather than a topic: the prompts' own vocabulary.
GENERIC_WORDS = frozenset((
    "struggled", "struggle", "struggling", "unprepared", "prepared", "prepare", "preparing",
    "differently", "went", "well", "good", "great", "bad", "better", "worse", "practise",
    "practice", "practising", "practicing", "next", "time", "times", "interview", "interviews",
    "interviewer", "interviewers", "question", "questions", "answer", "answers", "felt", "feel",
    "feeling", "think", "thought", "lot", "bit", "today", "yesterday", "week", "day", "really",
    "thing", "things", "way", "ways", "job", "role", "company", "team", "round", "rounds",
    "feedback", "would", "could", "should", "make", "made", "get", "got", "give", "gave",
    "need", "needed", "want", "wanted", "start", "started", "try", "tried", "keep", "kept",
))

_TOKEN = re.compile(r"[^\W_][\w+#./'’-]*", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def tokens(text: str) -> list[str]:
    """Lower-case words, keeping tech spellings whole (c++, node.js, c#, trade-offs)."""
    return [t.rstrip(".'’-/") for t in _TOKEN.findall(text.lower()) if t.rstrip(".'’-/")]


def _singular(word: str) -> str:
    # Just enough folding that "system design questions" and "…question" count together.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def phrase_key(words: Sequence[str]) -> str:
    return " ".join(_singular(w) for w in words)


def ngram_keys(text: str, longest: int = PHRASE_WORDS) -> set[str]:
    """Every phrase of 1..longest consecutive words in the text, in key form."""
    words = [_singular(w) for w in tokens(text)]
    return {
        " ".join(words[i:i + n])
        for n in range(1, longest + 1)
        for i in range(len(words) - n + 1)
    }


@dataclass(frozen=True, slots=True)
class Candidate:
    key: str            # normalised: lower case, plurals folded
    spelling: str       # lower case, as written
    score: float        # YAKE's score of the phrase it came from: lower is more telling


def _runs_of(words: Sequence[str]) -> list[Sequence[str]]:
    """Every run of consecutive words, longest first."""
    return [words[i:i + n] for n in range(len(words), 0, -1)
            for i in range(len(words) - n + 1)]


class PhraseExtractor:
    """One YAKE extractor, shared and guarded: it keeps internal caches that are not
    thread-safe, and /insights runs it off the event loop. Results are remembered by the
    text's digest, so asking again only reads notes written or edited since."""

    def __init__(self, per_note: int = 12, remember: int = 20_000) -> None:
        self._yake = yake.KeywordExtractor(lan="en", n=PHRASE_WORDS, top=per_note)
        self._stopwords = frozenset(self._yake.stopword_set)
        self._lock = threading.Lock()
        self._remembered: OrderedDict[bytes, tuple[Candidate, ...]] = OrderedDict()
        self._remember = remember

    def candidates(self, text: str) -> tuple[Candidate, ...]:
        """The topic phrases YAKE finds in one note, and the runs of words inside each:
        "caching strategies" in one note and "caching" in another share a theme."""
        cache_key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        with self._lock:
            found = self._remembered.get(cache_key)
            if found is not None:
                self._remembered.move_to_end(cache_key)
                return found
            scored = self._yake.extract_keywords(text)
            found = tuple(
                Candidate(phrase_key(part), " ".join(part), float(score))
                for phrase, score in scored
                for part in _runs_of(tokens(phrase))
                if self.is_topic(part)
            )
            self._remembered[cache_key] = found
            if len(self._remembered) > self._remember:
                self._remembered.popitem(last=False)
            return found

    def is_topic(self, words: Sequence[str]) -> bool:
        """False for phrases made only of filler, and for numbers and single letters."""
        meaningful = [w for w in words if w not in self._stopwords and w not in GENERIC_WORDS]
        if not meaningful:
            return False
        if words[0] in self._stopwords or words[-1] in self._stopwords:
            return False
        return not all(w.isdigit() or len(w) < 2 for w in meaningful)


_shared_extractor: PhraseExtractor | None = None
_shared_lock = threading.Lock()


def shared_extractor() -> PhraseExtractor:
    global _shared_extractor
    with _shared_lock:
        if _shared_extractor is None:
            _shared_extractor = PhraseExtractor()
        return _shared_extractor


@dataclass(frozen=True, slots=True)
class Document:
    """The text of one note that themes are looked for in."""
    kind: str            # "reflection" or "feedback"
    id: int
    company: str
    text: str
    plan: str = ""       # what the member said they'd practise or do differently


@dataclass(frozen=True, slots=True)
class Theme:
    phrase: str                  # as the member usually wrote it
    notes: int                   # how many different notes it occurs in
    reflections: int
    feedback_notes: int
    quote: str                   # one sentence of theirs that contains it (newest first)
    quote_company: str
    plan: str | None             # their own words about practising it, when they wrote some


@dataclass(frozen=True, slots=True)
class Insights:
    reflections: int             # notes read, by kind
    feedback_notes: int
    limited: bool                # True when only the newest NOTE_LIMIT notes were read
    themes: list[Theme] = field(default_factory=list)
    strengths: list[Theme] = field(default_factory=list)

    @property
    def notes(self) -> int:
        return self.reflections + self.feedback_notes


def prep_documents(notes: Iterable[Note]) -> list[Document]:
    """What was hard, missing or to change: the material of a prep list."""
    docs = []
    for note in notes:
        if note.kind == "feedback":
            text, plan = note.feedback, ""
        else:
            text = "\n".join(p for p in (note.struggled, note.unprepared, note.differently,
                                         note.practise) if p.strip())
            plan = "\n".join(p for p in (note.practise, note.differently) if p.strip())
        if text.strip():
            docs.append(Document(note.kind, note.id, note.company, text, plan))
    return docs


def strength_documents(notes: Iterable[Note]) -> list[Document]:
    return [
        Document("reflection", n.id, n.company, n.went_well)
        for n in notes if n.kind == "reflection" and n.went_well.strip()
    ]


def _quote(text: str, key: str) -> str | None:
    """The first sentence of text that contains the phrase, trimmed to QUOTE_MAX."""
    for sentence in _SENTENCE.split(text):
        if key in ngram_keys(sentence):
            sentence = " ".join(sentence.split()).rstrip(";:,")
            return sentence if len(sentence) <= QUOTE_MAX else sentence[: QUOTE_MAX - 1] + "…"
    return None


def _overlaps(a: str, b: str) -> bool:
    """True when one phrase is a run of words inside the other, or the two share a run of
    two or more words ("design mock interview" / "system design mock"): one theme, not two."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if f" {short} " in f" {long_} ":
        return True
    words_a, words_b = a.split(), b.split()
    runs_a = {" ".join(r) for r in _runs_of(words_a) if len(r) >= 2}
    return any(" ".join(r) in runs_a for r in _runs_of(words_b) if len(r) >= 2)


def find_themes(
    docs: Sequence[Document],
    extractor: PhraseExtractor,
    *,
    limit: int,
    ignore: Iterable[str] = (),
) -> list[Theme]:
    """Phrases that occur in at least MIN_NOTES different documents, most widespread first.
    docs are newest first; the quote comes from the newest document that has the phrase."""
    if len(docs) < MIN_NOTES:
        return []
    ignored = {phrase_key(tokens(i)) for i in ignore}
    best_score: dict[str, float] = {}
    spellings: dict[str, Counter[str]] = {}
    for doc in docs:
        for c in extractor.candidates(doc.text):
            if c.key not in ignored:
                best_score[c.key] = min(c.score, best_score.get(c.key, c.score))
                spellings.setdefault(c.key, Counter())[c.spelling] += 1

    # Where each candidate occurs, whether or not YAKE picked it out in that note.
    wanted = set(best_score)
    found_in: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        for key in ngram_keys(doc.text) & wanted:
            found_in.setdefault(key, []).append(i)
    spread = {key: where for key, where in found_in.items() if len(where) >= MIN_NOTES}

    # Longer themes stand in for a shorter one inside them when together they occur in all
    # the same notes, or, for a single word, in most of them: "system design" and "API
    # design" rather than "design". Otherwise the shorter, more widespread phrase wins.
    longer: dict[str, list[str]] = {}
    for key in spread:
        words = key.split()
        for part in _runs_of(words)[1:]:
            inner = " ".join(part)
            if inner in spread:
                longer.setdefault(inner, []).append(key)
    absorbed = set()
    for key, others in longer.items():
        covered = set().union(*(spread[o] for o in others))
        needed = len(spread[key]) if " " in key else -(-2 * len(spread[key]) // 3)
        if len(covered) >= needed:
            absorbed.add(key)
    ranked = sorted(
        (key for key in spread if key not in absorbed),
        key=lambda k: (-len(spread[k]), best_score[k], k),
    )
    chosen: list[str] = []
    for key in ranked:
        if not any(_overlaps(key, c) for c in chosen):
            chosen.append(key)
        if len(chosen) == limit:
            break

    themes = []
    for key in chosen:
        where = [docs[i] for i in spread[key]]
        quote, company = "", ""
        for doc in where:
            found = _quote(doc.text, key)
            if found:
                quote, company = found, doc.company
                break
        plan = next(
            (q for doc in where if doc.plan and (q := _quote(doc.plan, key))), None
        )
        themes.append(Theme(
            phrase=spellings[key].most_common(1)[0][0],
            notes=len(where),
            reflections=sum(1 for d in where if d.kind == "reflection"),
            feedback_notes=sum(1 for d in where if d.kind == "feedback"),
            quote=quote, quote_company=company, plan=plan,
        ))
    return themes


def analyse(notes: Sequence[Note], extractor: PhraseExtractor, limited: bool) -> Insights:
    """CPU work of /insights (YAKE), kept apart so it can run off the event loop."""
    companies = {n.company for n in notes}
    return Insights(
        reflections=sum(1 for n in notes if n.kind == "reflection"),
        feedback_notes=sum(1 for n in notes if n.kind == "feedback"),
        limited=limited,
        themes=find_themes(prep_documents(notes), extractor, limit=MAX_THEMES,
                           ignore=companies),
        strengths=find_themes(strength_documents(notes), extractor, limit=MAX_STRENGTHS,
                              ignore=companies),
    )


def theme_line(theme: Theme, insights: Insights) -> str:
    """'system design came up in 3 of your 4 reflections' — plain text, no markdown."""
    if theme.reflections and not theme.feedback_notes:
        # Translators: {phrase} is a topic from the member's own notes, e.g. "system design".
        return ngettext("{phrase} came up in {count} of your {total} reflection",
                        "{phrase} came up in {count} of your {total} reflections",
                        insights.reflections).format(
            phrase=theme.phrase, count=theme.reflections, total=insights.reflections)
    if not theme.reflections:
        # Translators: {phrase} is a topic from the member's own notes, e.g. "system design".
        return ngettext("{phrase} came up in {count} feedback note",
                        "{phrase} came up in {count} feedback notes",
                        theme.feedback_notes).format(phrase=theme.phrase,
                                                     count=theme.feedback_notes)
    reflections = ngettext("{count} reflection", "{count} reflections",
                           theme.reflections).format(count=theme.reflections)
    feedback_notes = ngettext("{count} feedback note", "{count} feedback notes",
                              theme.feedback_notes).format(count=theme.feedback_notes)
    # Translators: {phrase} is a topic from the member's own notes, e.g. "system design";
    # e.g. "system design came up in 3 reflections and 1 feedback note".
    return _("{phrase} came up in {reflections} and {feedback_notes}").format(
        phrase=theme.phrase, reflections=reflections, feedback_notes=feedback_notes)


# Prep items, each a whole sentence with named placeholders.
PLAN_OWN = N_("Your own plan: “{plan}”")
PLAN_FEEDBACK = N_(
    "The feedback you got mentions it too. Ask a peer for a mock round on {phrase}.")
PLAN_PRACTICE = N_("Block one practice session on {phrase} this week, then note what changed.")


def next_step(theme: Theme) -> str:
    """Turns a theme into one prep item, in the member's own words when they wrote some."""
    if theme.plan:
        return _(PLAN_OWN).format(plan=theme.plan)
    if theme.feedback_notes:
        return _(PLAN_FEEDBACK).format(phrase=theme.phrase)
    return _(PLAN_PRACTICE).format(phrase=theme.phrase)


class InsightsService:
    def __init__(
        self, db: Database, clock: Clock, extractor: PhraseExtractor | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.repo = ProgressRepository(db)
        self.extractor = extractor or shared_extractor()

    async def insights(self, user_id: int) -> Insights:
        notes = await self.repo.recent_notes(user_id, NOTE_LIMIT + 1)
        limited = len(notes) > NOTE_LIMIT
        notes = notes[:NOTE_LIMIT]
        if not notes:
            return Insights(reflections=0, feedback_notes=0, limited=False)
        return await asyncio.to_thread(analyse, notes, self.extractor, limited)
