"""FAQ search: candidates from an inverted index, exact scores for the few candidates, then the
answer / suggest / escalate decision of :mod:`commands.faq.decide`.

Every phrasing of an entry (its question and each alternate) is a document. A question is
scored against an entry as ``ALPHA`` × its cosine with the entry's closest phrasing plus the rest
× its cosine with the entry's centroid (the sum of all its phrasings), so one close alternate
counts, and so does a question that shares words with several of them. Weights are TF-IDF over
the tokens of :mod:`commands.faq.text`.

To stay fast as the FAQ grows, only the postings of selective tokens are walked to find
candidates; the few candidate entries are then scored exactly by re-tokenising their phrasings,
so the index keeps no per-document vectors (memory stays proportional to the postings).
"""

from __future__ import annotations

import logging
import math
import random
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from rapidfuzz import fuzz, process

from bot.config import Settings
from bot.memo import Memo
from commands.faq.decide import Hit, Result, decide, thresholds
from commands.faq.semantic import Encoder, SemanticIndex, SemanticUnavailable
from commands.faq.text import cjk_share, fold, tokens
from storage import faq

log = logging.getLogger(__name__)

ALPHA = 0.3  # weight of the closest phrasing against the entry's centroid
CANDIDATE_DOCS = 300  # documents kept from the postings walk
CANDIDATE_ENTRIES = 30  # entries scored exactly
SELECTIVE_SHARE = 0.01  # tokens in more documents than this share do not find candidates...
SELECTIVE_MIN = 500  # ...unless they are in fewer than this many
TYPO_CUTOFF = 80  # rapidfuzz ratio above which an unknown English word is read as a known one
TYPOS_PER_QUESTION = 3
SEMANTIC_WEIGHT = 0.85  # share of the semantic score for an English question (none for Chinese)
LEXICAL_SCALE = 1.5  # brings word-overlap scores to the semantic scores' range when they mix
CALIBRATION_SAMPLE = 200  # phrasings scored against the other entries at every rebuild


