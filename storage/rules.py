"""When-then rules of a channel and the log of what each fired for (SQLAlchemy Core).

A rule fires for a change only after it has claimed the change's key in ``rule_fires`` (INSERT ..
ON CONFLICT DO NOTHING, in the transaction of the change itself), so it fires once per change
whatever redelivers the change, and a tick run twice finds the key taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage import counters
from storage.models import Task
from storage.models_automation import Rule, RuleFire
from storage.prepared import Prepared
from storage.types import UtcDateTime, table

_rules = table(Rule)
_fires = table(RuleFire)
_tasks = table(Task)
_COLS = (
    _rules.c.id,
    _rules.c.ws,
    _rules.c.channel,
    _rules.c.number,
    _rules.c.trigger,
    _rules.c.trigger_arg,
    _rules.c.action,
    _rules.c.action_arg,
    _rules.c.action_text,
    _rules.c.created_by,
    _rules.c.created_at,
    _rules.c.paused_at,
    _rules.c.fired,
    _rules.c.last_fired_at,
)
_TRIGGER = _COLS.index(_rules.c.trigger)
_RUNNING_HERE = Prepared(
    sa.select(*_COLS)
    .where(_rules.c.channel == sa.bindparam("channel"), _rules.c.paused_at.is_(None))
    .order_by(_rules.c.number)
)
_CLAIM = sa.text(
    "INSERT INTO rule_fires (rule_id, change_key, fired_at) VALUES (:rule_id, :key, :at) "
    "ON CONFLICT (rule_id, change_key) DO NOTHING"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))


@dataclass(frozen=True, slots=True)
class NewRule:
    """What ``rule add`` read: a trigger and its argument, an action and its arguments."""

    trigger: str
    trigger_arg: str
    action: str
    action_arg: str
    action_text: str = ""


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A stored rule."""

    id: int
    ws: str
    channel: str
    number: int
    trigger: str
    trigger_arg: str
    action: str
    action_arg: str
    action_text: str
    created_by: str
    created_at: datetime
    paused_at: datetime | None
    fired: int
    last_fired_at: datetime | None


def _row(values: Sequence[Any]) -> RuleRow:
    return RuleRow(*values)


def add(
    conn: sa.Connection, *, ws: str, channel: str, rule: NewRule, created_by: str, now: datetime
) -> RuleRow:
    """Store a rule with the channel's next rule number."""
    number = counters.next_number(conn, scope=f"rule:{channel}")
    values = {
        "ws": ws,
        "channel": channel,
        "number": number,
        "trigger": rule.trigger,
        "trigger_arg": rule.trigger_arg,
        "action": rule.action,
        "action_arg": rule.action_arg,
        "action_text": rule.action_text,
        "created_by": created_by,
        "created_at": now,
        "fired": 0,
    }
    rule_id = int(conn.execute(_rules.insert().values(**values)).inserted_primary_key[0])  # type: ignore[index]
    found = get(conn, channel=channel, number=number)
    assert found is not None and found.id == rule_id
    return found


def of_channel(conn: sa.Connection, *, channel: str) -> list[RuleRow]:
    """Every rule of a channel, paused ones too, by number."""
    query = sa.select(*_COLS).where(_rules.c.channel == channel).order_by(_rules.c.number)
    return [_row(r) for r in conn.execute(query)]


def get(conn: sa.Connection, *, channel: str, number: int) -> RuleRow | None:
    """Rule ``number`` of a channel, or None."""
    query = sa.select(*_COLS).where(_rules.c.channel == channel, _rules.c.number == number)
    found = conn.execute(query).first()
    return None if found is None else _row(found)


def active(conn: sa.Connection, *, channel: str, triggers: Sequence[str]) -> list[RuleRow]:
    """The running (not paused) rules of a channel with one of ``triggers``, by number (asked on
    every task change: one prepared statement for the channel's few rules, sorted out here)."""
    found = _RUNNING_HERE.rows(conn, {"channel": channel})
    return [_row(r) for r in found if r[_TRIGGER] in triggers]


def running(conn: sa.Connection, *, trigger: str) -> list[RuleRow]:
    """The running rules of one trigger in every channel (the overdue tick's list)."""
    query = (
        sa.select(*_COLS)
        .where(_rules.c.trigger == trigger, _rules.c.paused_at.is_(None))
        .order_by(_rules.c.id)
    )
    return [_row(r) for r in conn.execute(query)]


def count(conn: sa.Connection, *, channel: str) -> int:
    """How many rules a channel has."""
    query = sa.select(sa.func.count()).where(_rules.c.channel == channel)
    return int(conn.execute(query).scalar_one())


def remove(conn: sa.Connection, *, rule_id: int) -> None:
    """Delete a rule (and its log)."""
    conn.execute(_fires.delete().where(_fires.c.rule_id == rule_id))
    conn.execute(_rules.delete().where(_rules.c.id == rule_id))


def pause(conn: sa.Connection, *, rule_id: int, at: datetime | None) -> None:
    """Pause a rule from ``at`` (None: run it again)."""
    conn.execute(_rules.update().where(_rules.c.id == rule_id).values(paused_at=at))


def claim(conn: sa.Connection, *, rule_id: int, change_key: str, now: datetime) -> bool:
    """Record that rule ``rule_id`` fires for ``change_key``; False when it already has."""
    values = {"rule_id": rule_id, "key": change_key, "at": now}
    if conn.execute(_CLAIM, values).rowcount != 1:
        return False
    conn.execute(
        _rules.update()
        .where(_rules.c.id == rule_id)
        .values(fired=_rules.c.fired + 1, last_fired_at=now)
    )
    return True


def fired_keys(conn: sa.Connection, *, rule_id: int, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` rule ``rule_id`` has fired for already."""
    if not keys:
        return set()
    query = sa.select(_fires.c.change_key).where(
        _fires.c.rule_id == rule_id, _fires.c.change_key.in_(keys)
    )
    return {str(k) for k in conn.execute(query).scalars()}


def overdue_since(
    conn: sa.Connection, *, channel: str, since: datetime, now: datetime, limit: int = 500
) -> list[tuple[int, datetime]]:
    """Open tasks of ``channel`` whose due moment passed between ``since`` and ``now``: their ids
    and due moments, longest overdue first."""
    t = _tasks.c
    query = (
        sa.select(t.id, t.due_at)
        .where(
            t.channel == channel,
            t.due_at.is_not(None),
            t.due_at > since,
            t.due_at <= now,
            t.done_at.is_(None),
            t.deleted_at.is_(None),
        )
        .order_by(t.due_at, t.id)
        .limit(limit)
    )
    return [(int(i), due) for i, due in conn.execute(query)]
