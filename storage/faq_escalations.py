"""Repository of FAQ lookups (every question Baton looked up, for the deflection rate) and of
escalations to people with their SLA steps (SQLAlchemy Core, keyword-only arguments).

SLA steps are claimed with a conditional UPDATE (``... WHERE repinged_at IS NULL``), so a tick that
runs twice, late, or in two processes sends each step once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.models_faq import FaqEscalation, FaqQuestion
from storage.types import table

QUESTIONS = table(FaqQuestion)
ESCALATIONS = table(FaqEscalation)


@dataclass(frozen=True, slots=True)
class EscalationRow:
    """A stored escalation."""

    id: int
    ws: str
    question: str
    folded: str
    asker_id: str
    place: str
    topic: str
    priority: str
    experts: tuple[str, ...]
    status: str
    created_at: datetime
    due_at: datetime
    first_response_at: datetime | None
    responder_id: str | None
    resolved_at: datetime | None
    entry_id: int | None
    reply: str | None
    reply_by: str | None


def escalation_row(r: sa.Row[tuple[object, ...]]) -> EscalationRow:
    """A fetched row as an :class:`EscalationRow`."""
    m = r._mapping
    return EscalationRow(
        id=m["id"],
        ws=m["ws"],
        question=m["question"],
        folded=m["folded"],
        asker_id=m["asker_id"],
        place=m["place"],
        topic=m["topic"],
        priority=m["priority"],
        experts=tuple(m["experts"].split()),
        status=m["status"],
        created_at=m["created_at"],
        due_at=m["due_at"],
        first_response_at=m["first_response_at"],
        responder_id=m["responder_id"],
        resolved_at=m["resolved_at"],
        entry_id=m["entry_id"],
        reply=m["reply"],
        reply_by=m["reply_by"],
    )


def record_question(
    conn: sa.Connection,
    *,
    ws: str,
    asker_id: str,
    place: str,
    text: str,
    decision: str,
    entry_id: int | None,
    now: datetime,
) -> int:
    """Remember one lookup and what Baton decided; returns its id (the feedback buttons carry it)."""
    result = conn.execute(
        QUESTIONS.insert().values(
            ws=ws,
            asker_id=asker_id,
            place=place,
            text=text[:2000],
            decision=decision,
            entry_id=entry_id,
            asked_at=now,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def question(conn: sa.Connection, *, question_id: int) -> sa.RowMapping | None:
    """One recorded lookup."""
    row = conn.execute(sa.select(QUESTIONS).where(QUESTIONS.c.id == question_id)).first()
    return row._mapping if row else None


def set_feedback(
    conn: sa.Connection, *, question_id: int, helpful: bool, escalation_id: int | None = None
) -> bool:
    """Record the asker's verdict once; False when it was already given."""
    values: dict[str, object] = {"helpful": helpful}
    if escalation_id is not None:
        values["escalation_id"] = escalation_id
    query = (
        QUESTIONS.update()
        .where(QUESTIONS.c.id == question_id, QUESTIONS.c.helpful.is_(None))
        .values(**values)
    )
    return conn.execute(query).rowcount > 0


def set_entry(conn: sa.Connection, *, question_id: int, entry_id: int) -> None:
    """The asker picked a suggested entry: it is the lookup's answer now."""
    conn.execute(QUESTIONS.update().where(QUESTIONS.c.id == question_id).values(entry_id=entry_id))


def set_asked_human(conn: sa.Connection, *, question_id: int) -> None:
    """The asker pressed Ask a human: whatever Baton showed did not settle the question."""
    conn.execute(QUESTIONS.update().where(QUESTIONS.c.id == question_id).values(asked_human=True))


def link_question(conn: sa.Connection, *, question_id: int, escalation_id: int) -> None:
    """Note that a lookup ended with people being asked."""
    conn.execute(
        QUESTIONS.update().where(QUESTIONS.c.id == question_id).values(escalation_id=escalation_id)
    )


