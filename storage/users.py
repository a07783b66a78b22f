"""People: their own time zone and language settings, and what their platform profile says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.models import User
from storage.types import table

_users = table(User)


@dataclass(frozen=True, slots=True)
class UserPrefs:
    """One person's settings as stored."""

    display_name: str = ""
    tz: str | None = None
    locale: str | None = None
    profile_tz: str | None = None
    profile_locale: str | None = None
    writes: int = 0  # > 0: mostly Chinese, < 0: mostly English
    messages: int = 0  # how many messages Baton has seen from them (counted up to 10)


def prefs_columns() -> tuple[sa.Column[Any], ...]:
    """The columns of ``UserPrefs``, in its order (for queries that read people in bulk)."""
    c = _users.c
    return (c.display_name, c.tz, c.locale, c.profile_tz, c.profile_locale, c.writes, c.messages)


def get(conn: sa.Connection, *, ws: str, user_id: str) -> UserPrefs | None:
    """The stored settings of one person, or None if Baton has never met them."""
    row = conn.execute(
        sa.select(*prefs_columns()).where(_users.c.ws == ws, _users.c.user_id == user_id)
    ).first()
    return UserPrefs(*row) if row else None


def save(conn: sa.Connection, *, ws: str, user_id: str, prefs: UserPrefs, now: datetime) -> None:
    """Insert or replace one person's row."""
    values = {
        "display_name": prefs.display_name,
        "tz": prefs.tz,
        "locale": prefs.locale,
        "profile_tz": prefs.profile_tz,
        "profile_locale": prefs.profile_locale,
        "writes": prefs.writes,
        "messages": prefs.messages,
        "updated_at": now,
    }
    updated = conn.execute(
        _users.update().where(_users.c.ws == ws, _users.c.user_id == user_id).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(_users.insert().values(ws=ws, user_id=user_id, **values))


def usual_locale() -> sa.ColumnElement[str | None]:
    """The language to address someone in, for bulk queries: their setting, else the language
    they mostly write in (``writes``), else their profile's (what ``bot.people.usual_locale``
    decides for one person)."""
    c = _users.c
    habit = sa.case((c.writes > 0, "zh"), (c.writes < 0, "en"), else_=None)
    return sa.func.coalesce(c.locale, habit, c.profile_locale)


def find_by_name(conn: sa.Connection, *, ws: str, name: str) -> str | None:
    """The user id of the person with this display name (case-insensitive), if exactly one."""
    rows = conn.execute(
        sa.select(_users.c.user_id).where(
            _users.c.ws == ws, sa.func.lower(_users.c.display_name) == name.lower()
        )
    ).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def names(conn: sa.Connection, *, ws: str, user_ids: Sequence[str]) -> dict[str, str]:
    """Display names of the people Baton has met among ``user_ids`` (those without a name are
    left out: callers show the id)."""
    if not user_ids:
        return {}
    query = sa.select(_users.c.user_id, _users.c.display_name).where(
        _users.c.ws == ws, _users.c.user_id.in_(sorted(set(user_ids)))
    )
    return {str(uid): str(name) for uid, name in conn.execute(query) if name}


def count(conn: sa.Connection, *, ws: str) -> int:
    """How many people Baton has met in a workspace."""
    return int(conn.execute(sa.select(sa.func.count()).where(_users.c.ws == ws)).scalar_one())
