"""The outbox table: every statement the delivery policy in ``bot.outbox`` runs.

A row moves ``pending`` → ``sending`` (claimed by an ``owner``, with a lease) → ``sent``; a failure
puts it back to ``pending`` with a later ``next_attempt_at``, or ``parked`` for an operator. A
``sending`` row whose lease ran out, or whose owner is known to be gone, may be claimed again: its
first attempt may have reached the platform, which the sender is told. Statements of the immediate
path are built once: they run for every reply Baton sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.bulk import driver_value, insert_new
from storage.models import OutboxMessage
from storage.prepared import Prepared, insert_values
from storage.types import table

_outbox = table(OutboxMessage)
_o = _outbox.c

NOTICE_PREFIX = "parked:"  # dedupe keys of the notices about parked rows (never noticed in turn)

# INSERT .. ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, per dialect: ticks run it per message.
_INSERT_KEYED = {
    "sqlite": sqlite.insert(_outbox)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_o.id),
    "postgresql": postgresql.insert(_outbox)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_o.id),
}
_CLAIM = (
    _outbox.update()
    .where(_o.id == sa.bindparam("b_id"), _o.status == "pending")
    .values(status="sending", lease_until=sa.bindparam("b_lease"), owner=sa.bindparam("b_owner"))
)
_SENT = Prepared(
    _outbox.update()
    .where(_o.id == sa.bindparam("b_id"))
    .values(
        status="sent",
        lease_until=None,
        owner=None,
        sent_at=sa.bindparam("sent_at"),
        message_ref=sa.bindparam("message_ref"),
    )
)
_COLUMNS = (
    "target", "payload", "status", "attempts", "dedupe_key", "created_at", "next_attempt_at",
    "lease_until", "owner",
)  # fmt: skip
_INSERT_ONE = Prepared(insert_values(_outbox, _COLUMNS).returning(_o.id))
_BULK_COLUMNS = (
    "target", "payload", "status", "attempts", "dedupe_key", "created_at", "next_attempt_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to store: where it goes (``str(Target)``), what it says (``Reply.to_json()``),
    and the lease of a caller that sends it right after the commit (None: any drain sends it)."""

    target: str
    payload: str
    now: datetime
    dedupe_key: str | None = None
    lease_until: datetime | None = None
    owner: str | None = None

    def values(self) -> dict[str, object]:
        """The row's column values."""
        return {
            "target": self.target,
            "payload": self.payload,
            "status": "pending" if self.lease_until is None else "sending",
            "attempts": 0,
            "dedupe_key": self.dedupe_key,
            "created_at": self.now,
            "next_attempt_at": self.now,
            "lease_until": self.lease_until,
            "owner": self.owner,
        }


@dataclass(frozen=True, slots=True)
class DueRow:
    """A row to send now: what and where, when it was queued, and whether an earlier attempt was
    cut short (its sender stopped while sending: the message may have reached the platform)."""

    id: int
    target: str
    payload: str
    created_at: datetime
    interrupted: bool


@dataclass(frozen=True, slots=True)
class ParkedRow:
    """A message given up on: its id, target, attempts, last error and when it was parked."""

    id: int
    target: str
    attempts: int
    error: str
    parked_at: datetime


def insert(conn: sa.Connection, *, message: NewMessage) -> int | None:
    """Store one message; returns its id, or None when its dedupe key was used already (two
    processes racing on one key never raise: INSERT .. ON CONFLICT DO NOTHING)."""
    values = message.values()
    if message.dedupe_key is None:
        inserted = _INSERT_ONE.first(conn, values)
        assert inserted is not None
        return int(inserted[0])
    found = conn.execute(_INSERT_KEYED[conn.dialect.name], values).first()
    return int(found[0]) if found else None


