"""Ad-hoc reminders and digest subscriptions (keyword-only repository functions, Core statements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.models_reminders import AdhocReminder, DigestSubscription
from storage.types import table

_adhoc = table(AdhocReminder)
_digests = table(DigestSubscription)


@dataclass(frozen=True, slots=True)
class Adhoc:
    """One ad-hoc reminder as stored."""

    id: int
    ws: str
    creator_id: str
    user_id: str
    target: str
    text: str
    next_at: datetime
    every: str | None
    at_time: str | None
    tz: str
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest subscription."""

    id: int
    ws: str
    kind: str
    owner: str
    weekday: int | None
    at_time: str


_ADHOC_COLS = (
    _adhoc.c.id,
    _adhoc.c.ws,
    _adhoc.c.creator_id,
    _adhoc.c.user_id,
    _adhoc.c.target,
    _adhoc.c.text,
    _adhoc.c.next_at,
    _adhoc.c.every,
    _adhoc.c.at_time,
    _adhoc.c.tz,
    _adhoc.c.locale,
)


def add(conn: sa.Connection, *, reminder: Adhoc, now: datetime) -> int:
    """Store a new reminder (``reminder.id`` is ignored); returns its id."""
    values = {c.name: getattr(reminder, c.name) for c in _ADHOC_COLS if c.name != "id"}
    result = conn.execute(_adhoc.insert().values(created_at=now, **values))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def active_for(conn: sa.Connection, *, ws: str, user_id: str) -> list[Adhoc]:
    """Reminders not yet finished that ``user_id`` set or receives, soonest first."""
    rows = conn.execute(
        sa.select(*_ADHOC_COLS)
        .where(_adhoc.c.ws == ws, _adhoc.c.finished_at.is_(None))
        .where(sa.or_(_adhoc.c.creator_id == user_id, _adhoc.c.user_id == user_id))
        .order_by(_adhoc.c.next_at)
        .limit(50)
    ).all()
    return [Adhoc(*tuple(row)) for row in rows]


def cancel(conn: sa.Connection, *, ws: str, reminder_id: int, by: str, now: datetime) -> bool:
    """Finish a reminder its creator or recipient no longer wants; False when not theirs/active."""
    result = conn.execute(
        _adhoc.update()
        .where(_adhoc.c.id == reminder_id, _adhoc.c.ws == ws, _adhoc.c.finished_at.is_(None))
        .where(sa.or_(_adhoc.c.creator_id == by, _adhoc.c.user_id == by))
        .values(finished_at=now)
    )
    return result.rowcount == 1


def due(conn: sa.Connection, *, now: datetime, limit: int = 1000) -> list[Adhoc]:
    """Active reminders whose moment has come."""
    rows = conn.execute(
        sa.select(*_ADHOC_COLS)
        .where(_adhoc.c.finished_at.is_(None), _adhoc.c.next_at <= now)
        .order_by(_adhoc.c.next_at)
        .limit(limit)
    ).all()
    return [Adhoc(*tuple(row)) for row in rows]


def advance(
    conn: sa.Connection, *, reminder_id: int, was: datetime, to: datetime | None, now: datetime
) -> bool:
    """Move a fired reminder to its next moment (``to``) or finish it (``to=None``), only if
    nobody did it first (conditional on ``was``)."""
    values: dict[str, object] = {"next_at": to} if to is not None else {"finished_at": now}
    result = conn.execute(
        _adhoc.update()
        .where(_adhoc.c.id == reminder_id, _adhoc.c.next_at == was)
        .where(_adhoc.c.finished_at.is_(None))
        .values(**values)
    )
    return result.rowcount == 1


def subscribe(
    conn: sa.Connection,
    *,
    ws: str,
    kind: str,
    owner: str,
    at_time: str | None,
    weekday: int | None,
    now: datetime,
) -> None:
    """Turn a digest on (``at_time`` given) or off (None)."""
    where = (_digests.c.kind == kind, _digests.c.ws == ws, _digests.c.owner == owner)
    values: dict[str, object] = {"enabled": at_time is not None}
    if at_time is not None:
        values.update(at_time=at_time, weekday=weekday)
    if conn.execute(_digests.update().where(*where).values(**values)).rowcount == 0 and at_time:
        conn.execute(
            _digests.insert().values(
                ws=ws, kind=kind, owner=owner, weekday=weekday, at_time=at_time,
                enabled=True, created_at=now,
            )
        )  # fmt: skip


def digests(conn: sa.Connection) -> list[Digest]:
    """Every enabled digest."""
    d = _digests.c
    rows = conn.execute(
        sa.select(d.id, d.ws, d.kind, d.owner, d.weekday, d.at_time).where(d.enabled.is_(True))
    ).all()
    return [Digest(*tuple(row)) for row in rows]
