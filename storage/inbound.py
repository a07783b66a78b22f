"""Inbound de-duplication: platforms redeliver events, Baton handles each once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import InboundEvent
from storage.types import table

_events = table(InboundEvent)


# Built once per dialect: this runs for every inbound message.
_REMEMBER = {
    "sqlite": sqlite.insert(_events).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(_events).on_conflict_do_nothing(),
}


def remember(conn: sa.Connection, *, event_key: str, now: datetime) -> bool:
    """Record ``event_key``; False when it was already recorded (a redelivery)."""
    values = {"event_key": event_key, "received_at": now}
    return conn.execute(_REMEMBER[conn.dialect.name], values).rowcount == 1


def forget_before(conn: sa.Connection, *, before: datetime) -> int:
    """Drop keys older than any platform's redelivery window; returns how many."""
    return conn.execute(_events.delete().where(_events.c.received_at < before)).rowcount
