"""The flow of a team's tasks, for the dashboard's metrics page: cycle time, time in each column,
throughput, work in progress over time, bounces and overdue tasks (what each means:
:mod:`storage.metrics`).

Tasks are read through the channel index that covers their moments, and their moves from the
``task_moves`` facts through the index that covers them, so a page over months of work reads index
ranges only and hands Python one value per group, not one row per move.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage import tasks
from storage.metrics import (
    Scope,
    Spread,
    days_between,
    epoch,
    in_channels,
    joined,
    numbers,
    per_week,
    spread,
    weeks_between,
)
from storage.models import Board, Task, TaskMove
from storage.types import table

_tasks = table(Task)
_moves = table(TaskMove)
_boards = table(Board)


@dataclass(frozen=True, slots=True)
class Flow:
    """The task figures of one window."""

    cycle: Spread
    in_column: list[tuple[str, Spread]]
    throughput: list[tuple[date, int]]  # finished per week (the week's Monday)
    wip: list[tuple[date, int]]  # open at each day's end
    moves: int
    bounces: int
    bounced_tasks: int
    overdue: int


def _day_end(day: date, tz: ZoneInfo, now: datetime) -> float:
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return min(end, now).timestamp()


def flow(
    conn: sa.Connection, *, scope: Scope, since: datetime, now: datetime, tz: ZoneInfo
) -> Flow:
    """Cycle time, time per column, throughput, work in progress, bounces and overdue tasks."""
    cycles, finished, created = _finished(conn, scope, since)
    still_open, overdue = _open(conn, scope, now)
    opened = sorted(created + still_open)
    finished.sort()
    weeks = weeks_between(since, now, tz)
    wip = [
        (day, bisect_right(opened, t) - bisect_right(finished, t))
        for day in days_between(since, now, tz)
        for t in (_day_end(day, tz, now),)
    ]
    columns, moves, bounces, bounced = _moves_in_window(conn, scope, since)
    return Flow(
        cycle=spread(cycles),
        in_column=columns,
        throughput=list(zip(weeks, per_week(finished, weeks, tz), strict=True)),
        wip=wip,
        moves=moves,
        bounces=bounces,
        bounced_tasks=bounced,
        overdue=overdue,
    )


def _finished(
    conn: sa.Connection, scope: Scope, since: datetime
) -> tuple[list[int], list[int], list[int]]:
    """Of the tasks finished in the window: cycle times, finishing and creation moments."""
    created, done = epoch(conn, _tasks.c.created_at), epoch(conn, _tasks.c.done_at)
    row = conn.execute(
        sa.select(joined(conn, done - created), joined(conn, done), joined(conn, created)).where(
            in_channels(_tasks.c.channel, scope.channels),
            _tasks.c.done_at >= since,
            _tasks.c.deleted_at.is_(None),
        )
    ).one()
    return numbers(row[0]), numbers(row[1]), numbers(row[2])


def _open(conn: sa.Connection, scope: Scope, now: datetime) -> tuple[list[int], int]:
    """Creation moments of the open tasks, and how many of them are overdue."""
    overdue = sa.case((_tasks.c.due_at < now, 1), else_=0)
    row = conn.execute(
        sa.select(joined(conn, epoch(conn, _tasks.c.created_at)), sa.func.sum(overdue)).where(
            in_channels(_tasks.c.channel, scope.channels),
            _tasks.c.done_at.is_(None),
            _tasks.c.deleted_at.is_(None),
        )
    ).one()
    return numbers(row[0]), int(row[1] or 0)


def _moves_in_window(
    conn: sa.Connection, scope: Scope, since: datetime
) -> tuple[list[tuple[str, Spread]], int, int, int]:
    """How long tasks sat in each column they left in the window (columns in board order), how
    many moves there were, how many went back to an earlier column, and how many tasks did."""
    bounced = sa.case((_moves.c.backward, _moves.c.task_id))  # NULL (left out) otherwise
    rows = conn.execute(
        sa.select(
            _moves.c.from_column,
            joined(conn, _moves.c.seconds),
            sa.func.sum(sa.case((_moves.c.backward, 1), else_=0)),
            joined(conn, bounced),
        )
        .where(in_channels(_moves.c.channel, scope.channels), _moves.c.at >= since)
        .group_by(_moves.c.from_column)
    ).all()
    spent = {str(row[0]): numbers(row[1]) for row in rows}
    rank = _column_ranks(conn, scope)
    ordered = sorted(spent, key=lambda c: (rank.get(c, len(rank)), c))
    columns = [(column, spread(spent[column])) for column in ordered]
    moves = sum(len(v) for v in spent.values())
    backward = sum(int(row[2] or 0) for row in rows)
    tasks_back = len({v for row in rows for v in numbers(row[3])})
    return columns, moves, backward, tasks_back


def _column_ranks(conn: sa.Connection, scope: Scope) -> dict[str, int]:
    """Each column's earliest place on the boards of the scope (the default board's too)."""
    query = sa.select(_boards.c.columns).where(in_channels(_boards.c.channel, scope.channels))
    boards = [
        tasks.DEFAULT_COLUMNS,
        *(tasks.parse_columns(str(t)) for t in conn.execute(query).scalars()),
    ]
    rank: dict[str, int] = {}
    for columns in boards:
        for place, column in enumerate(columns):
            rank[column] = min(place, rank.get(column, place))
    return rank
