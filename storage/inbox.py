"""The inbox table: platform events stored before they are acknowledged, then run exactly once.

A row is ``pending`` from the moment it is stored until the transaction that ran it marks it
``done`` (or ``failed``: it could not be read, so running it again cannot help). A pending row is
held by the process named in ``owner`` until ``lease_until``; a row whose lease ran out, or whose
owner is known to be gone, is claimed by another worker. Marking a row done is conditional on still
holding it, so two processes can never both commit the same event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import InboxEvent
from storage.prepared import Prepared
from storage.types import table

_inbox = table(InboxEvent)
_i = _inbox.c


def _unless_known(columns: tuple[str, ...]) -> dict[str, sa.Insert]:
    """``INSERT (columns) .. ON CONFLICT (event_key) DO NOTHING``, per dialect: a redelivered
    event is never stored twice, even by two processes racing on it."""
    return {
        name: dialect.insert(_inbox)
        .values({c: sa.bindparam(c) for c in columns})
        .on_conflict_do_nothing(index_elements=["event_key"])
        for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
    }


_ACCEPT_COLUMNS = (
    "event_key", "platform", "kind", "chat", "payload", "status", "owner", "lease_until",
    "attempts", "received_at",
)  # fmt: skip
# Every event runs it before it is acknowledged: its id, or none for a redelivery.
_ACCEPT = Prepared(
    {name: insert.returning(_i.id) for name, insert in _unless_known(_ACCEPT_COLUMNS).items()}
)
_REMEMBER_COLUMNS = (
    "event_key", "platform", "kind", "chat", "status", "attempts", "received_at", "done_at",
)  # fmt: skip
_REMEMBER = Prepared(
    {name: insert.inline() for name, insert in _unless_known(_REMEMBER_COLUMNS).items()}
)
_DONE = Prepared(
    _inbox.update()
    .where(
        _i.id == sa.bindparam("b_id"), _i.status == "pending", _i.owner == sa.bindparam("b_owner")
    )
    .values(status="done", payload=None, lease_until=None, done_at=sa.bindparam("b_at"))
)
_PENDING = Prepared(
    sa.select(_i.id, _i.platform, _i.kind, _i.chat, _i.payload, _i.received_at).where(
        _i.id == sa.bindparam("row_id"), _i.status == "pending"
    )
)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: its row, platform, the adapter's kind and chat, the raw payload."""

    id: int
    platform: str
    kind: str
    chat: str
    payload: dict[str, Any]
    received_at: datetime


def accept(
    conn: sa.Connection,
    *,
    event_key: str,
    platform: str,
    kind: str,
    chat: str,
    payload: dict[str, Any],
    now: datetime,
    owner: str,
    lease_until: datetime,
) -> int | None:
    """Store a new event held by ``owner``; None when ``event_key`` is stored already (a
    redelivery: it is acknowledged again and not run twice)."""
    values = {
        "event_key": event_key,
        "platform": platform,
        "kind": kind,
        "chat": chat,
        "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        "status": "pending",
        "owner": owner,
        "lease_until": lease_until,
        "attempts": 1,
        "received_at": now,
    }
    found = _ACCEPT.first(conn, values)
    return int(found[0]) if found else None


def remember(conn: sa.Connection, *, event_key: str, platform: str, now: datetime) -> bool:
    """Record an event handled at once by its caller (the console); False for a redelivery."""
    values = {
        "event_key": event_key,
        "platform": platform,
        "kind": "",
        "chat": "",
        "status": "done",
        "attempts": 1,
        "received_at": now,
        "done_at": now,
    }
    return _REMEMBER.count(conn, values) == 1


def finish(conn: sa.Connection, *, row_id: int, owner: str, now: datetime) -> bool:
    """Mark a held row done (its payload dropped); False when ``owner`` no longer holds it."""
    return _DONE.count(conn, {"b_id": row_id, "b_owner": owner, "b_at": now}) == 1


def fail(conn: sa.Connection, *, row_id: int, owner: str, now: datetime, error: str) -> None:
    """Give up on a held row that cannot be read (its payload is kept for an operator)."""
    conn.execute(
        _inbox.update()
        .where(_i.id == row_id, _i.status == "pending", _i.owner == owner)
        .values(status="failed", lease_until=None, done_at=now, last_error=error[:1000])
    )


def attempts(conn: sa.Connection, *, row_id: int) -> int:
    """How many times the row has been taken so far (the first run included)."""
    found = conn.execute(sa.select(_i.attempts).where(_i.id == row_id)).scalar_one_or_none()
    return int(found or 0)


def release(conn: sa.Connection, *, row_id: int, owner: str, retry_at: datetime) -> None:
    """Let go of a held row whose run failed: any worker may take it again from ``retry_at``."""
    conn.execute(
        _inbox.update()
        .where(_i.id == row_id, _i.status == "pending", _i.owner == owner)
        .values(owner=None, lease_until=retry_at)
    )


def pending(conn: sa.Connection, *, row_id: int) -> StoredEvent | None:
    """Row ``row_id`` while it is pending, or None (run meanwhile, or set aside)."""
    found = _PENDING.first(conn, {"row_id": row_id})
    if found is None:
        return None
    row, platform, kind, chat, body, at = found
    return StoredEvent(int(row), str(platform), str(kind), str(chat), json.loads(body or "{}"), at)


def claim(
    conn: sa.Connection,
    *,
    owner: str,
    now: datetime,
    lease_until: datetime,
    gone: Iterable[str] = (),
    limit: int = 20,
) -> list[int]:
    """Take pending rows nobody holds (a lease ran out, or the holder is known to be ``gone``),
    oldest first, at most ``limit``; each claim counts as an attempt. PostgreSQL skips rows another
    process is claiming at the same moment."""
    free = sa.or_(_i.lease_until.is_(None), _i.lease_until <= now)
    gone = list(gone)
    if gone:
        free = sa.or_(free, _i.owner.in_(gone))
    candidates = sa.select(_i.id).where(_i.status == "pending", free).order_by(_i.id).limit(limit)
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    result = conn.execute(
        _inbox.update()
        .where(_i.id.in_(candidates.scalar_subquery()))
        .values(owner=owner, lease_until=lease_until, attempts=_i.attempts + 1)
        .returning(_i.id)
    )
    return sorted(int(row_id) for (row_id,) in result)


def renew(conn: sa.Connection, *, owner: str, lease_until: datetime) -> int:
    """Extend the lease of every row ``owner`` holds (it is alive and still working on them)."""
    return int(
        conn.execute(
            _inbox.update()
            .where(_i.status == "pending", _i.owner == owner)
            .values(lease_until=lease_until)
        ).rowcount
    )


def holders(conn: sa.Connection, *, now: datetime) -> set[str]:
    """The processes holding pending rows on a lease that has not run out."""
    rows = conn.execute(
        sa.select(_i.owner)
        .where(_i.status == "pending", _i.lease_until > now, _i.owner.is_not(None))
        .distinct()
    )
    return {str(owner) for (owner,) in rows}


def depth(conn: sa.Connection) -> tuple[int, datetime | None]:
    """How many events wait to be run, and when the oldest of them was received."""
    count, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(_i.received_at)).where(_i.status == "pending")
    ).one()
    return int(count), oldest


def forget_before(conn: sa.Connection, *, before: datetime) -> int:
    """Drop finished rows received before ``before`` (past every platform's redelivery and replay
    window); returns how many."""
    return int(
        conn.execute(
            _inbox.delete().where(_i.received_at < before, _i.status != "pending")
        ).rowcount
    )
