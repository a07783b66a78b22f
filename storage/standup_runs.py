"""Standup occurrences: one row per person and day (``standup_runs``) and per standup and day
(``standup_days``). Both are inserted with "insert or ignore" on their unique keys and moved on with
conditional UPDATEs, so late, doubled or concurrent ticks cannot prompt, nudge or post twice."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from storage.models_standups import StandupDay, StandupRun
from storage.types import table

_runs = table(StandupRun)
_days = table(StandupDay)
OPEN = "prompted"


@dataclass(frozen=True, slots=True)
class RunRow:
    """One person's occurrence and their answers so far."""

    id: int
    standup_id: int
    user_id: str
    day: str
    status: str
    step: int
    answers: tuple[str, ...]
    blocker: str | None
    prompt_at: datetime
    closes_at: datetime
    answered_at: datetime | None


_RUN_COLUMNS = [
    _runs.c[name]
    for name in (
        "id", "standup_id", "user_id", "day", "status", "step", "answers", "blocker",
        "prompt_at", "closes_at", "answered_at",
    )
]  # fmt: skip


def _run(row: Sequence[Any]) -> RunRow:
    values = list(row)
    values[6] = tuple(json.loads(values[6]))
    return RunRow(*values)


def _insert_ignore(conn: sa.Connection, table: sa.Table) -> sa.Insert:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def insert_run(conn: sa.Connection, *, values: Mapping[str, object]) -> bool:
    """Create a person's occurrence; False when it already exists (answered early, or claimed)."""
    return conn.execute(_insert_ignore(conn, _runs), dict(values)).rowcount == 1


def get_run(conn: sa.Connection, *, run_id: int) -> RunRow | None:
    """One occurrence by id."""
    row = conn.execute(sa.select(*_RUN_COLUMNS).where(_runs.c.id == run_id)).first()
    return _run(row) if row else None


def find_run(conn: sa.Connection, *, standup_id: int, user_id: str, day: str) -> RunRow | None:
    """One person's occurrence of one standup on one day."""
    row = conn.execute(
        sa.select(*_RUN_COLUMNS).where(
            _runs.c.standup_id == standup_id, _runs.c.user_id == user_id, _runs.c.day == day
        )
    ).first()
    return _run(row) if row else None


def open_run(conn: sa.Connection, *, ws: str, user_id: str) -> RunRow | None:
    """The conversation a person is in (the earliest open one), if any."""
    row = conn.execute(
        sa.select(*_RUN_COLUMNS)
        .where(_runs.c.ws == ws, _runs.c.user_id == user_id, _runs.c.status == OPEN)
        .order_by(_runs.c.prompt_at, _runs.c.id)
        .limit(1)
    ).first()
    return _run(row) if row else None


def latest_runs(conn: sa.Connection, *, ws: str, user_id: str, limit: int = 5) -> list[RunRow]:
    """A person's most recent occurrences, newest first (for ``standup edit``)."""
    rows = conn.execute(
        sa.select(*_RUN_COLUMNS)
        .where(_runs.c.ws == ws, _runs.c.user_id == user_id)
        .order_by(_runs.c.prompt_at.desc(), _runs.c.id.desc())
        .limit(limit)
    ).all()
    return [_run(row) for row in rows]


def update_run(
    conn: sa.Connection, *, run_id: int, values: Mapping[str, object], status: str | None = None
) -> bool:
    """Change an occurrence; with ``status``, only if it still has that status (a claim)."""
    stmt = _runs.update().where(_runs.c.id == run_id)
    if status is not None:
        stmt = stmt.where(_runs.c.status == status)
    return conn.execute(stmt.values(**values)).rowcount == 1


def end_open_run(
    conn: sa.Connection, *, standup_id: int, user_id: str, day: date, status: str
) -> None:
    """Close a person's open conversation for ``day`` as ``status`` (holiday, away)."""
    conn.execute(
        _runs.update()
        .where(
            _runs.c.standup_id == standup_id,
            _runs.c.user_id == user_id,
            _runs.c.day == day.isoformat(),
            _runs.c.status == OPEN,
        )
        .values(status=status)
    )


def _closed_status() -> sa.Case[Any]:
    """What an open conversation becomes when its time is up: answered when it had been answered
    before (an edit left unfinished keeps every answer it did not replace), else unanswered."""
    return sa.case((_runs.c.answered_at.is_not(None), "answered"), else_="unanswered")