def insert_many(
    conn: sa.Connection, *, rows: Sequence[tuple[str, str, str]], now: datetime
) -> dict[str, int]:
    """Store many keyed ``(target, payload, dedupe_key)`` messages in one statement; returns the
    ids of those written by their keys (keys already used are skipped)."""
    if not rows:
        return {}
    at = driver_value(conn, _o.created_at, now)
    values = [(target, payload, "pending", 0, key, at, at) for target, payload, key in rows]
    written = insert_new(
        conn, _outbox, _BULK_COLUMNS, values, unique=["dedupe_key"], returning=["id", "dedupe_key"]
    )
    return {str(key): int(row_id) for row_id, key in written}


def claim(conn: sa.Connection, *, row_id: int, owner: str, lease_until: datetime) -> bool:
    """Take one pending row for sending; False when someone else has it (or it is gone)."""
    values = {"b_id": row_id, "b_lease": lease_until, "b_owner": owner}
    return bool(conn.execute(_CLAIM, values).rowcount == 1)


def _claimable(now: datetime, gone: Sequence[str]) -> sa.ColumnElement[bool]:
    """Rows that may be taken now: due pending rows, and sending rows whose holder stopped (its
    lease ran out, or it is known to be ``gone``)."""
    stopped = sa.or_(_o.lease_until <= now, _o.lease_until.is_(None))
    if gone:
        stopped = sa.or_(stopped, _o.owner.in_(gone))
    return sa.or_(
        sa.and_(_o.status == "pending", _o.next_attempt_at <= now),
        sa.and_(_o.status == "sending", stopped),
    )


