"""FAQ search: a hybrid of meaning (:mod:`commands.faq.semantic`) and word overlap
(:mod:`commands.faq.lexical`), then the answer / suggest / escalate decision of
:mod:`commands.faq.decide`.

Each catches what the other misses: the encoder finds paraphrases with no shared word and Chinese
questions about English entries; word overlap finds short keywords, product codes and typos.
Their scores are mixed with ``SEMANTIC_WEIGHT`` (measured on the development sets).

One index lives per process (in the App's ``Memo``) and follows the FAQ incrementally: each lookup
reads the FAQ's version; when it moved, only the entries written or deleted since are read and
patched in. Phrasing vectors come from the database (:mod:`storage.faq_vectors`); only texts
without one are encoded, and their vectors are stored through the caller's transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import sqlalchemy as sa

from bot.config import Settings
from bot.memo import Memo
from commands.faq.decide import Hit, Result, decide, thresholds
from commands.faq.lexical import Idf, LexicalIndex, weights
from commands.faq.semantic import DIM, Encoder, Fetch, SemanticIndex, Vectors, load_encoder
from commands.faq.text import fold, has_content, question_key
from storage import faq, faq_learning, faq_vectors
from storage.faq import Document

SEMANTIC_WEIGHT = 0.8  # share of the semantic score in the hybrid, against word overlap
RANKED = 10  # entries ranked per question (before rejected matches are taken out)
LEXICAL_CANDIDATES = 5  # entries word overlap brings to the semantic shortlist
BLENDED = 6  # semantically closest entries whose word overlap is scored too


class FaqIndex:
    """Every entry's phrasings, indexed for word overlap and (with an encoder) for meaning."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder
        self.lexical = LexicalIndex()
        self.semantic = SemanticIndex() if encoder is not None else None
        self.version = 0
        self.encoded = 0  # texts this index had to encode (the rest came from the database)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.lexical)

    def catch_up(self, conn: sa.Connection) -> None:
        """Patch in what changed since the version this index has seen. The FAQ is read through a
        connection of its own, so a caller's uncommitted (perhaps rolled back) write never reaches
        the index; new vectors are stored through ``conn``."""
        with conn.engine.connect() as reader:
            current = faq.version(reader)
            if current == self.version:
                return
            with self._lock:
                if current == self.version:
                    return
                for entry_id in faq.removed(reader, since=self.version):
                    self.forget(entry_id)
                self.add(conn, faq.documents(reader, since=self.version))
                self.version = current

    def add(self, conn: sa.Connection, documents: Iterable[Document]) -> None:
        """Index (or re-index) ``documents``; their vectors are read and stored through
        ``conn``."""
        batch: list[Document] = []
        for document in documents:
            batch.append(document)
            if len(batch) == 1000:
                self._add_batch(conn, batch)
                batch = []
        self._add_batch(conn, batch)

    def forget(self, entry_id: int) -> None:
        """Drop a deleted entry."""
        self.lexical.remove(entry_id)
        if self.semantic is not None:
            self.semantic.remove(entry_id)

    def _add_batch(self, conn: sa.Connection, batch: list[Document]) -> None:
        for document in batch:
            self.lexical.put(document.id, document.phrasings)
        if self.semantic is None or not batch:
            return
        texts = [t for d in batch for t in (*d.phrasings, d.answer) if has_content(t)]
        vectors = self._vectors(conn, texts)
        for document in batch:
            kept = [t for t in document.phrasings if t in vectors]
            digests = tuple(faq_vectors.digest(t) for t in kept)
            rows = np.stack([vectors[t] for t in kept]) if kept else np.zeros((0, DIM), np.float32)
            self.semantic.put(document.id, digests, rows, vectors.get(document.answer))

    def _vectors(self, conn: sa.Connection, texts: list[str]) -> dict[str, Vectors]:
        """The vector of every text: stored ones read back, the rest encoded (and stored)."""
        assert self.encoder is not None
        model = self.encoder.name
        digests = {t: faq_vectors.digest(t) for t in dict.fromkeys(texts)}
        stored = faq_vectors.load(conn, model=model, digests=digests.values())
        found = {
            t: np.frombuffer(stored[d], dtype=np.float32)
            for t, d in digests.items()
            if d in stored
        }
        missing = [t for t in digests if t not in found]
        if missing:
            encoded = self.encoder.encode(missing)
            self.encoded += len(missing)
            found.update(zip(missing, encoded, strict=True))
            new = {digests[t]: found[t].astype(np.float32).tobytes() for t in missing}
            faq_vectors.save(conn, model=model, vectors=new)
        return found

    def _stored(self, conn: sa.Connection) -> Fetch:
        """Reads phrasing vectors back from the database, by digest."""
        assert self.encoder is not None
        model = self.encoder.name

        def fetch(digests: Sequence[str]) -> dict[str, Vectors]:
            stored = faq_vectors.load(conn, model=model, digests=digests)
            return {d: np.frombuffer(v, dtype=np.float32) for d, v in stored.items()}

        return fetch

    def rank(self, conn: sa.Connection, text: str, limit: int = RANKED) -> tuple[list[Hit], float]:
        """Entries best matching ``text``, best first, each scored 0..1, and the share of the
        question's words the FAQ never uses."""
        counts = self.lexical.query(text)
        idf = self.lexical.idf()
        query = weights(counts, idf) if counts else {}
        lexical = self.lexical.candidates(query, idf)[:LEXICAL_CANDIDATES] if query else []
        if self.semantic is None or self.encoder is None:
            scores = {e: self.lexical.score(query, e, idf) for e in lexical}
        else:
            with self.encoder.one_thread():
                vector = self.encoder.encode([text])[0]
                meaning = self.semantic.scores(vector, self._stored(conn), also=lexical)
            scores = self._blend(meaning, query, idf, lexical)
        hits = sorted((Hit(e, round(min(s, 1.0), 4)) for e, s in scores.items()), key=_order)
        return hits[:limit], self.lexical.unseen(text)

    def _blend(
        self, meaning: dict[int, float], query: dict[str, float], idf: Idf, lexical: list[int]
    ) -> dict[int, float]:
        """Semantic and word-overlap scores mixed by ``SEMANTIC_WEIGHT``. Word overlap is scored
        only for the entries that can still come out on top (it costs far more per entry)."""
        closest = sorted(meaning, key=meaning.__getitem__, reverse=True)[:BLENDED]
        words = {e: self.lexical.score(query, e, idf) for e in dict.fromkeys([*closest, *lexical])}
        return {
            e: SEMANTIC_WEIGHT * m + (1 - SEMANTIC_WEIGHT) * words.get(e, 0.0)
            for e, m in meaning.items()
        }


