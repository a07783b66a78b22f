"""Changes to tasks that need nobody at a keyboard: the task commands make them for a person, and
rules, webhooks and recurring tasks make them on their own. Each writes the task's history line and
returns what the caller raises (:mod:`commands.tasks.signals`) for the other features to hear;
who may make a change, and limits such as WIP, are the callers' to check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from bot.events import Target
from commands.tasks.signals import TaskCreated, TaskMoved
from storage import task_links, tasks
from storage.tasks import BoardConfig, TaskRow


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task to create on ``channel``'s board (in ``column`` when the board has it, else its
    first); ``source`` is where it came from (a message, ``series:4``, ``hook:<id>``)."""

    channel: str
    title: str
    creator_id: str
    owners: Sequence[str] = ()
    tags: Sequence[str] = ()
    priority: int = 0
    due_at: datetime | None = None
    column: str | None = None
    source: str = ""
    via: str | None = None  # the way in when it was not the chat ("web")


def create(
    conn: sa.Connection, new: NewTask, *, now: datetime, config: BoardConfig | None = None
) -> TaskCreated:
    """Create a task with the next number of its workspace (``config`` is its board when the
    caller has read it already)."""
    config = config or tasks.board(conn, channel=new.channel)
    column = new.column if new.column in config.columns else config.columns[0]
    task = tasks.create(
        conn,
        ws=Target.parse(new.channel).ws,
        channel=new.channel,
        source=new.source,
        title=new.title,
        column=column,
        priority=new.priority,
        tags=list(new.tags),
        creator_id=new.creator_id,
        owner_ids=list(new.owners),
        due_at=new.due_at,
        now=now,
        via=new.via,
    )
    return TaskCreated(task)


def move(
    conn: sa.Connection,
    task: TaskRow,
    column: str,
    *,
    by: str,
    now: datetime,
    config: BoardConfig | None = None,
    via: str | None = None,
) -> TaskMoved:
    """Move ``task`` into ``column`` (a column of its board, as the board names it; ``config``
    is that board when the caller has read it already)."""
    config = config or tasks.board(conn, channel=task.channel)
    done = column == config.done
    tasks.update(conn, task_id=task.id, now=now, column=column, done_at=now if done else None)
    order = config.columns
    backward = task.column in order and order.index(column) < order.index(task.column)
    event_id = tasks.record_move(
        conn, task=task, column=column, backward=backward, at=now, actor_id=by, via=via
    )
    moved = replace(task, column=column, done_at=now if done else None)
    return TaskMoved(moved, task.column, done, event_id)


def assign(
    conn: sa.Connection,
    task: TaskRow,
    owners: Sequence[str],
    *,
    by: str,
    now: datetime,
    names: Mapping[str, str] | None = None,
) -> TaskRow:
    """Give ``task`` to ``owners`` (replacing its owners); the history names them by ``names``
    (display names, where known: history is text, not mentions)."""
    tasks.set_owners(conn, task_id=task.id, owner_ids=owners)
    detail = ", ".join(f"@{(names or {}).get(owner, owner)}" for owner in owners)
    tasks.add_event(conn, task_id=task.id, at=now, actor_id=by, kind="assigned", detail=detail)
    return _fresh(conn, task)


def add_tag(conn: sa.Connection, task: TaskRow, tag: str, *, by: str, now: datetime) -> TaskRow:
    """Tag ``task`` with ``tag`` (nothing when it has it already)."""
    if tag in task.tags:
        return task
    tasks.set_tags(conn, task_id=task.id, tags=[*task.tags, tag], now=now)
    tasks.add_event(conn, task_id=task.id, at=now, actor_id=by, kind="tagged", detail=tag)
    return _fresh(conn, task)


def follow_up(
    conn: sa.Connection, task: TaskRow, *, channel: str, title: str, by: str, now: datetime
) -> TaskCreated:
    """Create a task on ``channel``'s board that follows ``task`` up, linked both ways."""
    created = create(conn, NewTask(channel, title, by, source=f"task:{task.id}"), now=now)
    follower = created.task
    task_links.link_follow_up(conn, task_id=task.id, follow_up_id=follower.id, now=now)
    for one, other, kind in ((task, follower, "follow_up"), (follower, task, "follows")):
        tasks.add_event(
            conn, task_id=one.id, at=now, actor_id=by, kind=kind, detail=f"#{other.number}"
        )
    return created


def _fresh(conn: sa.Connection, task: TaskRow) -> TaskRow:
    found = tasks.by_id(conn, task_id=task.id)
    assert found is not None  # the caller holds the task in this transaction
    return found
