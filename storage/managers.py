"""Channel managers: who, besides the admins, may change a channel's settings (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.models_access import ChannelManager
from storage.types import UtcDateTime, table

_managers = table(ChannelManager)
# Two admins adding the same person at once: the second insert changes nothing, and fails nothing.
_ADD = sa.text(
    "INSERT INTO channel_managers (channel, user_id, added_by, added_at) "
    "VALUES (:channel, :user_id, :added_by, :added_at) "
    "ON CONFLICT (channel, user_id) DO NOTHING"
).bindparams(sa.bindparam("added_at", type_=UtcDateTime()))
_IS_MANAGER = sa.select(_managers.c.user_id).where(
    _managers.c.channel == sa.bindparam("channel"), _managers.c.user_id == sa.bindparam("user_id")
)


def add(conn: sa.Connection, *, channel: str, user_id: str, added_by: str, now: datetime) -> bool:
    """Make ``user_id`` a manager of ``channel``; False when they already were one."""
    values = {"channel": channel, "user_id": user_id, "added_by": added_by, "added_at": now}
    return conn.execute(_ADD, values).rowcount == 1


def remove(conn: sa.Connection, *, channel: str, user_id: str) -> bool:
    """``user_id`` no longer manages ``channel``; False when they did not."""
    result = conn.execute(
        _managers.delete().where(_managers.c.channel == channel, _managers.c.user_id == user_id)
    )
    return result.rowcount == 1


def is_manager(conn: sa.Connection, *, channel: str, user_id: str) -> bool:
    """True when ``user_id`` was made a manager of ``channel``."""
    return conn.execute(_IS_MANAGER, {"channel": channel, "user_id": user_id}).first() is not None


def of_channel(conn: sa.Connection, *, channel: str) -> list[str]:
    """The managers of ``channel``, in the order they were added."""
    rows = conn.execute(
        sa.select(_managers.c.user_id)
        .where(_managers.c.channel == channel)
        .order_by(_managers.c.added_at, _managers.c.user_id)
    )
    return [str(user_id) for user_id in rows.scalars()]