def expire_open(conn: sa.Connection, *, before: datetime) -> int:
    """Close conversations whose window ended before ``before``; returns how many."""
    return conn.execute(
        _runs.update()
        .where(_runs.c.status == OPEN, _runs.c.closes_at < before)
        .values(status=_closed_status())
    ).rowcount


def runs_of_day(conn: sa.Connection, *, standup_id: int, day: str) -> list[RunRow]:
    """Every participant's occurrence of one standup day, in answer order."""
    rows = conn.execute(
        sa.select(*_RUN_COLUMNS)
        .where(_runs.c.standup_id == standup_id, _runs.c.day == day)
        .order_by(_runs.c.answered_at.is_(None), _runs.c.answered_at, _runs.c.user_id)
    ).all()
    return [_run(row) for row in rows]


def runs_between(
    conn: sa.Connection,
    *,
    standup_ids: Sequence[int],
    first_day: str,
    last_day: str,
    user_id: str | None = None,
) -> list[RunRow]:
    """Occurrences of some standups over a range of days (for reports)."""
    stmt = sa.select(*_RUN_COLUMNS).where(
        _runs.c.standup_id.in_(standup_ids), _runs.c.day.between(first_day, last_day)
    )
    if user_id is not None:
        stmt = stmt.where(_runs.c.user_id == user_id)
    return [_run(row) for row in conn.execute(stmt.order_by(_runs.c.day, _runs.c.user_id)).all()]


def due_nudges(conn: sa.Connection, *, now: datetime, limit: int = 5000) -> list[RunRow]:
    """Open conversations whose nudge moment has come and whose window is still open."""
    rows = conn.execute(
        sa.select(*_RUN_COLUMNS)
        .where(
            _runs.c.status == OPEN,
            _runs.c.nudge_at <= now,
            _runs.c.nudged_at.is_(None),
            _runs.c.closes_at > now,
        )
        .limit(limit)
    ).all()
    return [_run(row) for row in rows]


def claim_nudge(conn: sa.Connection, *, run_id: int, now: datetime) -> bool:
    """Mark a nudge as sent; False when another tick sent it."""
    result = conn.execute(
        _runs.update()
        .where(_runs.c.id == run_id, _runs.c.nudged_at.is_(None))
        .values(nudged_at=now)
    )
    return result.rowcount == 1


def ensure_day(conn: sa.Connection, *, standup_id: int, day: str, closes_at: datetime) -> None:
    """Open one standup day if it is not open yet."""
    values = {"standup_id": standup_id, "day": day, "status": "open", "closes_at": closes_at}
    conn.execute(_insert_ignore(conn, _days), values)


def existing_days(
    conn: sa.Connection, *, standup_ids: Iterable[int], days: Iterable[str]
) -> set[tuple[int, str]]:
    """Which of these standup days are already open or closed."""
    rows = conn.execute(
        sa.select(_days.c.standup_id, _days.c.day).where(
            _days.c.standup_id.in_(list(standup_ids)), _days.c.day.in_(list(days))
        )
    ).all()
    return {(int(sid), str(day)) for sid, day in rows}


def day_status(conn: sa.Connection, *, standup_id: int, day: str) -> str | None:
    """open | posted | missed, or None when that day never opened."""
    return conn.execute(
        sa.select(_days.c.status).where(_days.c.standup_id == standup_id, _days.c.day == day)
    ).scalar_one_or_none()


def due_days(conn: sa.Connection, *, now: datetime) -> list[tuple[int, str]]:
    """Open standup days whose last window has closed."""
    rows = conn.execute(
        sa.select(_days.c.standup_id, _days.c.day)
        .where(_days.c.status == "open", _days.c.closes_at <= now)
        .order_by(_days.c.closes_at)
    ).all()
    return [(int(sid), str(day)) for sid, day in rows]


def claim_day(
    conn: sa.Connection, *, standup_id: int, day: str, status: str, now: datetime
) -> bool:
    """Close an open day as ``status`` (posted or missed); False when another tick closed it.

    Conversations still open for that day end with it: their answers are no longer awaited (an
    unfinished edit keeps the answers given before).
    """
    result = conn.execute(
        _days.update()
        .where(_days.c.standup_id == standup_id, _days.c.day == day, _days.c.status == "open")
        .values(status=status, posted_at=now)
    )
    if result.rowcount != 1:
        return False
    conn.execute(
        _runs.update()
        .where(_runs.c.standup_id == standup_id, _runs.c.day == day, _runs.c.status == OPEN)
        .values(status=_closed_status())
    )
    return True