def _weights(counts: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    """Unit TF-IDF vector (sublinear term frequency). Tokens the FAQ never uses weigh nothing:
    counting them (as the rarest tokens) measured worse on both development sets."""
    vector = {t: (1 + math.log(c) if c >= 1 else c) * idf.get(t, 0.0) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {t: w / norm for t, w in vector.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


class FaqIndex:
    """An immutable index of every phrasing; rebuilt (not patched) when the FAQ changes."""

    def __init__(
        self, entries: Iterable[tuple[int, Sequence[str]]], encoder: Encoder | None = None
    ) -> None:
        self.doc_entry = array("q")
        self.doc_text: list[str] = []
        self.entry_docs: dict[int, list[int]] = defaultdict(list)
        df: Counter[str] = Counter()
        postings: dict[str, tuple[array[int], array[float]]] = {}
        for entry_id, phrasings in entries:
            for phrasing in phrasings:
                counts = tokens(phrasing)
                if not counts:
                    continue
                doc = len(self.doc_text)
                self.doc_entry.append(entry_id)
                self.doc_text.append(phrasing)
                self.entry_docs[entry_id].append(doc)
                df.update(counts.keys())
                for t, c in counts.items():
                    docs, tfs = postings.setdefault(t, (array("q"), array("f")))
                    docs.append(doc)
                    tfs.append(c)
        n = len(self.doc_text)
        self.idf = {t: math.log((n + 1) / (f + 0.5)) for t, f in df.items()}
        self.postings = postings
        self.selective = max(SELECTIVE_MIN, int(n * SELECTIVE_SHARE))
        self._normalise_postings(n)
        self.vocabulary = sorted(t[1:] for t in df if t[0] == "w" and len(t) > 4)
        self.semantic = (
            SemanticIndex(encoder, self.doc_entry, self.doc_text)
            if encoder is not None and self.doc_text
            else None
        )
        self.calibration = self._wrong_entry_scores()

    def _normalise_postings(self, n: int) -> None:
        """Turn each posting's term count into the document's unit TF-IDF weight, so walking a
        posting list is one multiply-add per document."""
        squares = array("d", [0.0]) * n
        for t, (docs, tfs) in self.postings.items():
            idf = self.idf[t]
            for i, (doc, tf) in enumerate(zip(docs, tfs, strict=True)):
                tfs[i] = (1 + math.log(tf) if tf >= 1 else tf) * idf
                squares[doc] += tfs[i] ** 2
        norms = [math.sqrt(x) or 1.0 for x in squares]
        for docs, weights in self.postings.values():
            for i, doc in enumerate(docs):
                weights[i] /= norms[doc]

    def _wrong_entry_scores(self) -> tuple[float, ...]:
        """How well stored phrasings score on the best entry they do *not* belong to, for a
        fixed sample of phrasings, sorted. Questions that no entry answers score like this, so
        the decision threshold is read off this FAQ's own scores (see
        :mod:`commands.faq.decide`)."""
        docs = list(range(len(self.doc_text)))
        random.Random(len(docs)).shuffle(docs)
        scores = []
        for doc in docs[:CALIBRATION_SAMPLE]:
            own = self.doc_entry[doc]
            others = [h.score for h in self.rank(self.doc_text[doc], limit=2) if h.id != own]
            scores.append(others[0] if others else 0.0)
        return tuple(sorted(scores))

    def __len__(self) -> int:
        return len(self.doc_text)

    def _query(self, text: str) -> dict[str, float]:
        """Tokens of ``text``, with a known word added for each unknown English word that looks
        like a typo of one (bokk → book)."""
        counts = tokens(text)
        unknown = [t[1:] for t in counts if t[0] == "w" and t not in self.idf and len(t) > 4]
        for word in unknown[:TYPOS_PER_QUESTION]:
            found = process.extractOne(
                word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
            )
            if found:
                counts["w" + str(found[0])] += 1.0
        return counts

    def _candidates(self, query: dict[str, float]) -> list[int]:
        """Entries worth scoring exactly: those whose phrasings share the most selective tokens."""
        known = sorted((t for t in query if t in self.postings), key=lambda t: -self.idf[t])
        walk = [t for t in known if len(self.postings[t][0]) <= self.selective] or known[:2]
        partial: dict[int, float] = defaultdict(float)
        for t in walk:
            weight = query[t]
            docs, weights = self.postings[t]
            for doc, w in zip(docs, weights, strict=True):
                partial[doc] += weight * w
        top = sorted(partial, key=partial.__getitem__, reverse=True)[:CANDIDATE_DOCS]
        return list(dict.fromkeys(self.doc_entry[doc] for doc in top))[:CANDIDATE_ENTRIES]

    def _score(self, query: dict[str, float], entry_id: int) -> Hit:
        """The entry's exact score: closest phrasing and centroid, mixed by ``ALPHA``."""
        centroid: dict[str, float] = defaultdict(float)
        best_doc, best = -1, -1.0
        for doc in self.entry_docs[entry_id]:
            vector = _weights(tokens(self.doc_text[doc]), self.idf)
            for t, w in vector.items():
                centroid[t] += w
            cosine = _dot(query, vector)
            if cosine > best:
                best_doc, best = doc, cosine
        norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        score = ALPHA * best + (1 - ALPHA) * _dot(query, centroid) / norm
        return Hit(entry_id, self.doc_text[best_doc], round(score, 4))

    def rank(self, text: str, limit: int = 3) -> list[Hit]:
        """Entries best matching ``text``, best first, each scored 0..1."""
        if not self.doc_text:
            return []
        counts = self._query(text)
        query = _weights(counts, self.idf) if counts else {}
        lexical = self._candidates(query) if query else []
        if self.semantic is None:
            hits = [self._score(query, entry) for entry in lexical]
        else:
            hits = self._blend(text, query, lexical, self.semantic)
        return sorted(hits, key=lambda h: (-h.score, h.id))[:limit]

    def _blend(
        self, text: str, query: dict[str, float], lexical: list[int], semantic: SemanticIndex
    ) -> list[Hit]:
        """Word-overlap and semantic scores mixed by how English ``text`` is."""
        weight = SEMANTIC_WEIGHT * (1 - cjk_share(text))
        meaning = semantic.scores(text, also=lexical)
        hits = []
        for entry in dict.fromkeys([*lexical, *meaning]):
            words = self._score(query, entry)
            score = weight * meaning[entry] + (1 - weight) * LEXICAL_SCALE * words.score
            hits.append(Hit(entry, words.phrasing, round(min(score, 1.0), 4)))
        return hits


def _encoder(settings: Settings, memo: Memo) -> Encoder | None:
    """The embedding model when semantic scoring is on and installed; otherwise word overlap
    alone, with the reason logged once rather than every question failing."""
    if not settings.faq_semantic:
        return None
    return memo.get("faq.encoder", True, _load_encoder)


def _load_encoder() -> Encoder | None:
    try:
        return Encoder()
    except SemanticUnavailable as exc:
        log.error("%s; answering from word overlap only", exc)
        return None


def index_of(conn: sa.Connection, memo: Memo, settings: Settings) -> FaqIndex:
    """The index of the FAQ as stored now: built once per FAQ version and process."""
    encoder = _encoder(settings, memo)
    return memo.get(
        "faq.index",
        (faq.version(conn), encoder is not None),
        lambda: FaqIndex(faq.phrasings(conn), encoder),
    )


def search(conn: sa.Connection, text: str, *, settings: Settings, memo: Memo) -> Result:
    """Look ``text`` up in the FAQ and decide whether to answer, suggest or escalate."""
    index = index_of(conn, memo, settings)
    limits = thresholds(settings, index.calibration, semantic=index.semantic is not None)
    return decide(index.rank(fold(text)), limits)


def lookup(conn: sa.Connection, text: str, *, settings: Settings, memo: Memo) -> dict[str, object]:
    """One question searched as in chat, as ``{"query", "decision", "hits": [{"id", "question",
    "score"}]}``: the hits shown to the asker (none when escalating)."""
    result = search(conn, text, settings=settings, memo=memo)
    entries = faq.get_many(conn, ids=[h.id for h in result.hits])
    hits = [
        {"id": h.id, "question": entries[h.id].question, "score": h.score}
        for h in result.hits
        if h.id in entries
    ]
    return {"query": text, "decision": result.decision, "hits": hits}
