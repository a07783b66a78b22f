"""How a team works, for the dashboard's metrics page: what every figure shares (scopes, windows,
spreads, moments read by the database), FAQ lookups and escalations, and standup runs; the flow of
tasks is :mod:`storage.flow`.

Every figure covers a window (``since`` to ``now``) and a scope (one channel, several, or a whole
workspace). Moments are read as whole seconds since the epoch, computed by the database, so tens
of thousands of rows cost no datetime objects; days and weeks are the reader's (``tz``), weeks
starting on Monday. Deleted tasks are left out everywhere: they were not work.

Definitions (what the page's labels mean):

- cycle time: finished in the window, from creation to the move into the board's last column;
- time in a column: for each move out of a column in the window, how long the task had been in it;
- bounce: a move in the window to a column earlier on the board than the one it left;
- work in progress on a day: tasks created and not finished at that day's end (or now);
- overdue: open tasks whose due date has passed;
- FAQ first response: from an escalation to the first reply by a person; a breach is a first
  response after the SLA's due time, or none by then;
- FAQ deflection: lookups Baton answered from the FAQ, unless the asker said it did not help;
- standup participation: answered runs over those that asked for an answer and have closed
  (time off, holidays and runs Baton missed count for neither).
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.faq_escalations import ESCALATIONS, QUESTIONS
from storage.models_standups import Standup, StandupRun
from storage.types import table

_standups = table(Standup)
_runs = table(StandupRun)

_UNIX_EPOCH_JULIAN_DAY = 2440587.5
EXCUSED = frozenset({"away", "holiday", "missed"})  # runs that asked nobody for an answer


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures: these channels of one workspace (a whole team is all of its channels)."""

    ws: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Spread:
    """A set of durations in seconds: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class Faq:
    """The FAQ figures of one window: lookups, escalations and the questions left unanswered."""

    questions: int
    answered: int
    weekly: list[tuple[date, int, int]]  # (week, lookups, answered from the FAQ)
    escalations: int
    first_response: Spread
    breaches: int
    unanswered: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Standups:
    """Standup participation of one window, overall and per day."""

    answered: int
    expected: int
    daily: list[tuple[date, int, int]]  # (day, answered, expected)


def quantile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of sorted values, interpolating linearly between the two nearest ranks
    (a median of 1, 2, 3, 4 is 2.5), to a thousandth (no float noise in seconds); None for
    no values."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 3)


def spread(values: Sequence[float]) -> Spread:
    """Count, median and 90th percentile of ``values``."""
    ordered = sorted(values)
    return Spread(len(ordered), quantile(ordered, 0.5), quantile(ordered, 0.9))


def epoch(conn: sa.Connection, column: Any) -> Any:
    """Whole seconds since the epoch of a stored moment, computed by the database (on SQLite from
    the Julian day, twice as fast as formatting it with ``strftime('%s')``)."""
    if conn.dialect.name == "sqlite":
        seconds = (sa.func.julianday(column) - _UNIX_EPOCH_JULIAN_DAY) * 86400
        return sa.cast(sa.func.round(seconds), sa.Integer)
    return sa.cast(sa.func.round(sa.extract("epoch", column)), sa.BigInteger)


def in_channels(column: Any, channels: Sequence[str], *, threads: bool = False) -> Any:
    """``column`` names one of ``channels`` (or a thread in one, with ``threads``)."""
    if not channels:
        return sa.false()
    exact = column.in_(channels)
    if not threads:
        return exact
    return sa.or_(exact, *(column.startswith(f"{c}/", autoescape=True) for c in channels))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def days_between(since: datetime, now: datetime, tz: ZoneInfo) -> list[date]:
    """The reader's days from ``since`` to ``now``, both included."""
    first, last = since.astimezone(tz).date(), now.astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def weeks_between(since: datetime, now: datetime, tz: ZoneInfo) -> list[date]:
    """The Mondays of the reader's weeks from ``since`` to ``now``, both included."""
    first = _monday(since.astimezone(tz).date())
    last = _monday(now.astimezone(tz).date())
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def per_week(ordered: Sequence[float], weeks: Sequence[date], tz: ZoneInfo) -> list[int]:
    """How many of the sorted moments fall in each of ``weeks`` (Mondays, in ``tz``)."""
    edges = [datetime.combine(w, time(), tz).timestamp() for w in weeks]
    edges.append(datetime.combine(weeks[-1] + timedelta(weeks=1), time(), tz).timestamp())
    positions = [bisect_left(ordered, edge) for edge in edges]
    return [b - a for a, b in itertools.pairwise(positions)]


