"""Inbound de-duplication: platforms redeliver events, Baton handles each once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.models import InboundEvent

_events = InboundEvent.__table__  # type: ignore[attr-defined]


def remember(conn: sa.Connection, *, event_key: str, now: datetime) -> bool:
    """Record ``event_key``; False when it was already recorded (a redelivery)."""
    stmt = _insert_ignore(conn).values(event_key=event_key, received_at=now)
    return conn.execute(stmt).rowcount == 1


def forget_before(conn: sa.Connection, *, before: datetime) -> int:
    """Drop keys older than any platform's redelivery window; returns how many."""
    return conn.execute(_events.delete().where(_events.c.received_at < before)).rowcount


def _insert_ignore(conn: sa.Connection) -> sa.Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(_events).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(_events).on_conflict_do_nothing()
