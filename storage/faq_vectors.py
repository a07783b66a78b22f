"""Repository of stored sentence vectors: each text's float32 vector under one model, keyed by
the SHA-256 of the text, so a restart reads them back and an edit encodes only the new texts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models_faq import FaqVector
from storage.types import table

_v = table(FaqVector)
_CHUNK = 500  # digests per IN (...) list: far below every database's parameter limit

# Two processes may encode the same text at once; the second insert is a no-op.
_SAVE = {
    "sqlite": sqlite.insert(_v).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(_v).on_conflict_do_nothing(),
}


def digest(text: str) -> str:
    """The key a text's vector is stored under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(conn: sa.Connection, *, model: str, digests: Iterable[str]) -> dict[str, bytes]:
    """The stored vectors of ``digests`` under ``model`` (missing ones are left out)."""
    wanted = list(dict.fromkeys(digests))
    found: dict[str, bytes] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = sa.select(_v.c.digest, _v.c.vector).where(
            _v.c.model == model, _v.c.digest.in_(chunk)
        )
        found.update((d, bytes(v)) for d, v in conn.execute(query))
    return found


def save(conn: sa.Connection, *, model: str, vectors: Mapping[str, bytes]) -> None:
    """Store vectors by digest (ones already stored are kept)."""
    rows = [{"model": model, "digest": d, "vector": v} for d, v in vectors.items()]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(_SAVE[conn.dialect.name], rows[start : start + _CHUNK])


def count(conn: sa.Connection, *, model: str) -> int:
    """How many vectors are stored under ``model``."""
    query = sa.select(sa.func.count()).select_from(_v).where(_v.c.model == model)
    return int(conn.execute(query).scalar() or 0)
