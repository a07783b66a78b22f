"""Who may open which board, one-time sign-in links and generated keys (SQLAlchemy Core).

Membership is written on the hot path of every message, so it is one ``INSERT .. ON CONFLICT DO
NOTHING`` (callers skip even that for pairs they have written before). A link is redeemed by one
conditional UPDATE, so two clicks racing on the same link sign in once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.models import Board, Task
from storage.models_web import ChannelMember, WebKey, WebLink
from storage.types import UtcDateTime, table

_members = table(ChannelMember)
_links = table(WebLink)
_keys = table(WebKey)
_tasks = table(Task)
_boards = table(Board)

_NOTE = sa.text(
    "INSERT INTO channel_members (ws, user_id, channel, first_seen_at) "
    "VALUES (:ws, :user_id, :channel, :now) ON CONFLICT (ws, user_id, channel) DO NOTHING"
).bindparams(sa.bindparam("now", type_=UtcDateTime()))
_KEY = sa.text(
    "INSERT INTO web_keys (name, value, created_at) VALUES (:name, :value, :now) "
    "ON CONFLICT (name) DO NOTHING"
).bindparams(sa.bindparam("now", type_=UtcDateTime()))


@dataclass(frozen=True, slots=True)
class LinkOwner:
    """Whom a sign-in link signs in."""

    ws: str
    user_id: str


def note_member(
    conn: sa.Connection, *, ws: str, user_id: str, channel: str, now: datetime
) -> None:
    """Record that ``user_id`` was seen in ``channel`` (nothing when already recorded)."""
    conn.execute(_NOTE, {"ws": ws, "user_id": user_id, "channel": channel, "now": now})


def member_channels(conn: sa.Connection, *, ws: str, user_id: str) -> list[str]:
    """The channels ``user_id`` has been seen in, in the order they were first seen."""
    query = (
        sa.select(_members.c.channel)
        .where(_members.c.ws == ws, _members.c.user_id == user_id)
        .order_by(_members.c.first_seen_at, _members.c.channel)
    )
    return [str(c) for c in conn.execute(query).scalars()]


def is_member(conn: sa.Connection, *, ws: str, user_id: str, channel: str) -> bool:
    """True when ``user_id`` has been seen in ``channel``."""
    query = sa.select(_members.c.channel).where(
        _members.c.ws == ws, _members.c.user_id == user_id, _members.c.channel == channel
    )
    return conn.execute(query).first() is not None


def workspace_channels(conn: sa.Connection, *, ws: str) -> list[str]:
    """Every channel of a workspace Baton knows: where people wrote, or tasks or a board are."""
    prefix = f"{ws}/"
    seen = sa.select(_members.c.channel).where(_members.c.ws == ws)
    with_tasks = sa.select(_tasks.c.channel).where(_tasks.c.ws == ws).distinct()
    boards = sa.select(_boards.c.channel).where(
        _boards.c.channel.startswith(prefix, autoescape=True)
    )
    query = sa.union(seen, with_tasks, boards)
    return sorted({str(c) for c in conn.execute(query).scalars()})


def add_link(
    conn: sa.Connection,
    *,
    token_hash: str,
    ws: str,
    user_id: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Store a sign-in link (its token's hash)."""
    conn.execute(
        _links.insert().values(
            token_hash=token_hash, ws=ws, user_id=user_id, created_at=now, expires_at=expires_at
        )
    )


def links_since(conn: sa.Connection, *, ws: str, user_id: str, since: datetime) -> int:
    """How many links ``user_id`` was given since ``since`` (for the rate limit)."""
    query = sa.select(sa.func.count()).where(
        _links.c.ws == ws, _links.c.user_id == user_id, _links.c.created_at >= since
    )
    return int(conn.execute(query).scalar_one())


def peek_link(conn: sa.Connection, *, token_hash: str, now: datetime) -> LinkOwner | None:
    """Whom a link would sign in, if it is unused and unexpired (nothing is changed)."""
    row = conn.execute(
        sa.select(_links.c.ws, _links.c.user_id).where(
            _links.c.token_hash == token_hash,
            _links.c.used_at.is_(None),
            _links.c.expires_at > now,
        )
    ).first()
    return None if row is None else LinkOwner(str(row[0]), str(row[1]))


def redeem_link(conn: sa.Connection, *, token_hash: str, now: datetime) -> LinkOwner | None:
    """Use a link once: whom it signs in, or None when it is unknown, used or expired."""
    owner = peek_link(conn, token_hash=token_hash, now=now)
    if owner is None:
        return None
    used = conn.execute(
        _links.update()
        .where(_links.c.token_hash == token_hash, _links.c.used_at.is_(None))
        .values(used_at=now)
    )
    return owner if used.rowcount == 1 else None


def prune_links(conn: sa.Connection, *, ws: str, user_id: str, before: datetime) -> None:
    """Forget one person's links that expired before ``before`` (they can never be used)."""
    conn.execute(
        _links.delete().where(
            _links.c.ws == ws, _links.c.user_id == user_id, _links.c.expires_at < before
        )
    )


def key(conn: sa.Connection, *, name: str, candidate: str, now: datetime) -> str:
    """The stored key ``name``; ``candidate`` is stored first when there is none (the first of two
    processes starting at once wins, and both get its key)."""
    conn.execute(_KEY, {"name": name, "value": candidate, "now": now})
    return str(conn.execute(sa.select(_keys.c.value).where(_keys.c.name == name)).scalar_one())
