"""Tasks, their owners, history, checklists and per-channel boards (SQLAlchemy Core).

Statements are built once at import: the hot path of a chat command is a handful of small queries,
and building a statement costs more than running it on SQLite.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from storage.models import Board, ChecklistItem, Task, TaskEvent, TaskMove, TaskOwner
from storage.prepared import Prepared, insert_values
from storage.types import table

_tasks = table(Task)
Row = TypeVar("Row")
_owners = table(TaskOwner)
_events = table(TaskEvent)
_checks = table(ChecklistItem)
_boards = table(Board)
_moves = table(TaskMove)

DEFAULT_COLUMNS = ("todo", "doing", "done")
# The kinds of history line shown to people (each has its wording in the tasks catalog).
HISTORY_KINDS = frozenset(
    {"created", "moved", "assigned", "due", "renamed", "note", "check_added", "checked",
     "unchecked", "deleted", "restored", "snoozed", "tagged", "follow_up", "follows"}
)  # fmt: skip
_COLS = (
    _tasks.c.id,
    _tasks.c.number,
    _tasks.c.channel,
    _tasks.c.source,
    _tasks.c.title,
    _tasks.c.column,
    _tasks.c.priority,
    _tasks.c.tags,
    _tasks.c.creator_id,
    _tasks.c.due_at,
    _tasks.c.created_at,
    _tasks.c.done_at,
    _tasks.c.deleted_at,
    _tasks.c.snoozed_until,
)
_NEXT_NUMBER = Prepared(
    sa.text(
        "INSERT INTO task_counters (ws, last_number) VALUES (:ws, 1) "
        "ON CONFLICT (ws) DO UPDATE SET last_number = task_counters.last_number + 1 "
        "RETURNING last_number"
    )
)
_TASK_COLUMNS = (
    "ws", "number", "channel", "source", "title", "column", "priority", "tags", "creator_id",
    "due_at", "created_at", "updated_at",
)  # fmt: skip
_INSERT_TASK = Prepared(insert_values(_tasks, _TASK_COLUMNS).returning(_tasks.c.id))
_INSERT_OWNER = Prepared(insert_values(_owners, ("task_id", "user_id")))
_INSERT_EVENT = Prepared(
    insert_values(_events, ("task_id", "at", "actor_id", "kind", "detail", "via")).returning(
        _events.c.id
    )
)
_INSERT_MOVE = Prepared(
    insert_values(
        _moves, ("task_id", "channel", "at", "from_column", "to_column", "seconds", "backward")
    ).inline()
)
_LAST_MOVE = Prepared(
    sa.select(sa.func.max(_moves.c.at)).where(_moves.c.task_id == sa.bindparam("task_id"))
)
_BY_ID = Prepared(sa.select(*_COLS).where(_tasks.c.id == sa.bindparam("task_id")))
_BY_NUMBER = Prepared(
    sa.select(*_COLS).where(
        _tasks.c.ws == sa.bindparam("ws"), _tasks.c.number == sa.bindparam("number")
    )
)
_OWNERS_OF = Prepared(
    sa.select(_owners.c.user_id).where(_owners.c.task_id == sa.bindparam("task_id"))
)
_HISTORY = Prepared(
    sa.select(_events.c.at, _events.c.actor_id, _events.c.kind, _events.c.detail, _events.c.via)
    .where(_events.c.task_id == sa.bindparam("task_id"))
    .order_by(_events.c.id.desc())
    .limit(sa.bindparam("limit"))
)
_CHECKLIST = Prepared(
    sa.select(_checks.c.position, _checks.c.text, _checks.c.done_at.is_not(None))
    .where(_checks.c.task_id == sa.bindparam("task_id"))
    .order_by(_checks.c.position)
)
_OWNER_SEP = "\x1f"  # between a task's owners in one column: no platform's user id holds it
_AGGREGATE = {"sqlite": sa.func.group_concat, "postgresql": sa.func.string_agg}


def _owner_list(dialect: str) -> sa.ScalarSelect[str]:
    """A task's owners in one column, as the dialect joins strings."""
    joined = _AGGREGATE[dialect](_owners.c.user_id, sa.bindparam("sep", _OWNER_SEP))
    return sa.select(joined).where(_owners.c.task_id == _tasks.c.id).scalar_subquery()


