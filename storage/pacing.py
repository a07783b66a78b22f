"""Each chat's pace in the database, so that several processes together keep a platform's per-chat
rate, and a rate limit one of them is told about holds for all.

A chat's row holds the theoretical moment its next message is due (epoch seconds, the generic cell
rate algorithm); a message may go when that is at most ``slack`` seconds ahead of now. Taking a turn
is one ``INSERT .. ON CONFLICT DO UPDATE .. WHERE`` statement, so two processes can never both take
the last free slot.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import ChatPace
from storage.types import table

_pace = table(ChatPace)


def _insert(conn: sa.Connection) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of this connection's dialect (both speak ON CONFLICT DO UPDATE)."""
    return postgresql.insert(_pace) if conn.dialect.name == "postgresql" else sqlite.insert(_pace)


def take(conn: sa.Connection, *, chat: str, now: float, gap: float, slack: float) -> float | None:
    """Take ``chat``'s next slot if it is free at ``now``: None when taken (the message may go),
    else the moment (epoch seconds) a message may go."""
    insert = _insert(conn)
    start = sa.case((_pace.c.due > now, _pace.c.due), else_=now)
    taken = conn.execute(
        insert.values(chat=chat, due=now + gap)
        .on_conflict_do_update(
            index_elements=["chat"],
            set_={"due": start + gap},
            where=start - slack <= now,
        )
        .returning(_pace.c.due)
    ).first()
    if taken is not None:
        return None
    due = conn.execute(sa.select(_pace.c.due).where(_pace.c.chat == chat)).scalar_one()
    return float(due) - slack


def hold(conn: sa.Connection, *, chat: str, due: float) -> None:
    """The platform rate-limited ``chat``: nothing may go before ``due`` (from any process)."""
    insert = _insert(conn)
    conn.execute(
        insert.values(chat=chat, due=due).on_conflict_do_update(
            index_elements=["chat"], set_={"due": insert.excluded.due}
        )
    )


def forget_before(conn: sa.Connection, *, before: float) -> int:
    """Drop chats free since before ``before`` (nothing to remember about them)."""
    return int(conn.execute(_pace.delete().where(_pace.c.due < before)).rowcount)
