"""Repository of what the FAQ learned from use: phrasings added by an asker's pick or an expert's
saved answer (for editors to review or undo), and matches an asker said were not helpful."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models_faq import FaqLearned, FaqRejection
from storage.types import table

_learned = table(FaqLearned)
_rejections = table(FaqRejection)

# "Not helpful" pressed twice, or by two people, for one question and entry is one rejection.
_REJECT = {
    "sqlite": sqlite.insert(_rejections).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(_rejections).on_conflict_do_nothing(),
}


@dataclass(frozen=True, slots=True)
class LearnedRow:
    """One learned phrasing."""

    id: int
    entry_id: int
    text: str
    source: str
    by_id: str
    learned_at: datetime
    undone_at: datetime | None


def _learned_row(r: sa.Row[tuple[object, ...]]) -> LearnedRow:
    m = r._mapping
    return LearnedRow(
        id=m["id"],
        entry_id=m["entry_id"],
        text=m["text"],
        source=m["source"],
        by_id=m["by_id"],
        learned_at=m["learned_at"],
        undone_at=m["undone_at"],
    )


def note_learned(
    conn: sa.Connection,
    *,
    ws: str,
    entry_id: int,
    text: str,
    source: str,
    by_id: str,
    now: datetime,
) -> None:
    """Record that ``text`` was added to ``entry_id`` by use (``source`` pick or expert)."""
    conn.execute(
        _learned.insert().values(
            ws=ws, entry_id=entry_id, text=text[:1000], source=source, by_id=by_id, learned_at=now
        )
    )


def recent(conn: sa.Connection, *, ws: str, limit: int) -> list[LearnedRow]:
    """The latest learned phrasings still in place, newest first."""
    query = (
        sa.select(_learned)
        .where(_learned.c.ws == ws, _learned.c.undone_at.is_(None))
        .order_by(_learned.c.id.desc())
        .limit(limit)
    )
    return [_learned_row(r) for r in conn.execute(query)]


def get_learned(conn: sa.Connection, *, learned_id: int) -> LearnedRow | None:
    """One learned phrasing by id."""
    row = conn.execute(sa.select(_learned).where(_learned.c.id == learned_id)).first()
    return _learned_row(row) if row else None


def mark_undone(conn: sa.Connection, *, learned_id: int, now: datetime) -> bool:
    """Mark a learned phrasing as taken back; False when it already was."""
    query = (
        _learned.update()
        .where(_learned.c.id == learned_id, _learned.c.undone_at.is_(None))
        .values(undone_at=now)
    )
    return conn.execute(query).rowcount > 0


def reject(
    conn: sa.Connection, *, digest: str, entry_ids: Sequence[int], by_id: str, now: datetime
) -> None:
    """Remember that the question with ``digest`` is not answered by ``entry_ids``."""
    rows = [
        {"digest": digest, "entry_id": e, "by_id": by_id, "rejected_at": now} for e in entry_ids
    ]
    if rows:
        conn.execute(_REJECT[conn.dialect.name], rows)


def rejected(conn: sa.Connection, *, digest: str) -> frozenset[int]:
    """The entries a question with ``digest`` must not be matched to again."""
    query = sa.select(_rejections.c.entry_id).where(_rejections.c.digest == digest)
    return frozenset(conn.execute(query).scalars())


def unreject(conn: sa.Connection, *, digest: str, entry_id: int) -> None:
    """An expert answered the question with ``entry_id`` after all: it may be offered again."""
    conn.execute(
        _rejections.delete().where(
            _rejections.c.digest == digest, _rejections.c.entry_id == entry_id
        )
    )
