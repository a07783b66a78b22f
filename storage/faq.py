"""Repository of FAQ entries, editors, experts and watched channels (SQLAlchemy Core).

Every write to an entry bumps ``faq_state.version`` in the same transaction and stamps the entry
(or, for a deletion, its tombstone) with the new version, so a search index built from the table
knows with one primary-key read whether it is stale, and catches up by reading only what changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.models_faq import (
    FaqEditor,
    FaqEntry,
    FaqExpert,
    FaqState,
    FaqTombstone,
    FaqWatch,
)
from storage.types import table

_e = table(FaqEntry)
_tombstones = table(FaqTombstone)
_state = table(FaqState)
_editors = table(FaqEditor)
_experts = table(FaqExpert)
_watch = table(FaqWatch)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry before it is stored (from a command or an import row)."""

    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lang: str = ""


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A stored entry."""

    id: int
    question: str
    alternates: tuple[str, ...]
    answer: str
    tags: tuple[str, ...]
    lang: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    views: int
    helpful: int
    not_helpful: int

    @property
    def topic(self) -> str:
        """The entry's first tag: the topic whose experts answer follow-ups."""
        return self.tags[0] if self.tags else ""


def _tags_text(tags: Sequence[str]) -> str:
    return " " + " ".join(tags) + " " if tags else " "


