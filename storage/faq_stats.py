"""What ``faq stats`` counts: lookups, answers from the FAQ, escalations and their response times,
and the questions the FAQ did not answer (SQLAlchemy Core, keyword-only arguments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.faq_escalations import ESCALATIONS, QUESTIONS, EscalationRow, escalation_row


@dataclass(frozen=True, slots=True)
class Stats:
    """What ``faq stats`` reports for one period."""

    questions: int
    answered: int
    escalations: int
    response_seconds: tuple[float, ...]
    breaches: int


def _deflected() -> sa.ColumnElement[bool]:
    """A lookup the FAQ settled: answered (or a suggestion picked), and not followed by Not
    helpful, Ask a human or an escalation."""
    return sa.and_(
        QUESTIONS.c.entry_id.is_not(None),
        QUESTIONS.c.decision.in_(("answer", "suggest")),
        QUESTIONS.c.helpful.is_not(False),
        QUESTIONS.c.asked_human.is_(False),
        QUESTIONS.c.escalation_id.is_(None),
    )


def unanswered(conn: sa.Connection, *, ws: str, since: datetime) -> list[str]:
    """Questions since ``since`` the FAQ did not settle, for the knowledge-gap list; those whose
    escalation was since answered and saved to the FAQ are no gap any more."""
    saved = sa.select(ESCALATIONS.c.id).where(ESCALATIONS.c.entry_id.is_not(None))
    query = sa.select(QUESTIONS.c.text).where(
        QUESTIONS.c.ws == ws,
        QUESTIONS.c.asked_at >= since,
        sa.not_(_deflected()),
        sa.or_(QUESTIONS.c.escalation_id.is_(None), QUESTIONS.c.escalation_id.not_in(saved)),
    )
    return list(conn.execute(query).scalars())


def stats(conn: sa.Connection, *, ws: str, since: datetime, now: datetime) -> Stats:
    """Lookups and escalations since ``since``; answered from the FAQ means deflected (see
    :func:`_deflected`)."""
    asked = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter(_deflected())).where(
            QUESTIONS.c.ws == ws, QUESTIONS.c.asked_at >= since
        )
    ).one()
    rows = [
        escalation_row(r)
        for r in conn.execute(
            sa.select(ESCALATIONS).where(ESCALATIONS.c.ws == ws, ESCALATIONS.c.created_at >= since)
        )
    ]
    responses = tuple(
        sorted(
            (r.first_response_at - r.created_at).total_seconds()
            for r in rows
            if r.first_response_at is not None
        )
    )
    breaches = sum(1 for r in rows if _breached(r, now))
    return Stats(
        questions=int(asked[0]),
        answered=int(asked[1]),
        escalations=len(rows),
        response_seconds=responses,
        breaches=breaches,
    )


def _breached(row: EscalationRow, now: datetime) -> bool:
    """Nobody responded by the deadline (a question its asker withdrew first is no breach)."""
    if row.first_response_at is not None:
        return row.first_response_at > row.due_at
    if row.status == "withdrawn" and row.resolved_at is not None:
        return row.resolved_at > row.due_at
    return now > row.due_at
