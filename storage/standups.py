"""Standups, their members and people's time off.

``due_members`` is the heart of the scheduler: one indexed range scan on
``standup_members.next_prompt_at`` joined with what a prompt needs (the schedule, the person's zone
and language, their time off), so a tick costs the same with five or five thousand participants who
are not due. ``claim_member`` moves ``next_prompt_at`` forward only if nobody else did first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage import users
from storage.models import User
from storage.models_standups import Standup, StandupAway, StandupMember
from storage.types import table

_standups = table(Standup)
_members = table(StandupMember)
_away = table(StandupAway)
_users = table(User)


@dataclass(frozen=True, slots=True)
class StandupRow:
    """One standup's settings."""

    id: int
    ws: str
    channel: str
    name: str
    owner_id: str
    locale: str
    minute_of_day: int
    days: int
    window_minutes: int
    style: str
    questions: tuple[str, ...] | None
    holidays: str | None
    paused: bool


@dataclass(frozen=True, slots=True)
class DueMember:
    """A participant whose next prompt is due, with everything needed to send it."""

    standup: StandupRow
    user_id: str
    next_prompt_at: datetime
    tz: str | None
    locale: str | None
    away_first: str | None
    away_last: str | None


_STANDUP_COLUMNS = [
    _standups.c[name]
    for name in (
        "id", "ws", "channel", "name", "owner_id", "locale", "minute_of_day", "days",
        "window_minutes", "style", "questions", "holidays", "paused",
    )
]  # fmt: skip


def _standup(row: Sequence[object]) -> StandupRow:
    values = list(row[: len(_STANDUP_COLUMNS)])
    questions = values[10]
    values[10] = tuple(json.loads(str(questions))) if questions else None
    values[12] = bool(values[12])
    return StandupRow(*values)  # type: ignore[arg-type]


def get(conn: sa.Connection, *, standup_id: int) -> StandupRow | None:
    """One standup by id."""
    row = conn.execute(sa.select(*_STANDUP_COLUMNS).where(_standups.c.id == standup_id)).first()
    return _standup(row) if row else None


def in_channel(conn: sa.Connection, *, channel: str) -> list[StandupRow]:
    """The standups of one channel, by name."""
    rows = conn.execute(
        sa.select(*_STANDUP_COLUMNS)
        .where(_standups.c.channel == channel)
        .order_by(_standups.c.name)
    ).all()
    return [_standup(row) for row in rows]


def of_member(conn: sa.Connection, *, ws: str, user_id: str) -> list[tuple[StandupRow, datetime]]:
    """The standups ``user_id`` takes part in, with their next prompt, soonest first."""
    rows = conn.execute(
        sa.select(*_STANDUP_COLUMNS, _members.c.next_prompt_at)
        .join(_members, _members.c.standup_id == _standups.c.id)
        .where(_standups.c.ws == ws, _members.c.user_id == user_id)
        .order_by(_members.c.next_prompt_at)
    ).all()
    return [(_standup(row), row[-1]) for row in rows]


