"""Recurring themes: phrases a member keeps coming back to across reflections and feedback.

Deliberately plain and deterministic, so the same notes always give the same list: every
note becomes a set of normalised word n-grams (1–3 words, stop words removed), and a phrase
is a theme when it appears in at least two different notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Words that carry no theme on their own. Kept short and readable on purpose.
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each even every few for from further get got had hadn't has
hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like lot lots maybe
me more most much mustn't my myself next no nor not now of off on once one only or other ought
our ours ourselves out over own quite rather really same shan't she she'd she'll she's should
shouldn't so some still such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've thing things this those though through to
too under until up upon us very was wasn't we we'd we'll we're we've were weren't what what's
when when's where where's which while who who's whom why why's will with won't would wouldn't
yet you you'd you'll you're you've your yours yourself yourselves
bit felt feel think thought went well time times way still again also good better bad need
needed want wanted make made know knew say said try tried really pretty enough right kind sure
actually probably definitely first last struggle struggled struggling unprepared prepared
prepare differently practise practice practising practicing next instead overall
""".split())

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?(?:[+#]+)?")
MAX_WORDS = 3


@dataclass(frozen=True, slots=True)
class Theme:
    phrase: str
    documents: int    # in how many different notes it appears


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).replace("’", "'")


def _runs(text: str) -> list[list[str]]:
    """Runs of meaningful words: a stop word, or punctuation that ends a clause, breaks a run,
    so "system design" is found in "struggled with system design, again" but no phrase spans
    "design" and "again"."""
    runs: list[list[str]] = []
    for clause in re.split(r"[.,;:!?()\[\]\n\"“”/—–-]+", _normalise(text)):
        current: list[str] = []
        for word in _WORD.findall(clause):
            if word in STOP_WORDS or len(word) < 2 or word.isdigit():
                if current:
                    runs.append(current)
                current = []
            else:
                current.append(word)
        if current:
            runs.append(current)
    return runs


def phrases(text: str) -> set[str]:
    """Every 1–3 word phrase of the text's meaningful runs."""
    found: set[str] = set()
    for run in _runs(text):
        for size in range(1, MAX_WORDS + 1):
            for start in range(len(run) - size + 1):
                found.add(" ".join(run[start:start + size]))
    return found


def find_themes(documents: Iterable[str], *, min_documents: int = 2, limit: int = 10) -> list[Theme]:
    """Phrases present in at least `min_documents` different documents, longest first, then
    the most widespread, then alphabetically. A shorter phrase is left out when every note
    that has it already counts towards a longer theme containing it ("design" adds nothing
    next to "system design" when they come from the same notes)."""
    counts: dict[str, int] = {}
    for text in documents:
        for phrase in phrases(text or ""):
            counts[phrase] = counts.get(phrase, 0) + 1
    shared = {p: n for p, n in counts.items() if n >= min_documents}
    ordered = sorted(shared, key=lambda p: (-len(p.split()), -shared[p], p))
    chosen: list[Theme] = []
    for phrase in ordered:
        # Longer phrases come first, so only an already chosen one can contain this one.
        if any(f" {phrase} " in f" {t.phrase} " and t.documents >= shared[phrase] for t in chosen):
            continue
        chosen.append(Theme(phrase=phrase, documents=shared[phrase]))
        if len(chosen) == limit:      # the order is final, so the rest would come after
            break
    return chosen
