"""Links between tasks, kept both ways (a follow-up on another board, and the task it follows)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.models import Task
from storage.models_automation import TaskLink
from storage.prepared import Prepared
from storage.types import table

_links = table(TaskLink)
_tasks = table(Task)
_LINKED = Prepared(  # asked by every ``task show``
    sa.select(_links.c.kind, _tasks.c.number)
    .join(_tasks, _tasks.c.id == _links.c.linked_id)
    .where(_links.c.task_id == sa.bindparam("task_id"))
    .order_by(_links.c.created_at, _tasks.c.number)
)


def link_follow_up(conn: sa.Connection, *, task_id: int, follow_up_id: int, now: datetime) -> None:
    """Record that ``follow_up_id`` follows up ``task_id``, on both tasks."""
    conn.execute(
        _links.insert(),
        [
            {
                "task_id": task_id,
                "linked_id": follow_up_id,
                "kind": "follow_up",
                "created_at": now,
            },
            {"task_id": follow_up_id, "linked_id": task_id, "kind": "follows", "created_at": now},
        ],
    )


def linked(conn: sa.Connection, *, task_id: int) -> list[tuple[str, int]]:
    """The tasks linked to ``task_id``: (kind, task number), in the order they were linked."""
    found = _LINKED.rows(conn, {"task_id": task_id})
    return [(str(kind), int(number)) for kind, number in found]