def open_escalation(
    conn: sa.Connection,
    *,
    ws: str,
    question: str,
    folded: str,
    asker_id: str,
    place: str,
    topic: str,
    priority: str,
    experts: Sequence[str],
    now: datetime,
    due_at: datetime,
) -> int:
    """Store a new escalation and return its id."""
    result = conn.execute(
        ESCALATIONS.insert().values(
            ws=ws,
            question=question[:2000],
            folded=folded[:2000],
            asker_id=asker_id,
            place=place,
            topic=topic,
            priority=priority,
            experts=" ".join(experts),
            created_at=now,
            due_at=due_at,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def find_open(conn: sa.Connection, *, ws: str, folded: str) -> EscalationRow | None:
    """The open escalation of the same question in this workspace, if any."""
    query = (
        sa.select(ESCALATIONS)
        .where(
            ESCALATIONS.c.ws == ws,
            ESCALATIONS.c.folded == folded[:2000],
            ESCALATIONS.c.status == "open",
        )
        .order_by(ESCALATIONS.c.id)
        .limit(1)
    )
    row = conn.execute(query).first()
    return escalation_row(row) if row else None


def get(conn: sa.Connection, *, escalation_id: int) -> EscalationRow | None:
    """One escalation by id."""
    row = conn.execute(sa.select(ESCALATIONS).where(ESCALATIONS.c.id == escalation_id)).first()
    return escalation_row(row) if row else None


def open_at(conn: sa.Connection, *, place: str) -> EscalationRow | None:
    """The open escalation whose thread is ``place``, if any."""
    query = (
        sa.select(ESCALATIONS)
        .where(ESCALATIONS.c.place == place, ESCALATIONS.c.status == "open")
        .limit(1)
    )
    row = conn.execute(query).first()
    return escalation_row(row) if row else None


def keep_reply(
    conn: sa.Connection, *, escalation_id: int, user_id: str, text: str, now: datetime
) -> None:
    """Remember the latest reply in the thread (Save as FAQ takes it); it is a response too."""
    conn.execute(
        ESCALATIONS.update()
        .where(ESCALATIONS.c.id == escalation_id)
        .values(reply=text[:8000], reply_by=user_id)
    )
    respond(conn, escalation_id=escalation_id, user_id=user_id, now=now)


def respond(conn: sa.Connection, *, escalation_id: int, user_id: str, now: datetime) -> bool:
    """Record the first human response (stops the SLA steps); False when someone already did."""
    query = (
        ESCALATIONS.update()
        .where(ESCALATIONS.c.id == escalation_id, ESCALATIONS.c.first_response_at.is_(None))
        .values(first_response_at=now, responder_id=user_id)
    )
    return conn.execute(query).rowcount > 0


def resolve(
    conn: sa.Connection,
    *,
    escalation_id: int,
    user_id: str,
    now: datetime,
    entry_id: int | None = None,
) -> bool:
    """Close an open escalation (it counts as a response too); False when it was closed already."""
    respond(conn, escalation_id=escalation_id, user_id=user_id, now=now)
    query = (
        ESCALATIONS.update()
        .where(ESCALATIONS.c.id == escalation_id, ESCALATIONS.c.status == "open")
        .values(status="resolved", resolved_at=now, entry_id=entry_id)
    )
    return conn.execute(query).rowcount > 0


def withdraw(conn: sa.Connection, *, escalation_id: int, now: datetime) -> bool:
    """The asker closed their own question ("never mind"): no longer open, and not a response
    (it stops the SLA steps without counting as anyone answering). False when already closed."""
    query = (
        ESCALATIONS.update()
        .where(ESCALATIONS.c.id == escalation_id, ESCALATIONS.c.status == "open")
        .values(status="withdrawn", resolved_at=now)
    )
    return conn.execute(query).rowcount > 0


def claim_repings(conn: sa.Connection, *, now: datetime, limit: int = 200) -> list[EscalationRow]:
    """Open escalations nobody answered by their SLA deadline, each claimed for one re-ping."""
    return _claim(
        conn, column="repinged_at", due=ESCALATIONS.c.due_at <= now, now=now, limit=limit
    )


def claim_raises(conn: sa.Connection, *, now: datetime, limit: int = 200) -> list[EscalationRow]:
    """Open escalations unanswered at twice their SLA, each claimed for one step up. Past due is
    filtered in SQL, twice the SLA in Python (portable, and the past-due set is small)."""
    return _claim(
        conn,
        column="raised_at",
        due=ESCALATIONS.c.due_at <= now,
        now=now,
        limit=limit,
        ready=lambda r: r.due_at + (r.due_at - r.created_at) <= now,
    )


def _claim(
    conn: sa.Connection,
    *,
    column: str,
    due: sa.ColumnElement[bool],
    now: datetime,
    limit: int,
    ready: Callable[[EscalationRow], bool] = lambda _row: True,
) -> list[EscalationRow]:
    step = ESCALATIONS.c[column]
    waiting = sa.and_(
        ESCALATIONS.c.status == "open", ESCALATIONS.c.first_response_at.is_(None), step.is_(None)
    )
    rows = conn.execute(
        sa.select(ESCALATIONS).where(waiting, due).order_by(ESCALATIONS.c.due_at).limit(limit)
    )
    claimed = []
    for row in (escalation_row(r) for r in rows):
        if not ready(row):
            continue
        update = (
            ESCALATIONS.update().where(ESCALATIONS.c.id == row.id, waiting).values({step: now})
        )
        if conn.execute(update).rowcount:
            claimed.append(row)
    return claimed
