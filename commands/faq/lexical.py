"""Word-overlap scores for FAQ search: TF-IDF over the tokens of :mod:`commands.faq.text`.

Every phrasing of an entry is a document. A question is scored against an entry as ``CLOSEST`` ×
its cosine with the entry's closest phrasing plus the rest × its cosine with the entry's centroid,
so one close alternate counts, and so does a question that shares words with several of them.

The index is patched entry by entry: a changed entry's old documents are marked dead and its new
ones appended; the postings are compacted (in memory, from the documents' texts) once dead ones
make up half of them. Candidates come from the postings of the question's most selective tokens;
the few candidate entries are then scored exactly by re-tokenising their phrasings, so the index
keeps no per-document vectors and its memory stays proportional to the postings.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from commands.faq.text import tokens

CLOSEST = 0.3  # weight of the closest phrasing against the entry's centroid
CANDIDATE_DOCS = 300  # documents kept from the postings walk
CANDIDATE_ENTRIES = 30  # entries scored exactly
# Tokens in more documents than this do not find candidates: walking their postings in Python
# would cost more than the whole lookup at 100,000 entries, and meaning finds those entries.
SELECTIVE = 500
WALKED = 16  # the question's most selective tokens whose postings are walked
TYPO_CUTOFF = 80  # rapidfuzz ratio above which an unknown English word is read as a known one
TYPOS_PER_QUESTION = 3
CACHED_DOCUMENTS = 4_000  # about 8 MB of document vectors kept between questions
CONTENT_KINDS = "wz"  # English words and Chinese bigrams say what a question is about


class Idf(dict[str, float]):
    """Inverse document frequencies, computed for the tokens one question touches as they are
    asked for (a table of the whole vocabulary would cost more than the question)."""

    def __init__(self, df: Counter[str], documents: int) -> None:
        super().__init__()
        self._df = df
        self._n = documents

    def __missing__(self, token: str) -> float:
        found = self._df.get(token, 0)
        value = math.log((self._n + 1) / (found + 0.5)) if found else 0.0
        self[token] = value
        return value


def weights(counts: dict[str, float], idf: Idf) -> dict[str, float]:
    """Unit TF-IDF vector (sublinear term frequency); tokens the FAQ never uses weigh nothing."""
    vector = {t: (1 + math.log(c) if c >= 1 else c) * idf[t] for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {t: w / norm for t, w in vector.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


class LexicalIndex:
    """Postings and document frequencies of every phrasing, patched as entries change."""

    def __init__(self) -> None:
        # Each document's tokens and counts, by document number, kept compact (interned tokens,
        # float32 counts): scoring a candidate then costs no tokenising.
        self._tokens: list[tuple[tuple[str, ...], array[float]]] = []
        self._entry = array("q")  # by document number; -1 once the document is dead
        self._docs: dict[int, list[int]] = {}  # live documents of each entry
        self._postings: dict[str, array[int]] = {}
        self._df: Counter[str] = Counter()
        self._words: Counter[str] = Counter()  # known English words, for reading typos
        self._vocabulary: list[str] | None = None
        self._dead = 0
        # Unit TF-IDF vectors of recently scored documents; any change to the FAQ moves the
        # IDFs, so it empties the cache.
        self._cached: OrderedDict[int, dict[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tokens) - self._dead

    def put(self, entry_id: int, phrasings: Sequence[str]) -> None:
        """Add or replace an entry's phrasings."""
        self._put(entry_id, [counts for p in phrasings if (counts := tokens(p))])

    def _put(self, entry_id: int, documents: list[dict[str, float]]) -> None:
        self.remove(entry_id)
        docs = []
        for counts in documents:
            doc = len(self._tokens)
            self._tokens.append(
                (tuple(sys.intern(t) for t in counts), array("f", counts.values()))
            )
            self._entry.append(entry_id)
            docs.append(doc)
            self._count(counts, +1)
            for t in counts:
                self._postings.setdefault(t, array("q")).append(doc)
        if docs:
            self._docs[entry_id] = docs

    def remove(self, entry_id: int) -> None:
        """Forget an entry's phrasings."""
        self._cached.clear()
        for doc in self._docs.pop(entry_id, []):
            self._count(self._counts(doc), -1)
            self._entry[doc] = -1
            self._dead += 1
        if self._dead > 1000 and self._dead * 2 > len(self._tokens):
            self._compact()

    def _counts(self, doc: int) -> dict[str, float]:
        """A document's token counts, as :func:`commands.faq.text.tokens` gave them."""
        names, counts = self._tokens[doc]
        return dict(zip(names, counts, strict=True))

    def _count(self, counts: dict[str, float], step: int) -> None:
        for t in counts:
            self._df[t] += step
            if self._df[t] <= 0:
                del self._df[t]
            if t[0] == "w" and len(t) > 5:
                self._words[t[1:]] += step
                if self._words[t[1:]] <= 0:
                    del self._words[t[1:]]
                self._vocabulary = None

    def _compact(self) -> None:
        """Drop dead documents from the postings (renumbering the live ones)."""
        live = {e: [self._counts(d) for d in docs] for e, docs in self._docs.items()}
        self.__init__()  # type: ignore[misc]
        for entry_id, documents in live.items():
            self._put(entry_id, documents)

    def idf(self) -> Idf:
        """Inverse document frequencies as of now (for one question)."""
        return Idf(self._df, len(self))

    def query(self, text: str) -> dict[str, float]:
        """Tokens of ``text``, with a known word added for each unknown English word that looks
        like a typo of one (bokk → book)."""
        counts = tokens(text)
        unknown = [t[1:] for t in counts if t[0] == "w" and t not in self._df and len(t) > 5]
        if unknown and self._vocabulary is None:
            self._vocabulary = sorted(self._words)
        for word in unknown[:TYPOS_PER_QUESTION]:
            found = process.extractOne(
                word, self._vocabulary or [], scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if found:
                counts["w" + str(found[0])] += 1.0
        return counts

    def unseen(self, text: str) -> float:
        """The share of ``text``'s content (English words, Chinese bigrams) that no phrasing in
        the FAQ uses, 0..1: a question about something the FAQ never mentions is evidence
        against answering it, however close its other words come."""
        content = {t: c for t, c in tokens(text).items() if t[0] in CONTENT_KINDS}
        total = sum(content.values())
        if not total:
            return 0.0
        return sum(c for t, c in content.items() if t not in self._df) / total

    def candidates(self, query: dict[str, float], idf: Idf) -> list[int]:
        """Entries worth scoring exactly: those whose phrasings share the most selective tokens."""
        known = sorted((t for t in query if t in self._df), key=lambda t: -idf[t])
        walk = [t for t in known if self._df[t] <= SELECTIVE][:WALKED] or known[:2]
        partial: dict[int, float] = defaultdict(float)
        for t in walk:
            weight = query[t] * idf[t] ** 2
            for doc in self._postings[t]:
                if self._entry[doc] >= 0:
                    partial[doc] += weight
        top = sorted(partial, key=partial.__getitem__, reverse=True)[:CANDIDATE_DOCS]
        return list(dict.fromkeys(self._entry[doc] for doc in top))[:CANDIDATE_ENTRIES]

    def _vector(self, doc: int, idf: Idf) -> dict[str, float]:
        """A document's unit TF-IDF vector, from the cache when it is there."""
        vector = self._cached.get(doc)
        if vector is None:
            vector = weights(self._counts(doc), idf)
            self._cached[doc] = vector
            if len(self._cached) > CACHED_DOCUMENTS:
                self._cached.popitem(last=False)
        else:
            self._cached.move_to_end(doc)
        return vector

    def score(self, query: dict[str, float], entry_id: int, idf: Idf) -> float:
        """The entry's exact score: closest phrasing and centroid, mixed by ``CLOSEST``."""
        centroid: dict[str, float] = defaultdict(float)
        best = 0.0
        for doc in self._docs.get(entry_id, []):
            vector = self._vector(doc, idf)
            for t, w in vector.items():
                centroid[t] += w
            best = max(best, _dot(query, vector))
        norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        return CLOSEST * best + (1 - CLOSEST) * _dot(query, centroid) / norm
