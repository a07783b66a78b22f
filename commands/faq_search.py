"""FAQ search: an in-memory BM25 index over every phrasing of every entry, candidates re-scored
with TF-IDF cosine and rapidfuzz, and a confidence decision (answer, suggest or escalate).

Each phrasing (the question and every alternate) is its own document, and an entry scores as its
best phrasing, so a paraphrase that matches one alternate closely is not diluted by the others.
Only postings of selective tokens are walked to find candidates, which keeps search fast as the
FAQ grows; the full query is then used to re-score those few candidates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz import fuzz, process

from bot.config import Settings
from bot.memo import Memo
from commands.faq_text import fold, is_cjk, tokens
from storage import faq

K1 = 1.2
B = 0.75
CANDIDATES = 30
COMMON_SHARE = 0.05  # tokens in more documents than this share only re-score, never retrieve


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When to answer, suggest or escalate (scores are 0..1)."""

    answer: float = 0.55
    suggest: float = 0.35
    margin: float = 0.08


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry the search found, with its best-matching phrasing and score (0..1)."""

    id: int
    phrasing: str
    score: float


@dataclass(frozen=True, slots=True)
class Result:
    """The decision for a query and the ranked hits (at most three)."""

    decision: str  # answer | suggest | escalate
    hits: tuple[Hit, ...]


class FaqIndex:
    """An immutable index of phrasings; rebuilt (not patched) when the FAQ changes."""

    def __init__(self, entries: Iterable[tuple[int, Sequence[str]]]) -> None:
        self.doc_entry: list[int] = []
        self.doc_text: list[str] = []
        doc_tokens: list[Counter[str]] = []
        for entry_id, phrasings in entries:
            for phrasing in phrasings:
                counts = Counter(tokens(phrasing))
                if not counts:
                    continue
                self.doc_entry.append(entry_id)
                self.doc_text.append(fold(phrasing))
                doc_tokens.append(counts)
        n = max(len(doc_tokens), 1)
        df: Counter[str] = Counter()
        for counts in doc_tokens:
            df.update(counts.keys())
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.common = max(50, int(n * COMMON_SHARE))
        avg = sum(sum(c.values()) for c in doc_tokens) / n
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.vectors: list[dict[str, float]] = []
        for doc, counts in enumerate(doc_tokens):
            length = sum(counts.values())
            for t, tf in counts.items():
                weight = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg))
                self.postings[t].append((doc, self.idf[t] * weight))
            self.vectors.append(_unit({t: tf * self.idf[t] for t, tf in counts.items()}))
        self.vocabulary = sorted(t for t in df if not is_cjk(t[0]) and len(t) >= 4)
        self.df = df
        self.entry_docs: dict[int, list[int]] = defaultdict(list)
        for doc, entry_id in enumerate(self.doc_entry):
            self.entry_docs[entry_id].append(doc)

    def __len__(self) -> int:
        return len(self.doc_entry)

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of ``text`` with unknown English words replaced by a close known word (typos)."""
        out = []
        for t in tokens(text):
            if t in self.df or is_cjk(t[0]) or len(t) < 4 or t.isdigit():
                out.append(t)
                continue
            best = process.extractOne(t, self.vocabulary, scorer=fuzz.ratio, score_cutoff=80)
            out.append(str(best[0]) if best else t)
        return out

    def candidates(self, toks: Sequence[str]) -> dict[int, float]:
        """Best BM25 score per entry over its phrasings, for the top entries."""
        selective = [t for t in set(toks) if t in self.postings]
        rare = [t for t in selective if len(self.postings[t]) <= self.common]
        scores: dict[int, float] = defaultdict(float)
        for t in rare or selective:
            for doc, weight in self.postings[t]:
                scores[doc] += weight
        best: dict[int, float] = {}
        for doc, score in sorted(scores.items(), key=lambda kv: -kv[1])[: CANDIDATES * 4]:
            entry = self.doc_entry[doc]
            if score > best.get(entry, -1.0):
                best[entry] = score
        top = sorted(best.items(), key=lambda kv: -kv[1])[:CANDIDATES]
        return dict(top)

    def rank(self, text: str, limit: int = 3) -> list[Hit]:
        """Entries best matching ``text``, best first, each scored 0..1."""
        toks = self.query_tokens(text)
        if not toks:
            return []
        query = _unit({t: tf * self.idf.get(t, 0.0) for t, tf in Counter(toks).items()})
        folded = " ".join(toks)
        wanted = set(self.candidates(toks))
        best: dict[int, Hit] = {}
        for doc in (d for e in wanted for d in self.entry_docs[e]):
            entry = self.doc_entry[doc]
            cosine = sum(w * self.vectors[doc].get(t, 0.0) for t, w in query.items())
            fuzzy = fuzz.token_set_ratio(folded, " ".join(tokens(self.doc_text[doc]))) / 100
            score = 0.7 * cosine + 0.3 * fuzzy
            if entry not in best or score > best[entry].score:
                best[entry] = Hit(entry, self.doc_text[doc], round(score, 4))
        return sorted(best.values(), key=lambda h: -h.score)[:limit]


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
    return {t: w / norm for t, w in vector.items()}


def decide(hits: Sequence[Hit], limits: Thresholds) -> Result:
    """Answer when one entry clearly fits, suggest up to three close ones, else escalate."""
    if not hits or hits[0].score < limits.suggest:
        return Result("escalate", ())
    second = hits[1].score if len(hits) > 1 else 0.0
    if hits[0].score >= limits.answer and hits[0].score - second >= limits.margin:
        return Result("answer", tuple(hits[:1]))
    return Result("suggest", tuple(h for h in hits[:3] if h.score >= limits.suggest))


def thresholds(settings: Settings) -> Thresholds:
    """The decision thresholds configured in ``settings``."""
    return Thresholds(settings.faq_answer_score, settings.faq_suggest_score, settings.faq_margin)


def index_of(conn: sa.Connection, memo: Memo) -> FaqIndex:
    """The index of the FAQ as stored now: built once per FAQ version and process."""
    return memo.get("faq.index", faq.version(conn), lambda: FaqIndex(faq.phrasings(conn)))


def search(conn: sa.Connection, text: str, *, settings: Settings, memo: Memo) -> Result:
    """Look ``text`` up in the FAQ and decide whether to answer, suggest or escalate."""
    return decide(index_of(conn, memo).rank(text), thresholds(settings))