_CHANNEL_OPEN = (
    _tasks.c.ws == sa.bindparam("ws"),
    _tasks.c.channel == sa.bindparam("channel"),
    _tasks.c.done_at.is_(None),
    _tasks.c.deleted_at.is_(None),
)
_NO_CAP = 2**62  # "count them all", as a LIMIT both databases take


def _count_of(*where: sa.ColumnElement[bool]) -> sa.Select[int]:
    """How many tasks match ``where``, counting no further than the ``cap`` parameter: a list
    says "1000+" rather than reading 50,000 index entries to say "50,000"."""
    some: sa.Select[Any] = sa.select(sa.literal_column("1")).where(*where)
    some = some.limit(sa.bindparam("cap"))
    return sa.select(sa.func.count()).select_from(some.subquery())


_OPEN_COUNT = Prepared(_count_of(*_CHANNEL_OPEN))
_OPEN_DATED = Prepared(
    {
        dialect: sa.select(*_COLS, _owner_list(dialect))
        .where(*_CHANNEL_OPEN, _tasks.c.due_at.is_not(None))
        .order_by(_tasks.c.due_at, _tasks.c.priority.desc(), _tasks.c.number)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        for dialect in _AGGREGATE
    }
)
_OPEN_DATED_COUNT = Prepared(_count_of(*_CHANNEL_OPEN, _tasks.c.due_at.is_not(None)))
_OPEN_UNDATED = Prepared(
    {
        dialect: sa.select(*_COLS, _owner_list(dialect))
        .where(*_CHANNEL_OPEN, _tasks.c.due_at.is_(None))
        .order_by(_tasks.c.priority.desc(), _tasks.c.number)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        for dialect in _AGGREGATE
    }
)
_BOARD = Prepared(
    sa.select(_boards.c.columns, _boards.c.wip).where(_boards.c.channel == sa.bindparam("channel"))
)


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One task as the commands see it."""

    id: int
    number: int
    channel: str
    source: str
    title: str
    column: str
    priority: int
    tags: tuple[str, ...]
    creator_id: str
    due_at: datetime | None
    created_at: datetime
    done_at: datetime | None
    deleted_at: datetime | None
    snoozed_until: datetime | None
    owners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One line of a task's history: when, who, what kind of change, its detail, and the way in
    when it was not the chat (``"web"``)."""

    at: datetime
    actor_id: str
    kind: str
    detail: str
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who a search is for, when they may not see every task: the tasks of ``channel`` (where
    they are) and, from anywhere, those ``user_id`` created or owns (``commands.access.rules``
    states the rule; this is its SQL)."""

    user_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class BoardConfig:
    """A channel's columns (the last one means done) and WIP limits."""

    columns: tuple[str, ...]
    wip: dict[str, int]

    @property
    def done(self) -> str:
        """The column that means finished."""
        return self.columns[-1]

    @property
    def started(self) -> str:
        """The column ``task start`` moves to: ``doing`` if there is one, else the second."""
        if "doing" in self.columns:
            return "doing"
        return self.columns[1] if len(self.columns) > 2 else self.columns[0]


def _row(v: Any, owners: tuple[str, ...]) -> TaskRow:
    return TaskRow(
        id=int(v[0]),
        number=int(v[1]),
        channel=str(v[2]),
        source=str(v[3]),
        title=str(v[4]),
        column=str(v[5]),
        priority=int(v[6]),
        tags=tuple(str(v[7]).split()),
        creator_id=str(v[8]),
        due_at=v[9],
        created_at=v[10],
        done_at=v[11],
        deleted_at=v[12],
        snoozed_until=v[13],
        owners=owners,
    )