def numbers(text: object) -> list[int]:
    """The values of a :func:`_joined` aggregate (None for an empty group)."""
    return list(map(int, str(text).split(","))) if text is not None else []


def joined(conn: sa.Connection, column: Any) -> Any:
    """The values of an integer ``column`` in a group, as one comma-separated text: a group of
    thousands crosses from the database as one value, not as thousands of rows."""
    if conn.dialect.name == "sqlite":
        return sa.func.group_concat(column)
    return sa.func.string_agg(sa.cast(column, sa.Text), ",")


def faq(conn: sa.Connection, *, scope: Scope, since: datetime, now: datetime, tz: ZoneInfo) -> Faq:
    """Lookups and how many the FAQ answered (per week), escalations, their first responses and
    SLA breaches, and the questions it did not answer (for the knowledge gaps)."""
    asked = conn.execute(
        sa.select(
            epoch(conn, QUESTIONS.c.asked_at),
            QUESTIONS.c.decision,
            QUESTIONS.c.helpful,
            QUESTIONS.c.text,
        ).where(
            QUESTIONS.c.ws == scope.ws,
            QUESTIONS.c.asked_at >= since,
            in_channels(QUESTIONS.c.place, scope.channels, threads=True),
        )
    ).all()
    answered = sorted(float(r[0]) for r in asked if r[1] == "answer" and r[2] is not False)
    weeks = weeks_between(since, now, tz)
    lookups = per_week(sorted(float(r[0]) for r in asked), weeks, tz)
    helped = per_week(answered, weeks, tz)
    unanswered = [str(r[3]) for r in asked if r[1] == "escalate" or r[2] is False]
    escalated = conn.execute(
        sa.select(
            epoch(conn, ESCALATIONS.c.created_at),
            epoch(conn, ESCALATIONS.c.first_response_at),
            epoch(conn, ESCALATIONS.c.due_at),
        ).where(
            ESCALATIONS.c.ws == scope.ws,
            ESCALATIONS.c.created_at >= since,
            in_channels(ESCALATIONS.c.place, scope.channels, threads=True),
        )
    ).all()
    end = now.timestamp()
    responses = [float(r[1]) - float(r[0]) for r in escalated if r[1] is not None]
    breaches = sum(1 for r in escalated if float(end if r[1] is None else r[1]) > float(r[2]))
    return Faq(
        questions=len(asked),
        answered=len(answered),
        weekly=list(zip(weeks, lookups, helped, strict=True)),
        escalations=len(escalated),
        first_response=spread(responses),
        breaches=breaches,
        unanswered=unanswered,
    )


def standups(
    conn: sa.Connection, *, scope: Scope, since: datetime, now: datetime, tz: ZoneInfo
) -> Standups:
    """Answered runs over expected ones, per participant's day, for runs prompted in the window
    whose answer window has closed (or that were answered already)."""
    rows = conn.execute(
        sa.select(_runs.c.day, _runs.c.status)
        .join(_standups, _standups.c.id == _runs.c.standup_id)
        .where(
            _standups.c.ws == scope.ws,
            in_channels(_standups.c.channel, scope.channels),
            _runs.c.prompt_at >= since,
            _runs.c.status.not_in(EXCUSED),
            sa.or_(_runs.c.status == "answered", _runs.c.closes_at <= now),
        )
    ).all()
    per_day: dict[date, list[int]] = {d: [0, 0] for d in days_between(since, now, tz)}
    for day_text, status in rows:
        counts = per_day.setdefault(date.fromisoformat(str(day_text)), [0, 0])
        counts[0] += status == "answered"
        counts[1] += 1
    daily = [(d, a, e) for d, (a, e) in sorted(per_day.items())]
    return Standups(
        answered=sum(a for _, a, _ in daily), expected=sum(e for _, _, e in daily), daily=daily
    )
