"""Read-only queries behind the digests: a person's open tasks and a channel's week."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.models import Board, Task, TaskEvent, TaskOwner
from storage.types import table

_tasks = table(Task)
_owners = table(TaskOwner)
_events = table(TaskEvent)
_boards = table(Board)


@dataclass(frozen=True, slots=True)
class TaskLine:
    """A task as a digest lists it."""

    id: int
    number: int
    title: str
    column: str
    due_at: datetime | None
    created_at: datetime
    done_at: datetime | None


def _select() -> sa.Select[Any]:
    t = _tasks.c
    return sa.select(t.id, t.number, t.title, t.column, t.due_at, t.created_at, t.done_at)


def open_tasks_of(conn: sa.Connection, *, ws: str, user_id: str) -> list[TaskLine]:
    """Open tasks ``user_id`` owns, soonest due first (undated last)."""
    t = _tasks.c
    rows = conn.execute(
        _select()
        .join(_owners, _owners.c.task_id == t.id)
        .where(_owners.c.user_id == user_id, t.ws == ws)
        .where(t.done_at.is_(None), t.deleted_at.is_(None))
        .order_by(t.due_at.is_(None), t.due_at, t.number)
        .limit(200)
    ).all()
    return [TaskLine(*tuple(row)) for row in rows]


def done_since(conn: sa.Connection, *, channel: str, since: datetime) -> list[TaskLine]:
    """Tasks of ``channel`` finished since ``since``."""
    t = _tasks.c
    rows = conn.execute(
        _select()
        .where(t.channel == channel, t.done_at >= since, t.deleted_at.is_(None))
        .order_by(t.done_at)
        .limit(500)
    ).all()
    return [TaskLine(*tuple(row)) for row in rows]


def overdue_count(conn: sa.Connection, *, channel: str, now: datetime) -> int:
    """Open tasks of ``channel`` past their due date."""
    t = _tasks.c
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(_tasks)
            .where(t.channel == channel, t.due_at < now)
            .where(t.done_at.is_(None), t.deleted_at.is_(None))
        ).scalar_one()
    )


def board_columns(conn: sa.Connection, *, channel: str) -> list[str]:
    """The channel's board columns (the last one means done); empty when it has no board."""
    raw = conn.execute(
        sa.select(_boards.c.columns).where(_boards.c.channel == channel)
    ).scalar_one_or_none()
    try:
        columns = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [str(c) for c in columns] if isinstance(columns, list) else []


def moves(
    conn: sa.Connection, *, task_ids: Iterable[int]
) -> dict[int, list[tuple[datetime, str, str]]]:
    """``move``/``start``/``done`` history of tasks: (at, kind, detail), oldest first."""
    ids = sorted(set(task_ids))
    found: dict[int, list[tuple[datetime, str, str]]] = {i: [] for i in ids}
    e = _events.c
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            sa.select(e.task_id, e.at, e.kind, e.detail)
            .where(e.task_id.in_(ids[start : start + 500]))
            .where(e.kind.in_(("move", "start", "done")))
            .order_by(e.task_id, e.at, e.id)
        ).all()
        for task_id, at, kind, detail in rows:
            found[int(task_id)].append((at, str(kind), str(detail or "")))
    return found
