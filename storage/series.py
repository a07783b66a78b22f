"""Recurring tasks: each series and the moment of its next occurrence (SQLAlchemy Core).

An occurrence is claimed by moving ``next_at`` on with a conditional UPDATE (``WHERE next_at =
<the moment read>``) in the transaction that creates its task: whoever moves it creates the task,
so a doubled tick, a restart or a second process never creates it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage import counters
from storage.models import Task
from storage.models_automation import TaskSeries
from storage.types import table

_series = table(TaskSeries)
_tasks = table(Task)
_COLS = (
    _series.c.id,
    _series.c.ws,
    _series.c.number,
    _series.c.channel,
    _series.c.title,
    _series.c.owners,
    _series.c.tags,
    _series.c.priority,
    _series.c.creator_id,
    _series.c.every,
    _series.c.at_time,
    _series.c.tz,
    _series.c.locale,
    _series.c.next_at,
    _series.c.always,
    _series.c.last_task_id,
    _series.c.stopped_at,
)


@dataclass(frozen=True, slots=True)
class NewSeries:
    """What a recurring ``task add`` asked for."""

    channel: str
    title: str
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    priority: int
    creator_id: str
    every: str
    at_time: str
    tz: str
    locale: str


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """A stored series."""

    id: int
    ws: str
    number: int
    channel: str
    title: str
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    priority: int
    creator_id: str
    every: str
    at_time: str
    tz: str
    locale: str
    next_at: datetime
    always: bool
    last_task_id: int | None
    stopped_at: datetime | None


def _row(v: Sequence[Any]) -> SeriesRow:
    return SeriesRow(
        int(v[0]), str(v[1]), int(v[2]), str(v[3]), str(v[4]), tuple(str(v[5]).split()),
        tuple(str(v[6]).split()), int(v[7]), str(v[8]), str(v[9]), str(v[10]), str(v[11]),
        str(v[12]), v[13], bool(v[14]), v[15], v[16],
    )  # fmt: skip


def add(
    conn: sa.Connection, *, ws: str, series: NewSeries, next_at: datetime, now: datetime
) -> SeriesRow:
    """Store a series with the workspace's next series number."""
    number = counters.next_number(conn, scope=f"series:{ws}")
    values = {
        "ws": ws,
        "number": number,
        "channel": series.channel,
        "title": series.title,
        "owners": " ".join(series.owners),
        "tags": " ".join(series.tags),
        "priority": series.priority,
        "creator_id": series.creator_id,
        "every": series.every,
        "at_time": series.at_time,
        "tz": series.tz,
        "locale": series.locale,
        "next_at": next_at,
        "always": False,
        "created_at": now,
    }
    conn.execute(_series.insert().values(**values))
    found = get(conn, ws=ws, number=number)
    assert found is not None
    return found


def get(conn: sa.Connection, *, ws: str, number: int) -> SeriesRow | None:
    """Series ``number`` of a workspace, or None."""
    query = sa.select(*_COLS).where(_series.c.ws == ws, _series.c.number == number)
    found = conn.execute(query).first()
    return None if found is None else _row(found)


def by_id(conn: sa.Connection, *, series_id: int) -> SeriesRow | None:
    """The series with this id, or None."""
    found = conn.execute(sa.select(*_COLS).where(_series.c.id == series_id)).first()
    return None if found is None else _row(found)


def of_channel(conn: sa.Connection, *, channel: str) -> list[SeriesRow]:
    """A channel's series, running ones first, by number."""
    query = (
        sa.select(*_COLS)
        .where(_series.c.channel == channel)
        .order_by(_series.c.stopped_at.is_not(None), _series.c.number)
    )
    return [_row(r) for r in conn.execute(query)]


def due(conn: sa.Connection, *, now: datetime, limit: int = 500) -> list[SeriesRow]:
    """Running series whose next occurrence has come, earliest first."""
    query = (
        sa.select(*_COLS)
        .where(_series.c.stopped_at.is_(None), _series.c.next_at <= now)
        .order_by(_series.c.next_at, _series.c.id)
        .limit(limit)
    )
    return [_row(r) for r in conn.execute(query)]


def advance(conn: sa.Connection, *, series_id: int, was: datetime, to: datetime) -> bool:
    """Claim occurrence ``was`` of a running series by moving it on to ``to``; False when
    another tick moved it first, or the series was stopped."""
    result = conn.execute(
        _series.update()
        .where(
            _series.c.id == series_id,
            _series.c.next_at == was,
            _series.c.stopped_at.is_(None),
        )
        .values(next_at=to)
    )
    return result.rowcount == 1


def record(conn: sa.Connection, *, series_id: int, task_id: int) -> None:
    """Remember the task the latest occurrence made (the one a new occurrence waits for)."""
    conn.execute(_series.update().where(_series.c.id == series_id).values(last_task_id=task_id))


def is_open(conn: sa.Connection, *, task_id: int | None) -> bool:
    """True when the task is still on the board, not done and not deleted."""
    if task_id is None:
        return False
    query = sa.select(_tasks.c.id).where(
        _tasks.c.id == task_id, _tasks.c.done_at.is_(None), _tasks.c.deleted_at.is_(None)
    )
    return conn.execute(query).first() is not None


def stop(conn: sa.Connection, *, series_id: int, now: datetime) -> None:
    """Stop making tasks for a series."""
    conn.execute(_series.update().where(_series.c.id == series_id).values(stopped_at=now))


def resume(conn: sa.Connection, *, series_id: int, next_at: datetime) -> None:
    """Make tasks for a stopped series again, from ``next_at``."""
    conn.execute(
        _series.update().where(_series.c.id == series_id).values(stopped_at=None, next_at=next_at)
    )


def set_always(conn: sa.Connection, *, series_id: int, always: bool) -> None:
    """Whether a series makes a new task even while its previous one is still open."""
    conn.execute(_series.update().where(_series.c.id == series_id).values(always=always))