def claim_due(
    conn: sa.Connection,
    *,
    now: datetime,
    owner: str,
    lease_until: datetime,
    limit: int,
    gone: Sequence[str] = (),
) -> list[DueRow]:
    """Claim up to ``limit`` rows that are due, oldest first, for ``owner``. PostgreSQL skips rows
    another process is claiming at the same moment; on SQLite the conditional UPDATE decides."""
    candidates = (
        sa.select(_o.id, _o.target, _o.payload, _o.created_at, _o.status)
        .where(_claimable(now, gone))
        .order_by(_o.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    found = conn.execute(candidates).all()
    if not found:
        return []
    taken = conn.execute(
        _outbox.update()
        .where(_o.id.in_([row[0] for row in found]), _claimable(now, gone))
        .values(status="sending", lease_until=lease_until, owner=owner)
        .returning(_o.id)
    )
    got = {int(row_id) for (row_id,) in taken}
    return [
        DueRow(int(i), str(t), str(p), at, status == "sending")
        for i, t, p, at, status in found
        if int(i) in got
    ]


def renew(conn: sa.Connection, *, owner: str, lease_until: datetime) -> None:
    """Extend the lease of every row ``owner`` is sending (it is alive and still at it)."""
    conn.execute(
        _outbox.update()
        .where(_o.status == "sending", _o.owner == owner)
        .values(lease_until=lease_until)
    )


def holders(conn: sa.Connection, *, now: datetime) -> set[str]:
    """The processes sending rows on a lease that has not run out."""
    rows = conn.execute(
        sa.select(_o.owner)
        .where(_o.status == "sending", _o.lease_until > now, _o.owner.is_not(None))
        .distinct()
    )
    return {str(owner) for (owner,) in rows}


def hand_back(conn: sa.Connection, *, row_ids: Sequence[int], at: datetime) -> None:
    """Return claimed rows to the queue, to be sent from ``at`` (their chat is busy until then)."""
    conn.execute(
        _outbox.update()
        .where(_o.id.in_(row_ids), _o.status == "sending")
        .values(status="pending", next_attempt_at=at, lease_until=None, owner=None)
    )


@dataclass(frozen=True, slots=True)
class SentMark:
    """A claimed row the platform took: when, and the platform's message id (to update a card
    later)."""

    row_id: int
    sent_at: datetime
    message_ref: str | None


def mark_sent(conn: sa.Connection, *, marks: Sequence[SentMark]) -> None:
    """Record claimed rows as sent."""
    _SENT.many(
        conn,
        [{"b_id": m.row_id, "sent_at": m.sent_at, "message_ref": m.message_ref} for m in marks],
    )


def attempts(conn: sa.Connection, *, row_id: int) -> int:
    """How many times sending the row has failed so far."""
    return int(conn.execute(sa.select(_o.attempts).where(_o.id == row_id)).scalar_one())


def record_failure(
    conn: sa.Connection,
    *,
    row_id: int,
    attempts: int,
    parked: bool,
    retry_at: datetime,
    error: str,
    uncertain: bool = False,
) -> None:
    """A send failed: the row waits until ``retry_at``, or is ``parked`` for an operator. A send
    that got no answer (``uncertain``: the platform may have the message) stays ``sending``, held
    by nobody until ``retry_at``: it is then taken as an interrupted send, looked for first."""
    conn.execute(
        _outbox.update()
        .where(_o.id == row_id)
        .values(
            status="parked" if parked else "sending" if uncertain else "pending",
            attempts=attempts,
            next_attempt_at=retry_at,
            lease_until=None if parked or not uncertain else retry_at,
            owner=None,
            last_error=error[:1000],
        )
    )


def depth(conn: sa.Connection) -> dict[str, tuple[int, datetime | None]]:
    """Per status, how many rows and when the oldest of them was queued."""
    rows = conn.execute(
        sa.select(_o.status, sa.func.count(), sa.func.min(_o.created_at)).group_by(_o.status)
    ).all()
    return {str(status): (int(n), oldest) for status, n, oldest in rows}


def counts(conn: sa.Connection) -> dict[str, int]:
    """How many rows are in each status."""
    rows = conn.execute(sa.select(_o.status, sa.func.count()).group_by(_o.status)).all()
    return {str(status): int(n) for status, n in rows}


def parked(conn: sa.Connection, *, limit: int, since: datetime | None = None) -> list[ParkedRow]:
    """Parked rows, oldest first; with ``since``, only those parked after it, and not the notices
    about parked rows themselves."""
    query = sa.select(_o.id, _o.target, _o.attempts, _o.last_error, _o.next_attempt_at).where(
        _o.status == "parked"
    )
    if since is not None:
        query = query.where(_o.next_attempt_at > since).where(
            sa.or_(_o.dedupe_key.is_(None), _o.dedupe_key.not_like(NOTICE_PREFIX + "%"))
        )
    rows = conn.execute(query.order_by(_o.id).limit(limit)).all()
    return [ParkedRow(int(i), str(t), int(a), str(e or ""), at) for i, t, a, e, at in rows]


def used_keys(conn: sa.Connection, *, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are dedupe keys of stored messages."""
    if not keys:
        return set()
    rows = conn.execute(sa.select(_o.dedupe_key).where(_o.dedupe_key.in_(keys)))
    return {str(key) for (key,) in rows}


def retry_parked(conn: sa.Connection, *, now: datetime) -> int:
    """Put every parked row back in the queue; returns how many."""
    return int(
        conn.execute(
            _outbox.update()
            .where(_o.status == "parked")
            .values(status="pending", attempts=0, next_attempt_at=now)
        ).rowcount
    )


def complete(
    conn: sa.Connection, *, row_id: int, sent_at: datetime, message_ref: str | None
) -> bool:
    """Mark a pending row sent by other means (an adapter answered inline); False when a sender
    has claimed it already."""
    result = conn.execute(
        _outbox.update()
        .where(_o.id == row_id, _o.status == "pending")
        .values(status="sent", sent_at=sent_at, message_ref=message_ref)
    )
    return bool(result.rowcount == 1)


def message_ref(conn: sa.Connection, *, row_id: int) -> str | None:
    """The platform message id recorded for a sent row."""
    found: Any = conn.execute(
        sa.select(_o.message_ref).where(_o.id == row_id)
    ).scalar_one_or_none()
    return None if found is None else str(found)
