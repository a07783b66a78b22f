"""Where people have talked to Baton, and so which boards they may open on the web dashboard.

The chat rule is that a task is visible from its own channel: whoever writes there sees it. The web
has no "there", so it asks where a person has written: every message notes its (workspace, person,
channel), once, and a person may open the boards of those channels (a direct conversation with
Baton is a board of its own). Admins (``BATON_ADMINS``) may open every board of their workspace, as
they may see every task in chat. Every change made on the web still runs as a chat command in the
board's channel, so the finer rules (who may rename, force past a WIP limit…) stay those of
``commands.access.rules``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from bot.events import Inbound
from storage import web


class Places:
    """Notes where each message was written, once per person and channel per process.

    The per-message path is hot, so a pair written once is remembered here and never written
    again; the set is owned by the app (not module state) and dropped after a rollback, when a
    pair it holds may not have been stored.
    """

    def __init__(self) -> None:
        self._noted: set[tuple[str, str, str]] = set()

    def note(self, conn: sa.Connection, message: Inbound, now: datetime) -> None:
        """Record that the sender of ``message`` was seen in its channel."""
        channel = str(message.source.without_thread())
        key = (message.actor.ws, message.actor.user_id, channel)
        if key in self._noted:
            return
        web.note_member(conn, ws=key[0], user_id=key[1], channel=channel, now=now)
        self._noted.add(key)

    def forget(self) -> None:
        """Drop what this process remembers writing (after a rollback)."""
        self._noted.clear()


def in_workspace(channel: str, ws: str) -> bool:
    """True when the channel key ``channel`` belongs to workspace ``ws`` (``slack:T01``)."""
    return channel.startswith(f"{ws}/")


def may_open(conn: sa.Connection, *, ws: str, user_id: str, admin: bool, channel: str) -> bool:
    """True when the person may open ``channel``'s board: an admin, within their workspace; anyone
    else, where they have written."""
    if not in_workspace(channel, ws):
        return False
    return admin or web.is_member(conn, ws=ws, user_id=user_id, channel=channel)


def openable(conn: sa.Connection, *, ws: str, user_id: str, admin: bool) -> list[str]:
    """The channels whose boards the person may open (see :func:`may_open`)."""
    if admin:
        return web.workspace_channels(conn, ws=ws)
    return web.member_channels(conn, ws=ws, user_id=user_id)