def create(
    conn: sa.Connection,
    *,
    ws: str,
    channel: str,
    source: str,
    title: str,
    column: str,
    priority: int,
    tags: Sequence[str],
    creator_id: str,
    owner_ids: Sequence[str],
    due_at: datetime | None,
    now: datetime,
    via: str | None = None,
) -> TaskRow:
    """Create a task with the next short number of the workspace and its ``created`` history row."""
    [(number,)] = _NEXT_NUMBER.rows(conn, {"ws": ws})
    tag_text = _tag_text(tags)
    values = {
        "ws": ws,
        "number": number,
        "channel": channel,
        "source": source,
        "title": title,
        "column": column,
        "priority": priority,
        "tags": tag_text,
        "creator_id": creator_id,
        "due_at": due_at,
        "created_at": now,
        "updated_at": now,
    }
    [(task_id,)] = _INSERT_TASK.rows(conn, values)
    _INSERT_OWNER.many(conn, [{"task_id": task_id, "user_id": u} for u in owner_ids])
    add_event(
        conn, task_id=task_id, at=now, actor_id=creator_id, kind="created", detail=title, via=via
    )
    return TaskRow(
        task_id, number, channel, source, title, column, priority, tuple(tags), creator_id,
        due_at, now, None, None, None, tuple(owner_ids),
    )  # fmt: skip


def _tag_text(tags: Sequence[str]) -> str:
    """Tags as stored: space separated, with a space at each end so ``LIKE '% tag %'`` finds one."""
    return f" {' '.join(tags)} " if tags else ""


def by_id(conn: sa.Connection, *, task_id: int) -> TaskRow | None:
    """The task with this id (deleted ones too), or None."""
    values = _BY_ID.first(conn, {"task_id": task_id})
    if values is None:
        return None
    owners = tuple(r[0] for r in _OWNERS_OF.rows(conn, {"task_id": task_id}))
    return _row(values, owners)


def get(conn: sa.Connection, *, ws: str, number: int) -> TaskRow | None:
    """The task ``#number`` of a workspace (deleted ones too: callers decide), or None."""
    values = _BY_NUMBER.first(conn, {"ws": ws, "number": number})
    if values is None:
        return None
    owners = tuple(r[0] for r in _OWNERS_OF.rows(conn, {"task_id": values[0]}))
    return _row(values, owners)


