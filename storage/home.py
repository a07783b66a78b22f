"""What a person's home page shows: their open tasks, overdue and due soon first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.models import Task, TaskOwner
from storage.types import table

_tasks = table(Task)
_owners = table(TaskOwner)


@dataclass(frozen=True, slots=True)
class OpenTask:
    """One open task on a home page."""

    number: int
    title: str
    column: str
    due_at: datetime | None


def open_tasks(conn: sa.Connection, *, ws: str, user_id: str, limit: int = 20) -> list[OpenTask]:
    """The person's open tasks: those with a due date first (earliest first), then the newest."""
    rows = conn.execute(
        sa.select(_tasks.c.number, _tasks.c.title, _tasks.c.column, _tasks.c.due_at)
        .join(_owners, _owners.c.task_id == _tasks.c.id)
        .where(
            _tasks.c.ws == ws,
            _owners.c.user_id == user_id,
            _tasks.c.done_at.is_(None),
            _tasks.c.deleted_at.is_(None),
        )
        .order_by(_tasks.c.due_at.is_(None), _tasks.c.due_at, _tasks.c.created_at.desc())
        .limit(limit)
    ).all()
    return [OpenTask(int(n), str(t), str(c), d) for n, t, c, d in rows]
