"""Reminder storage: the claim log, reminder settings and the open tasks that may need a reminder.

Tasks are owned by the tasks feature; this module only reads them (Core statements, no ORM objects)
so a tick over tens of thousands of due tasks stays a few fast queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from storage import bulk, users
from storage.models import Task, TaskOwner, User
from storage.models_reminders import ReminderLog, ReminderSetting
from storage.types import table
from storage.users import UserPrefs

_log = table(ReminderLog)
_settings = table(ReminderSetting)
_tasks = table(Task)
_owners = table(TaskOwner)
_users = table(User)

Key = tuple[str, str, str]  # (subject, rule, occasion)
_CHUNK = 500


class DueTask(NamedTuple):
    """An open task with a due date, as the reminder rules need it (no title: see ``titles``).
    A named tuple: a morning tick builds tens of thousands of them."""

    id: int
    ws: str
    channel: str
    creator_id: str
    due_at: datetime
    snoozed_until: datetime | None
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SettingRow:
    """Stored overrides for one scope (None = inherit)."""

    quiet: str | None = None
    weekends: bool | None = None
    due_soon: str | None = None


def claim(conn: sa.Connection, *, keys: Sequence[Key], now: datetime) -> set[Key]:
    """Record ``keys`` in the reminder log; returns those that were not there yet (ours to send).

    One INSERT .. ON CONFLICT DO NOTHING RETURNING per batch: atomic, so two ticks (or two
    processes) claiming the same key never both get it.
    """
    if not keys:
        return set()
    at = bulk.driver_value(conn, _log.c.claimed_at, now)
    rows = [(s, r, o, at) for s, r, o in set(keys)]
    columns = ("subject", "rule", "occasion")
    found = bulk.insert_new(
        conn, _log, (*columns, "claimed_at"), rows, unique=columns, returning=columns
    )
    return {(str(s), str(r), str(o)) for s, r, o in found}


def recent_claims(conn: sa.Connection, *, since: datetime, prefix: str) -> set[Key]:
    """Keys claimed since ``since`` whose subject starts with ``prefix``: a tick skips these
    without trying to claim them again (the claim itself stays the guarantee)."""
    rows = conn.execute(
        sa.select(_log.c.subject, _log.c.rule, _log.c.occasion).where(
            _log.c.claimed_at >= since, _log.c.subject.startswith(prefix, autoescape=True)
        )
    )
    return {(str(s), str(r), str(o)) for s, r, o in rows}


def open_due_tasks(conn: sa.Connection, *, before: datetime) -> list[DueTask]:
    """Open (not done, not deleted) tasks due before ``before``, with their owners.

    Two range reads: the tasks from the covering partial index ``ix_tasks_open_due`` (the table is
    not touched), then their owners in task id order (sequential in the owners' primary key).
    The timestamps are read raw and converted here: generic per-value result processing
    dominated this query at tens of thousands of rows.
    """
    owners_query, tasks_query = due_selects(before)
    owners: dict[int, tuple[str, ...]] = {}
    for task_id, user_id in conn.execute(owners_query).all():  # one fetchall, not a fetchone a row
        owners[task_id] = (*owners.get(task_id, ()), user_id)
    rows = conn.execute(tasks_query).all()
    stamps = _Stamps()
    return [
        DueTask(i, ws, channel, creator, stamps[due], stamps[snoozed] if snoozed else None,
                owners.get(i, ()))
        for i, ws, channel, creator, due, snoozed in rows
    ]  # fmt: skip


class _Stamps(dict[object, datetime]):
    """Raw timestamps converted once each: due times cluster (end of day, 18:00...), so most rows
    reuse a conversion."""

    def __missing__(self, raw: object) -> datetime:
        found = self[raw] = _utc(raw)
        return found


def due_selects(before: datetime) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The owners, then the tasks, of open tasks due before ``before`` (see ``open_due_tasks``)."""
    t = _tasks.c
    open_due = (
        t.due_at.is_not(None),
        t.due_at < before,
        t.done_at.is_(None),
        t.deleted_at.is_(None),
    )
    owners = (
        sa.select(_owners.c.task_id, _owners.c.user_id)
        .where(_owners.c.task_id.in_(sa.select(t.id).where(*open_due)))
        .order_by(_owners.c.task_id)
    )
    tasks = sa.select(
        t.id,
        t.ws,
        t.channel,
        t.creator_id,
        sa.type_coerce(t.due_at, _Raw()),
        sa.type_coerce(t.snoozed_until, _Raw()),
    ).where(*open_due)
    return owners, tasks


def titles(conn: sa.Connection, *, task_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Number and title of each task (read only for the reminders a tick claimed)."""
    ids = sorted(set(task_ids))
    t = _tasks.c
    found: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            sa.select(t.id, t.number, t.title).where(t.id.in_(ids[start : start + _CHUNK]))
        )
        found.update({int(i): (int(n), str(title)) for i, n, title in rows})
    return found


class _Raw(sa.types.TypeDecorator[object]):
    """A column read as the driver returns it (SQLite: text; PostgreSQL: an aware datetime)."""

    impl = sa.types.NullType
    cache_ok = True


def _utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def still_due(conn: sa.Connection, *, before: datetime, now: datetime) -> set[int]:
    """Ids of open tasks due before ``before`` and not snoozed past ``now``: the due query again
    without the owners (one range read of the covering index), inside the claiming transaction."""
    t = _tasks.c
    rows = conn.execute(
        sa.select(t.id, sa.type_coerce(t.snoozed_until, _Raw()))
        .where(t.due_at.is_not(None), t.due_at < before, t.done_at.is_(None))
        .where(t.deleted_at.is_(None))
    )
    return {int(i) for i, snoozed in rows if snoozed is None or _utc(snoozed) <= now}


def settings(conn: sa.Connection) -> dict[str, SettingRow]:
    """Every stored override, by scope (a workspace key or a channel)."""
    rows = conn.execute(
        sa.select(_settings.c.scope, _settings.c.quiet, _settings.c.weekends, _settings.c.due_soon)
    ).all()
    return {str(scope): SettingRow(quiet, weekends, due) for scope, quiet, weekends, due in rows}


def save_setting(
    conn: sa.Connection, *, scope: str, now: datetime, **values: str | bool | None
) -> SettingRow:
    """Set some overrides of ``scope`` (keys: quiet, weekends, due_soon); returns the new row."""
    updated = conn.execute(
        _settings.update().where(_settings.c.scope == scope).values(updated_at=now, **values)
    )
    if updated.rowcount == 0:
        conn.execute(_settings.insert().values(scope=scope, updated_at=now, **values))
    return settings(conn)[scope]


def people(conn: sa.Connection, *, workspaces: Iterable[str]) -> dict[tuple[str, str], UserPrefs]:
    """Everyone Baton knows in ``workspaces`` (one query, instead of one per reminder)."""
    u = _users.c
    rows = conn.execute(
        sa.select(u.ws, u.user_id, *users.prefs_columns()).where(u.ws.in_(sorted(set(workspaces))))
    ).all()
    return {(str(r[0]), str(r[1])): UserPrefs(*r[2:]) for r in rows}


def prune_log(conn: sa.Connection, *, before: datetime) -> int:
    """Forget claims older than ``before`` (their occasions are long past); returns how many."""
    return conn.execute(_log.delete().where(_log.c.claimed_at < before)).rowcount