def _row(r: sa.Row[tuple[object, ...]]) -> EntryRow:
    m = r._mapping
    return EntryRow(
        id=m["id"],
        question=m["question"],
        alternates=tuple(json.loads(m["alternates"])),
        answer=m["answer"],
        tags=tuple(m["tags"].split()),
        lang=m["lang"],
        owner_id=m["owner_id"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        views=m["views"],
        helpful=m["helpful"],
        not_helpful=m["not_helpful"],
    )


@dataclass(frozen=True, slots=True)
class Document:
    """What a search index needs of one entry: its phrasings (question first) and its answer."""

    id: int
    phrasings: tuple[str, ...]
    answer: str


def bump(conn: sa.Connection) -> int:
    """Mark the FAQ as changed and return the new version (the UPDATE also takes the row's lock,
    so two writers stamp different versions)."""
    done = conn.execute(
        _state.update().where(_state.c.id == 1).values(version=_state.c.version + 1)
    )
    if done.rowcount == 0:
        conn.execute(_state.insert().values(id=1, version=1))
    return version(conn)


def version(conn: sa.Connection) -> int:
    """The FAQ's change counter."""
    return int(conn.execute(sa.select(_state.c.version).where(_state.c.id == 1)).scalar() or 0)


def add_many(
    conn: sa.Connection, *, entries: Sequence[NewEntry], owner_id: str, now: datetime
) -> list[int]:
    """Store entries (in the caller's transaction) and return their ids in order."""
    ids = []
    revision = bump(conn)
    for entry in entries:
        result = conn.execute(
            _e.insert().values(
                question=entry.question,
                alternates=json.dumps(list(entry.alternates), ensure_ascii=False),
                answer=entry.answer,
                tags=_tags_text(entry.tags),
                lang=entry.lang,
                owner_id=owner_id,
                created_at=now,
                updated_at=now,
                verified_at=now,
                revision=revision,
            )
        )
        assert result.inserted_primary_key is not None
        ids.append(int(result.inserted_primary_key[0]))
    return ids


def get(conn: sa.Connection, *, entry_id: int) -> EntryRow | None:
    """One entry by id."""
    row = conn.execute(sa.select(_e).where(_e.c.id == entry_id)).first()
    return _row(row) if row else None


def get_many(conn: sa.Connection, *, ids: Sequence[int]) -> dict[int, EntryRow]:
    """Entries by id (missing ids are left out)."""
    if not ids:
        return {}
    rows = conn.execute(sa.select(_e).where(_e.c.id.in_(list(ids))))
    return {r.id: _row(r) for r in rows}


def update(
    conn: sa.Connection,
    *,
    entry_id: int,
    now: datetime,
    question: str | None = None,
    answer: str | None = None,
    alternates: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    lang: str | None = None,
) -> bool:
    """Change an entry's wording (and, from an import, its tags and language); True when it
    exists."""
    values: dict[str, object] = {"updated_at": now, "verified_at": now}
    if question is not None:
        values["question"] = question
    if answer is not None:
        values["answer"] = answer
    if alternates is not None:
        values["alternates"] = json.dumps(list(alternates), ensure_ascii=False)
    if tags is not None:
        values["tags"] = _tags_text(tags)
    if lang is not None:
        values["lang"] = lang
    if conn.execute(sa.select(_e.c.id).where(_e.c.id == entry_id)).first() is None:
        return False
    values["revision"] = bump(conn)
    conn.execute(_e.update().where(_e.c.id == entry_id).values(**values))
    return True


def remove(conn: sa.Connection, *, entry_id: int) -> bool:
    """Delete an entry, leaving a tombstone for indexes to catch up on; True when it existed."""
    if conn.execute(_e.delete().where(_e.c.id == entry_id)).rowcount == 0:
        return False
    revision = bump(conn)
    conn.execute(_tombstones.delete().where(_tombstones.c.entry_id == entry_id))
    conn.execute(_tombstones.insert().values(entry_id=entry_id, revision=revision))
    return True


def count_feedback(conn: sa.Connection, *, entry_id: int, column: str) -> None:
    """Add one to ``views``, ``helpful`` or ``not_helpful`` (not a content change: no bump)."""
    col = _e.c[column]
    conn.execute(_e.update().where(_e.c.id == entry_id).values({col: col + 1}))


def listing(conn: sa.Connection, *, tag: str | None = None, limit: int = 50) -> list[EntryRow]:
    """Entries, newest first, optionally only those tagged ``tag``."""
    query = sa.select(_e).order_by(_e.c.id.desc()).limit(limit)
    if tag:
        query = query.where(_e.c.tags.like(f"% {tag} %"))
    return [_row(r) for r in conn.execute(query)]


def every(conn: sa.Connection) -> Iterator[EntryRow]:
    """All entries in id order (export, index building)."""
    for r in conn.execute(sa.select(_e).order_by(_e.c.id)):
        yield _row(r)


def phrasings(conn: sa.Connection) -> Iterator[tuple[int, list[str]]]:
    """Each entry's id with its question and alternates: what a search index is built from."""
    query = sa.select(_e.c.id, _e.c.question, _e.c.alternates).order_by(_e.c.id)
    for entry_id, question, alternates in conn.execute(query):
        yield entry_id, [question, *json.loads(alternates)]


def documents(conn: sa.Connection, *, since: int = 0) -> Iterator[Document]:
    """Entries written after FAQ version ``since`` (all of them for 0), in id order."""
    query = (
        sa.select(_e.c.id, _e.c.question, _e.c.alternates, _e.c.answer)
        .where(_e.c.revision > since)
        .order_by(_e.c.id)
    )
    for entry_id, question, alternates, answer in conn.execute(query):
        yield Document(entry_id, (question, *json.loads(alternates)), answer)


def removed(conn: sa.Connection, *, since: int) -> list[int]:
    """Entries deleted after FAQ version ``since``."""
    query = sa.select(_tombstones.c.entry_id).where(_tombstones.c.revision > since)
    return list(conn.execute(query).scalars())


def add_editor(conn: sa.Connection, *, ws: str, user_id: str) -> bool:
    """Allow ``user_id`` to edit the FAQ; False when already allowed."""
    if is_editor(conn, ws=ws, user_id=user_id):
        return False
    conn.execute(_editors.insert().values(ws=ws, user_id=user_id))
    return True


def is_editor(conn: sa.Connection, *, ws: str, user_id: str) -> bool:
    """True when ``user_id`` may edit the FAQ."""
    query = sa.select(_editors.c.user_id).where(_editors.c.ws == ws, _editors.c.user_id == user_id)
    return conn.execute(query).first() is not None


def set_experts(conn: sa.Connection, *, ws: str, scope: str, user_ids: Sequence[str]) -> None:
    """Replace the experts of a topic (``#tag``), a channel, or the backups (``backup``)."""
    conn.execute(_experts.delete().where(_experts.c.ws == ws, _experts.c.scope == scope))
    for uid in dict.fromkeys(user_ids):
        conn.execute(_experts.insert().values(ws=ws, scope=scope, user_id=uid))


def experts(conn: sa.Connection, *, ws: str, scope: str) -> list[str]:
    """The experts of one scope, in a stable order."""
    query = (
        sa.select(_experts.c.user_id)
        .where(_experts.c.ws == ws, _experts.c.scope == scope)
        .order_by(_experts.c.user_id)
    )
    return list(conn.execute(query).scalars())


def set_watch(conn: sa.Connection, *, channel: str, on: bool, by: str) -> None:
    """Start or stop answering every question asked in ``channel``."""
    conn.execute(_watch.delete().where(_watch.c.channel == channel))
    if on:
        conn.execute(_watch.insert().values(channel=channel, added_by=by))


def is_watched(conn: sa.Connection, *, channel: str) -> bool:
    """True when questions in ``channel`` are answered without being addressed to Baton."""
    query = sa.select(_watch.c.channel).where(_watch.c.channel == channel)
    return conn.execute(query).first() is not None


def editors(conn: sa.Connection, *, ws: str) -> list[str]:
    """Everyone allowed to edit the FAQ besides the admins."""
    query = sa.select(_editors.c.user_id).where(_editors.c.ws == ws).order_by(_editors.c.user_id)
    return list(conn.execute(query).scalars())