def _order(hit: Hit) -> tuple[float, int]:
    return (-hit.score, hit.id)


def index_of(conn: sa.Connection, memo: Memo, settings: Settings) -> FaqIndex:
    """This process's index of the FAQ, caught up with the database."""
    encoder = memo.get("faq.encoder", settings.faq_semantic, _encoder(settings))
    index = memo.get("faq.index", encoder is not None, lambda: FaqIndex(encoder))
    index.catch_up(conn)
    return index


def _encoder(settings: Settings) -> Callable[[], Encoder | None]:
    return load_encoder if settings.faq_semantic else lambda: None


def search(conn: sa.Connection, text: str, *, settings: Settings, memo: Memo) -> Result:
    """Look ``text`` up in the FAQ and decide whether to answer, suggest or escalate. Entries an
    asker said did not help with this question are never offered for it again."""
    folded = fold(text)
    if not has_content(folded):
        return Result("empty", ())
    index = index_of(conn, memo, settings)
    hits, unseen = index.rank(conn, folded)
    rejected = faq_learning.rejected(conn, digest=question_digest(text))
    kept = [h for h in hits if h.id not in rejected]
    return decide(kept, thresholds(settings, semantic=index.semantic is not None), unseen=unseen)


def question_digest(text: str) -> str:
    """What "Not helpful" is remembered by: the question's folded form (spelling, case and
    punctuation aside)."""
    return faq_vectors.digest(question_key(text) or fold(text))


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