def search(
    conn: sa.Connection,
    *,
    ws: str,
    channel: str | None = None,
    owner: str | None = None,
    tag: str | None = None,
    column: str | None = None,
    due_before: datetime | None = None,
    words: Sequence[str] = (),
    open_only: bool = True,
    viewer: Viewer | None = None,
    limit: int = 20,
    offset: int = 0,
    count_up_to: int | None = None,
) -> tuple[list[TaskRow], int]:
    """Tasks matching the filters, most urgent first, at most ``limit`` from ``offset``; plus the
    total count (no more than ``count_up_to``, when given). ``words`` must each appear in the
    title or the tags (any case). With a ``viewer``, only the tasks they may see."""
    cap = _NO_CAP if count_up_to is None else count_up_to
    if (
        channel is not None
        and open_only
        and (viewer is None or viewer.channel == channel)
        and (owner, tag, column, due_before, words) == (None, None, None, None, ())
    ):
        return channel_open(conn, ws=ws, channel=channel, limit=limit, offset=offset, cap=cap)
    where = [_tasks.c.ws == ws, _tasks.c.deleted_at.is_(None)]
    if viewer is not None and channel != viewer.channel:  # their own channel's tasks: all visible
        theirs = sa.select(_owners.c.task_id).where(_owners.c.user_id == viewer.user_id)
        where.append(
            sa.or_(
                _tasks.c.channel == viewer.channel,
                _tasks.c.creator_id == viewer.user_id,
                _tasks.c.id.in_(theirs),
            )
        )
    if channel is not None:
        where.append(_tasks.c.channel == channel)
    if owner is not None:
        mine = sa.select(_owners.c.task_id).where(_owners.c.user_id == owner)
        where.append(_tasks.c.id.in_(mine))
    if tag is not None:
        where.append(_tasks.c.tags.contains(f" {tag} ", autoescape=True))
    if column is not None:
        where.append(_tasks.c.column == column)
    if open_only:
        where.append(_tasks.c.done_at.is_(None))
    if due_before is not None:
        where.append(_tasks.c.due_at < due_before)
    for word in words:
        where.append(
            sa.or_(
                sa.func.lower(_tasks.c.title).contains(word.lower(), autoescape=True),
                _tasks.c.tags.contains(word.lower(), autoescape=True),
            )
        )
    total = int(conn.execute(_count_of(*where), {"cap": cap}).scalar_one())
    if open_only:
        ids = _open_page(conn, where, limit=limit, offset=offset)
    else:
        order = (
            _tasks.c.done_at.is_not(None),
            _tasks.c.due_at.is_(None),
            _tasks.c.due_at,
            -_tasks.c.priority,
            _tasks.c.number,
        )
        page = sa.select(_tasks.c.id).where(*where).order_by(*order).limit(limit).offset(offset)
        ids = [r[0] for r in conn.execute(page)]
    found = {r[0]: r for r in conn.execute(sa.select(*_COLS).where(_tasks.c.id.in_(ids)))}
    rows = [found[i] for i in ids]
    owners = owners_of(conn, [r[0] for r in rows])
    return [_row(r, owners.get(r[0], ())) for r in rows], total


def channel_open(
    conn: sa.Connection, *, ws: str, channel: str, limit: int, offset: int, cap: int = _NO_CAP
) -> tuple[list[TaskRow], int]:
    """A page of a channel's open tasks, in ``search``'s order, and how many there are (no more
    than ``cap``): the list people ask for most, read with prepared statements (rows and owners
    together) from the open-tasks index."""
    here = {"ws": ws, "channel": channel}

    def dated_count(up_to: int) -> int:
        [(counted,)] = _OPEN_DATED_COUNT.rows(conn, {**here, "cap": up_to})
        return int(counted)

    found = _urgency_page(
        lambda n, skip: _OPEN_DATED.rows(conn, {**here, "limit": n, "offset": skip}),
        dated_count,
        lambda n, skip: _OPEN_UNDATED.rows(conn, {**here, "limit": n, "offset": skip}),
        limit=limit,
        offset=offset,
    )
    if offset == 0 and len(found) < limit:
        total = len(found)  # the whole list is on this page
    else:
        [(counted,)] = _OPEN_COUNT.rows(conn, {**here, "cap": cap})
        total = int(counted)
    return [_row(r, tuple(r[-1].split(_OWNER_SEP)) if r[-1] else ()) for r in found], total


def _open_page(
    conn: sa.Connection, where: Sequence[sa.ColumnElement[bool]], *, limit: int, offset: int
) -> list[int]:
    """The ids of one page of the open tasks matching ``where``, in ``_urgency_page``'s order."""
    dated = sa.select(_tasks.c.id).where(*where, _tasks.c.due_at.is_not(None))
    dated = dated.order_by(_tasks.c.due_at, _tasks.c.priority.desc(), _tasks.c.number)
    undated = sa.select(_tasks.c.id).where(*where, _tasks.c.due_at.is_(None))
    undated = undated.order_by(_tasks.c.priority.desc(), _tasks.c.number)
    dated_count = _count_of(*where, _tasks.c.due_at.is_not(None))
    rows = _urgency_page(
        lambda n, skip: list(conn.execute(dated.limit(n).offset(skip))),
        lambda up_to: int(conn.execute(dated_count, {"cap": up_to}).scalar_one()),
        lambda n, skip: list(conn.execute(undated.limit(n).offset(skip))),
        limit=limit,
        offset=offset,
    )
    return [r[0] for r in rows]


