"""What ``faq stats`` counts: lookups, answers from the FAQ, escalations and their response times,
and the questions the FAQ did not answer (SQLAlchemy Core, keyword-only arguments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.faq_escalations import ESCALATIONS, QUESTIONS, escalation_row


@dataclass(frozen=True, slots=True)
class Stats:
    """What ``faq stats`` reports for one period."""

    questions: int
    answered: int
    escalations: int
    response_seconds: tuple[float, ...]
    breaches: int


def unanswered(conn: sa.Connection, *, ws: str, since: datetime) -> list[str]:
    """Questions since ``since`` the FAQ did not answer (escalated, or the answer did not help),
    for the knowledge-gap list."""
    query = sa.select(QUESTIONS.c.text).where(
        QUESTIONS.c.ws == ws,
        QUESTIONS.c.asked_at >= since,
        sa.or_(QUESTIONS.c.decision == "escalate", QUESTIONS.c.helpful.is_(False)),
    )
    return list(conn.execute(query).scalars())


def stats(conn: sa.Connection, *, ws: str, since: datetime, now: datetime) -> Stats:
    """Lookups and escalations since ``since``: answered from the FAQ means Baton answered and
    nobody said it did not help."""
    asked = conn.execute(
        sa.select(QUESTIONS.c.decision, QUESTIONS.c.helpful).where(
            QUESTIONS.c.ws == ws, QUESTIONS.c.asked_at >= since
        )
    ).all()
    answered = sum(1 for d, helpful in asked if d == "answer" and helpful is not False)
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
    breaches = sum(1 for r in rows if (r.first_response_at or now) > r.due_at)
    return Stats(
        questions=len(asked),
        answered=answered,
        escalations=len(rows),
        response_seconds=responses,
        breaches=breaches,
    )
