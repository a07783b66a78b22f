"""Inbound webhooks of a channel, their secrets, and the keys that make a delivery idempotent.

A key is claimed before its task is made (INSERT .. ON CONFLICT DO NOTHING): of two deliveries with
the same key at once, one creates the task and the other, waiting on the first's row, updates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage import counters
from storage.models_automation import Hook, HookKey
from storage.types import UtcDateTime, table

_hooks = table(Hook)
_keys = table(HookKey)
_COLS = (
    _hooks.c.id,
    _hooks.c.ws,
    _hooks.c.channel,
    _hooks.c.number,
    _hooks.c.column,
    _hooks.c.tag,
    _hooks.c.created_by,
    _hooks.c.created_at,
    _hooks.c.rotated_at,
    _hooks.c.last_used_at,
    _hooks.c.uses,
)
_CLAIM = sa.text(
    "INSERT INTO hook_keys (hook_id, key, created_at) VALUES (:hook_id, :key, :at) "
    "ON CONFLICT (hook_id, key) DO NOTHING"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))


@dataclass(frozen=True, slots=True)
class HookRow:
    """A webhook as the commands see it (never its secret)."""

    id: str
    ws: str
    channel: str
    number: int
    column: str | None
    tag: str | None
    created_by: str
    created_at: datetime
    rotated_at: datetime | None
    last_used_at: datetime | None
    uses: int


def _row(values: Sequence[Any]) -> HookRow:
    return HookRow(*values)


def add(
    conn: sa.Connection,
    *,
    hook_id: str,
    ws: str,
    channel: str,
    column: str | None,
    tag: str | None,
    secret: str,
    created_by: str,
    now: datetime,
) -> HookRow:
    """Store a webhook with the channel's next webhook number."""
    number = counters.next_number(conn, scope=f"hook:{channel}")
    values = {
        "id": hook_id,
        "ws": ws,
        "channel": channel,
        "number": number,
        "column": column,
        "tag": tag,
        "secret": secret,
        "created_by": created_by,
        "created_at": now,
        "uses": 0,
    }
    conn.execute(_hooks.insert().values(**values))
    return HookRow(hook_id, ws, channel, number, column, tag, created_by, now, None, None, 0)


def of_channel(conn: sa.Connection, *, channel: str) -> list[HookRow]:
    """A channel's webhooks, by number."""
    query = sa.select(*_COLS).where(_hooks.c.channel == channel).order_by(_hooks.c.number)
    return [_row(r) for r in conn.execute(query)]


def get(conn: sa.Connection, *, channel: str, number: int) -> HookRow | None:
    """Webhook ``number`` of a channel, or None."""
    query = sa.select(*_COLS).where(_hooks.c.channel == channel, _hooks.c.number == number)
    found = conn.execute(query).first()
    return None if found is None else _row(found)


def by_id(conn: sa.Connection, *, hook_id: str) -> HookRow | None:
    """The webhook a URL names, or None."""
    found = conn.execute(sa.select(*_COLS).where(_hooks.c.id == hook_id)).first()
    return None if found is None else _row(found)


def secret_of(conn: sa.Connection, *, hook_id: str) -> str | None:
    """The secret requests to ``/hooks/<hook_id>`` are signed with; None for no such webhook."""
    found = conn.execute(sa.select(_hooks.c.secret).where(_hooks.c.id == hook_id)).scalar()
    return None if found is None else str(found)


def rotate(conn: sa.Connection, *, hook_id: str, secret: str, now: datetime) -> None:
    """Replace a webhook's secret (the old one stops working at once)."""
    conn.execute(
        _hooks.update().where(_hooks.c.id == hook_id).values(secret=secret, rotated_at=now)
    )


def remove(conn: sa.Connection, *, hook_id: str) -> None:
    """Delete a webhook and its keys (its tasks stay)."""
    conn.execute(_keys.delete().where(_keys.c.hook_id == hook_id))
    conn.execute(_hooks.delete().where(_hooks.c.id == hook_id))


def used(conn: sa.Connection, *, hook_id: str, now: datetime) -> None:
    """Count one accepted delivery."""
    conn.execute(
        _hooks.update()
        .where(_hooks.c.id == hook_id)
        .values(uses=_hooks.c.uses + 1, last_used_at=now)
    )


def claim_key(conn: sa.Connection, *, hook_id: str, key: str, now: datetime) -> bool:
    """Claim ``key`` for a new task; False when the webhook has seen it before."""
    values = {"hook_id": hook_id, "key": key, "at": now}
    return conn.execute(_CLAIM, values).rowcount == 1


def task_of(conn: sa.Connection, *, hook_id: str, key: str) -> int | None:
    """The id of the task ``key`` made, or None (not yet made, or since purged)."""
    query = sa.select(_keys.c.task_id).where(_keys.c.hook_id == hook_id, _keys.c.key == key)
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def bind_key(conn: sa.Connection, *, hook_id: str, key: str, task_id: int) -> None:
    """Point ``key`` at the task it makes from now on."""
    conn.execute(
        _keys.update()
        .where(_keys.c.hook_id == hook_id, _keys.c.key == key)
        .values(task_id=task_id)
    )