def _urgency_page(
    dated: Callable[[int, int], list[Row]],
    dated_count: Callable[[int], int],
    undated: Callable[[int, int], list[Row]],
    *,
    limit: int,
    offset: int,
) -> list[Row]:
    """One page of open tasks, most urgent first: those with a due date (soonest, then highest
    priority, then oldest), then those without. ``dated`` and ``undated`` read ``(limit,
    offset)`` of each part in the order of the open-tasks index, so a page costs the same with 50
    or 50,000 open tasks in the channel (one sorted query would sort them all); ``dated_count``
    counts the dated ones, up to a number."""
    found = dated(limit, offset)
    if len(found) == limit:
        return found
    # Either this page holds the last dated ones, or it starts among the undated ones, after
    # fewer than ``offset`` dated ones.
    undated_offset = 0 if found or offset == 0 else offset - dated_count(offset)
    return found + undated(limit - len(found), undated_offset)


def owners_of(conn: sa.Connection, task_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Owners per task id, for a page of tasks."""
    if not task_ids:
        return {}
    found: dict[int, list[str]] = {}
    query = sa.select(_owners.c.task_id, _owners.c.user_id).where(_owners.c.task_id.in_(task_ids))
    for task_id, user_id in conn.execute(query):
        found.setdefault(task_id, []).append(user_id)
    return {k: tuple(v) for k, v in found.items()}


def update(conn: sa.Connection, *, task_id: int, now: datetime, **values: object) -> None:
    """Change columns of one task (``column``, ``title``, ``due_at``, ``done_at``…)."""
    _update_of(tuple(sorted(values))).count(conn, {**values, "updated_at": now, "id_": task_id})


@functools.cache
def _update_of(columns: tuple[str, ...]) -> Prepared:
    """The statement that changes these columns of one task, compiled on first use: a handful of
    column sets exist (a move, a rename, a new due date…), and a move runs one on every message."""
    changed: dict[str, Any] = {name: sa.bindparam(name) for name in (*columns, "updated_at")}
    return Prepared(_tasks.update().where(_tasks.c.id == sa.bindparam("id_")).values(changed))


def set_tags(conn: sa.Connection, *, task_id: int, tags: Sequence[str], now: datetime) -> None:
    """Replace a task's tags."""
    update(conn, task_id=task_id, now=now, tags=_tag_text(tags))


def move_column(conn: sa.Connection, *, channel: str, old: str, new: str, now: datetime) -> int:
    """Move every task of ``channel`` in column ``old`` (deleted ones too, so a restored task
    lands on the board) to ``new``; how many moved."""
    result = conn.execute(
        _tasks.update()
        .where(_tasks.c.channel == channel, _tasks.c.column == old)
        .values(column=new, updated_at=now)
    )
    return int(result.rowcount)


def set_owners(conn: sa.Connection, *, task_id: int, owner_ids: Sequence[str]) -> None:
    """Replace a task's owners."""
    conn.execute(_owners.delete().where(_owners.c.task_id == task_id))
    _INSERT_OWNER.many(conn, [{"task_id": task_id, "user_id": u} for u in owner_ids])


def add_event(
    conn: sa.Connection,
    *,
    task_id: int,
    at: datetime,
    actor_id: str,
    kind: str,
    detail: str = "",
    via: str | None = None,
) -> int:
    """Append one history line; its id (what names this change for good). ``via`` names the way
    in when it was not the chat ("web")."""
    row = {
        "task_id": task_id,
        "at": at,
        "actor_id": actor_id,
        "kind": kind,
        "detail": detail,
        "via": via,
    }
    [(event_id,)] = _INSERT_EVENT.rows(conn, row)
    return int(event_id)


def record_move(
    conn: sa.Connection,
    *,
    task: TaskRow,
    column: str,
    backward: bool,
    at: datetime,
    actor_id: str,
    via: str | None = None,
) -> int:
    """Write ``task``'s move into ``column``: its history line (whose id is returned), and its
    flow fact (how long it sat in the column it leaves: since its last move, or since it was
    created)."""
    [(last,)] = _LAST_MOVE.rows(conn, {"task_id": task.id})
    entered = last or task.created_at
    fact = {
        "task_id": task.id,
        "channel": task.channel,
        "at": at,
        "from_column": task.column,
        "to_column": column,
        "seconds": max(0, int((at - entered).total_seconds())),
        "backward": backward,
    }
    _INSERT_MOVE.count(conn, fact)
    detail = f"{task.column} → {column}"
    return add_event(
        conn, task_id=task.id, at=at, actor_id=actor_id, kind="moved", detail=detail, via=via
    )


def history(conn: sa.Connection, *, task_id: int, limit: int = 30) -> list[HistoryLine]:
    """The newest history lines, oldest first."""
    rows = _HISTORY.rows(conn, {"task_id": task_id, "limit": limit})
    return [HistoryLine(r[0], str(r[1]), str(r[2]), str(r[3]), r[4]) for r in reversed(rows)]


def checklist(conn: sa.Connection, *, task_id: int) -> list[tuple[int, str, bool]]:
    """Checklist lines: position, text, done."""
    rows = _CHECKLIST.rows(conn, {"task_id": task_id})
    return [(int(r[0]), str(r[1]), bool(r[2])) for r in rows]


def add_check(conn: sa.Connection, *, task_id: int, text: str) -> int:
    """Append a checklist line; returns its position (1-based)."""
    last = conn.execute(
        sa.select(sa.func.max(_checks.c.position)).where(_checks.c.task_id == task_id)
    ).scalar()
    position = int(last or 0) + 1
    conn.execute(_checks.insert().values(task_id=task_id, position=position, text=text))
    return position


def toggle_check(
    conn: sa.Connection, *, task_id: int, position: int, actor_id: str, now: datetime
) -> tuple[str, bool] | None:
    """Tick (or untick) checklist line ``position``; its text and new state, or None if absent."""
    row = conn.execute(
        sa.select(_checks.c.id, _checks.c.text, _checks.c.done_at).where(
            _checks.c.task_id == task_id, _checks.c.position == position
        )
    ).first()
    if row is None:
        return None
    done = row[2] is None
    conn.execute(
        _checks.update()
        .where(_checks.c.id == row[0])
        .values(done_at=now if done else None, done_by=actor_id if done else None)
    )
    return str(row[1]), done


def parse_columns(text: str) -> tuple[str, ...]:
    """A board's stored column list (JSON) as names, in order."""
    return tuple(str(name) for name in json.loads(text))


def board(conn: sa.Connection, *, channel: str) -> BoardConfig:
    """The channel's board, or the default columns."""
    row = _BOARD.first(conn, {"channel": channel})
    if row is None:
        return BoardConfig(DEFAULT_COLUMNS, {})
    return BoardConfig(parse_columns(row[0]), {k: int(v) for k, v in json.loads(row[1]).items()})


def save_board(conn: sa.Connection, *, channel: str, config: BoardConfig) -> None:
    """Store a channel's columns and WIP limits."""
    values = {"columns": json.dumps(list(config.columns)), "wip": json.dumps(config.wip)}
    if conn.execute(
        _boards.update().where(_boards.c.channel == channel).values(**values)
    ).rowcount:
        return
    conn.execute(_boards.insert().values(channel=channel, **values))


def column_counts(conn: sa.Connection, *, ws: str, channel: str) -> dict[str, int]:
    """How many live tasks each column of a channel holds."""
    rows = conn.execute(
        sa.select(_tasks.c.column, sa.func.count())
        .where(_tasks.c.ws == ws, _tasks.c.channel == channel, _tasks.c.deleted_at.is_(None))
        .group_by(_tasks.c.column)
    ).all()
    return {str(c): int(n) for c, n in rows}
