"""What the web dashboard shows of a channel's board: its columns with their counts and the cards
in them, and one task in full (SQLAlchemy Core, keyword-only arguments).

A board page is a few queries whatever the database holds: the open tasks of one channel (through
the channel index), the latest finished ones, and their owners and checklist counts for that page
of ids only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage import tasks
from storage.models import ChecklistItem, Task, TaskEvent, TaskOwner
from storage.tasks import BoardConfig, HistoryLine
from storage.types import table

_tasks = table(Task)
_owners = table(TaskOwner)
_checks = table(ChecklistItem)
_events = table(TaskEvent)

OPEN_PER_COLUMN = 300  # beyond this a column says how many more it holds
DONE_SHOWN = 30  # the latest finished tasks; the rest are history
HISTORY_SHOWN = 1000  # a task's whole history, but for a runaway one


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """Which cards to show: owned by ``owner``, tagged ``tag``, due before ``due_before``."""

    owner: str | None = None
    tag: str | None = None
    due_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class CardRow:
    """One card: what the board shows of a task."""

    number: int
    title: str
    column: str
    priority: int
    tags: tuple[str, ...]
    due_at: datetime | None
    done_at: datetime | None
    owners: tuple[str, ...] = ()
    checks_done: int = 0
    checks_total: int = 0


@dataclass(frozen=True, slots=True)
class BoardView:
    """A channel's board: columns (the configured ones, then any a task still sits in), live task
    counts per column (what WIP limits count), the cards shown per column and how many more
    there are, and the tags and owners of its open cards (the filters' choices)."""

    config: BoardConfig
    columns: tuple[str, ...]
    counts: dict[str, int]
    cards: dict[str, list[CardRow]]
    more: dict[str, int] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TaskDetail:
    """One task in full: its card, creator, checklist (position, text, done) and history."""

    card: CardRow
    channel: str
    creator_id: str
    created_at: datetime
    checklist: list[tuple[int, str, bool]]
    history: list[HistoryLine]


_CARD_COLS = (
    _tasks.c.id,
    _tasks.c.number,
    _tasks.c.title,
    _tasks.c.column,
    _tasks.c.priority,
    _tasks.c.tags,
    _tasks.c.due_at,
    _tasks.c.done_at,
)


def _filtered(where: list[sa.ColumnElement[bool]], filters: BoardFilter) -> None:
    if filters.owner is not None:
        theirs = sa.select(_owners.c.task_id).where(_owners.c.user_id == filters.owner)
        where.append(_tasks.c.id.in_(theirs))
    if filters.tag is not None:
        where.append(_tasks.c.tags.contains(f" {filters.tag} ", autoescape=True))


def _passes(card: CardRow, filters: BoardFilter) -> bool:
    """The filters of :func:`_filtered`, for cards already read (and the due date's)."""
    if filters.owner is not None and filters.owner not in card.owners:
        return False
    if filters.tag is not None and filters.tag not in card.tags:
        return False
    due_before = filters.due_before
    return due_before is None or (card.due_at is not None and card.due_at < due_before)


def _open_ids(channel: str) -> sa.Select[tuple[int]]:
    return sa.select(_tasks.c.id).where(
        _tasks.c.channel == channel, _tasks.c.done_at.is_(None), _tasks.c.deleted_at.is_(None)
    )


def _of_cards(column: Any, channel: str, finished: Sequence[int]) -> sa.ColumnElement[bool]:
    """``column`` is a task id of the channel's open tasks or of the ``finished`` ones shown
    (a subquery rather than hundreds of bound ids: one index range instead of a long list)."""
    return sa.or_(column.in_(_open_ids(channel)), column.in_(finished))


def _cards(
    conn: sa.Connection, channel: str, rows: Sequence[Sequence[Any]], finished: Sequence[int]
) -> list[CardRow]:
    """Cards from ``_CARD_COLS`` rows of ``channel``, with their owners and checklist counts."""
    owners: dict[int, list[str]] = {}
    query = sa.select(_owners.c.task_id, _owners.c.user_id).where(
        _of_cards(_owners.c.task_id, channel, finished)
    )
    for task_id, user_id in conn.execute(query):
        owners.setdefault(task_id, []).append(str(user_id))
    checks = {
        int(task_id): (int(done), int(total))
        for task_id, done, total in conn.execute(
            sa.select(_checks.c.task_id, sa.func.count(_checks.c.done_at), sa.func.count())
            .where(_of_cards(_checks.c.task_id, channel, finished))
            .group_by(_checks.c.task_id)
        )
    }
    cards = []
    for task_id, number, title, column, priority, tag_text, due_at, done_at in rows:
        done, total = checks.get(task_id, (0, 0))
        cards.append(
            CardRow(
                number=int(number),
                title=str(title),
                column=str(column),
                priority=int(priority),
                tags=tuple(str(tag_text).split()),
                due_at=due_at,
                done_at=done_at,
                owners=tuple(owners.get(task_id, ())),
                checks_done=done,
                checks_total=total,
            )
        )
    return cards


def board_view(
    conn: sa.Connection, *, ws: str, channel: str, filters: BoardFilter = BoardFilter()
) -> BoardView:
    """The board of ``channel``: every open card that passes ``filters`` (up to
    ``OPEN_PER_COLUMN`` a column) and the ``DONE_SHOWN`` latest finished ones.

    The open cards are read whole (a channel holds hundreds, not millions) and filtered here,
    so the filters' choices (the tags and owners on the board) come with them."""
    config = tasks.board(conn, channel=channel)
    live = [_tasks.c.ws == ws, _tasks.c.channel == channel, _tasks.c.deleted_at.is_(None)]
    open_rows = conn.execute(
        sa.select(*_CARD_COLS)
        .where(*live, _tasks.c.done_at.is_(None), _tasks.c.column != config.done)
        .order_by(-_tasks.c.priority, _tasks.c.due_at.is_(None), _tasks.c.due_at, _tasks.c.number)
    ).all()
    done_rows: Sequence[Sequence[Any]] = []
    if filters.due_before is None:  # finished tasks are never overdue
        _filtered(live, filters)
        done_rows = conn.execute(
            sa.select(*_CARD_COLS)
            .where(*live, _tasks.c.done_at.is_not(None))
            .order_by(_tasks.c.done_at.desc(), _tasks.c.number.desc())
            .limit(DONE_SHOWN)
        ).all()
    cards = _cards(conn, channel, [*open_rows, *done_rows], [int(r[0]) for r in done_rows])
    open_cards = cards[: len(open_rows)]
    by_column: dict[str, list[CardRow]] = {}
    for card in [c for c in open_cards if _passes(c, filters)] + cards[len(open_rows) :]:
        by_column.setdefault(card.column, []).append(card)
    stray = sorted(set(by_column) - set(config.columns))  # left behind by a change of columns
    more = {c: len(v) - OPEN_PER_COLUMN for c, v in by_column.items() if len(v) > OPEN_PER_COLUMN}
    return BoardView(
        config=config,
        columns=(*config.columns[:-1], *stray, config.done),
        counts=_counts(conn, ws=ws, channel=channel, config=config, cards=open_cards),
        cards={c: v[:OPEN_PER_COLUMN] for c, v in by_column.items()},
        more=more,
        tags=sorted({tag for card in open_cards for tag in card.tags}),
        owners=sorted({owner for card in open_cards for owner in card.owners}),
    )


def _counts(
    conn: sa.Connection, *, ws: str, channel: str, config: BoardConfig, cards: Sequence[CardRow]
) -> dict[str, int]:
    """Tasks per column: the open ones, counted from the cards read; the finished column's only
    when it has a WIP limit (its count is then every task in it, as ``task move`` counts)."""
    counts = Counter(card.column for card in cards)
    if config.done in config.wip:
        counts[config.done] = tasks.column_counts(conn, ws=ws, channel=channel).get(config.done, 0)
    return dict(counts)


def version(conn: sa.Connection, *, channel: str, now: datetime) -> str:
    """What changes whenever the channel's board would look different at ``now``: the latest
    history line of the tasks it shows (every change writes one), how many live tasks it has
    (a deletion or a restore), how many are overdue, and its columns and limits. Index reads
    only, a few milliseconds: what an open board's live refresh asks every few seconds."""
    finished = (
        sa.select(_tasks.c.id)
        .where(_tasks.c.channel == channel, _tasks.c.done_at.is_not(None))
        .order_by(_tasks.c.done_at.desc())
        .limit(DONE_SHOWN)
        .subquery()
    )
    shown = sa.or_(
        _events.c.task_id.in_(_open_ids(channel)),
        _events.c.task_id.in_(sa.select(finished.c.id)),
    )
    latest = conn.execute(sa.select(sa.func.max(_events.c.id)).where(shown)).scalar()
    overdue = sa.case((sa.and_(_tasks.c.done_at.is_(None), _tasks.c.due_at < now), 1), else_=0)
    live, late = conn.execute(
        sa.select(sa.func.count(), sa.func.sum(overdue)).where(
            _tasks.c.channel == channel, _tasks.c.deleted_at.is_(None)
        )
    ).one()
    config = tasks.board(conn, channel=channel)
    return f"{latest}|{live}|{late}|{config.columns}|{sorted(config.wip.items())}"


def detail(conn: sa.Connection, *, ws: str, number: int) -> TaskDetail | None:
    """Task ``#number`` of a workspace in full, or None when there is none (or it was deleted)."""
    task = tasks.get(conn, ws=ws, number=number)
    if task is None or task.deleted_at is not None:
        return None
    checklist = tasks.checklist(conn, task_id=task.id)
    card = CardRow(
        number=task.number,
        title=task.title,
        column=task.column,
        priority=task.priority,
        tags=task.tags,
        due_at=task.due_at,
        done_at=task.done_at,
        owners=task.owners,
        checks_done=sum(1 for _, _, done in checklist if done),
        checks_total=len(checklist),
    )
    history = tasks.history(conn, task_id=task.id, limit=HISTORY_SHOWN)
    return TaskDetail(card, task.channel, task.creator_id, task.created_at, checklist, history)


def open_counts(conn: sa.Connection, *, channels: Sequence[str]) -> dict[str, int]:
    """How many open tasks each of ``channels`` has (channels without any are left out)."""
    if not channels:
        return {}
    query = (
        sa.select(_tasks.c.channel, sa.func.count())
        .where(
            _tasks.c.channel.in_(channels),
            _tasks.c.done_at.is_(None),
            _tasks.c.deleted_at.is_(None),
        )
        .group_by(_tasks.c.channel)
    )
    return {str(channel): int(count) for channel, count in conn.execute(query)}