def create(
    conn: sa.Connection,
    *,
    ws: str,
    channel: str,
    name: str,
    owner_id: str,
    locale: str,
    settings: Mapping[str, object],
    now: datetime,
) -> int:
    """A new standup; ``settings`` holds minute_of_day, days, window_minutes and style."""
    result = conn.execute(
        _standups.insert().values(
            ws=ws,
            channel=channel,
            name=name,
            owner_id=owner_id,
            locale=locale,
            paused=False,
            created_at=now,
            **settings,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def update(conn: sa.Connection, *, standup_id: int, values: Mapping[str, object]) -> None:
    """Change some settings of one standup."""
    conn.execute(_standups.update().where(_standups.c.id == standup_id).values(**values))


def delete(conn: sa.Connection, *, standup_id: int) -> None:
    """Remove a standup with its members, runs and days (foreign keys cascade)."""
    conn.execute(_standups.delete().where(_standups.c.id == standup_id))


def members(conn: sa.Connection, *, standup_id: int) -> list[str]:
    """Participant ids of one standup, in joining order."""
    rows = conn.execute(
        sa.select(_members.c.user_id)
        .where(_members.c.standup_id == standup_id)
        .order_by(_members.c.joined_at, _members.c.user_id)
    ).all()
    return [str(row[0]) for row in rows]


def member_zones(
    conn: sa.Connection, *, standup_ids: Iterable[int]
) -> dict[int, list[str | None]]:
    """Each participant's own zone (own setting, else profile; None = team default), per standup."""
    rows = conn.execute(
        sa.select(_members.c.standup_id, sa.func.coalesce(_users.c.tz, _users.c.profile_tz))
        .select_from(_members.join(_standups, _standups.c.id == _members.c.standup_id))
        .outerjoin(
            _users, sa.and_(_users.c.ws == _standups.c.ws, _users.c.user_id == _members.c.user_id)
        )
        .where(_members.c.standup_id.in_(list(standup_ids)))
    ).all()
    zones: dict[int, list[str | None]] = {}
    for standup_id, tz in rows:
        zones.setdefault(int(standup_id), []).append(tz)
    return zones


def add_member(
    conn: sa.Connection, *, standup_id: int, user_id: str, next_prompt_at: datetime, now: datetime
) -> bool:
    """Add a participant; False when already one."""
    exists = conn.execute(
        sa.select(_members.c.user_id).where(
            _members.c.standup_id == standup_id, _members.c.user_id == user_id
        )
    ).first()
    if exists:
        return False
    conn.execute(
        _members.insert().values(
            standup_id=standup_id, user_id=user_id, next_prompt_at=next_prompt_at, joined_at=now
        )
    )
    return True


def remove_member(conn: sa.Connection, *, standup_id: int, user_id: str) -> bool:
    """Remove a participant; False when they were not one."""
    result = conn.execute(
        _members.delete().where(_members.c.standup_id == standup_id, _members.c.user_id == user_id)
    )
    return result.rowcount == 1


def reschedule(conn: sa.Connection, *, standup_id: int, user_id: str, at: datetime) -> None:
    """Set one participant's next prompt (after a change of schedule, zone or a resume)."""
    conn.execute(
        _members.update()
        .where(_members.c.standup_id == standup_id, _members.c.user_id == user_id)
        .values(next_prompt_at=at)
    )


# Built once: a claim runs for every prompt, and building statements costs more than running them.
_CLAIM = (
    _members.update()
    .where(
        _members.c.standup_id == sa.bindparam("b_standup"),
        _members.c.user_id == sa.bindparam("b_user"),
        _members.c.next_prompt_at == sa.bindparam("b_expected"),
    )
    .values(next_prompt_at=sa.bindparam("b_next"))
)


def claim_member(
    conn: sa.Connection, *, standup_id: int, user_id: str, expected: datetime, next_at: datetime
) -> bool:
    """Move a participant past the occurrence at ``expected``; False when another tick did."""
    params = {
        "b_standup": standup_id,
        "b_user": user_id,
        "b_expected": expected,
        "b_next": next_at,
    }
    return conn.execute(_CLAIM, params).rowcount == 1


def due_members(conn: sa.Connection, *, now: datetime, limit: int = 10_000) -> list[DueMember]:
    """Participants of running standups whose next prompt is at or before ``now``."""
    rows = conn.execute(
        sa.select(
            *_STANDUP_COLUMNS,
            _members.c.user_id,
            _members.c.next_prompt_at,
            sa.func.coalesce(_users.c.tz, _users.c.profile_tz),
            users.usual_locale(),
            _away.c.first_day,
            _away.c.last_day,
        )
        .select_from(_members.join(_standups, _standups.c.id == _members.c.standup_id))
        .outerjoin(
            _users, sa.and_(_users.c.ws == _standups.c.ws, _users.c.user_id == _members.c.user_id)
        )
        .outerjoin(
            _away, sa.and_(_away.c.ws == _standups.c.ws, _away.c.user_id == _members.c.user_id)
        )
        .where(_members.c.next_prompt_at <= now, _standups.c.paused == sa.false())
        .order_by(_members.c.next_prompt_at)
        .limit(limit)
    ).all()
    return [DueMember(_standup(row), *row[len(_STANDUP_COLUMNS) :]) for row in rows]


def set_away(conn: sa.Connection, *, ws: str, user_id: str, first_day: str, last_day: str) -> None:
    """Record time off (local dates, inclusive), replacing any earlier one."""
    conn.execute(_away.delete().where(_away.c.ws == ws, _away.c.user_id == user_id))
    conn.execute(
        _away.insert().values(ws=ws, user_id=user_id, first_day=first_day, last_day=last_day)
    )


def clear_away(conn: sa.Connection, *, ws: str, user_id: str) -> bool:
    """End time off; False when there was none."""
    result = conn.execute(_away.delete().where(_away.c.ws == ws, _away.c.user_id == user_id))
    return result.rowcount == 1


def away_of(conn: sa.Connection, *, ws: str, user_id: str) -> tuple[str, str] | None:
    """One person's time off, as (first day, last day)."""
    row = conn.execute(
        sa.select(_away.c.first_day, _away.c.last_day).where(
            _away.c.ws == ws, _away.c.user_id == user_id
        )
    ).first()
    return (str(row[0]), str(row[1])) if row else None
