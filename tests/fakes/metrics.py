"""FAQ lookups, escalations and standup runs stored as the features store them, for the metrics
tests (the flow of tasks is made in chat instead)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from storage import faq_escalations, standup_runs, standups

WS = "console:local"


def ask(
    conn: sa.Connection,
    *,
    place: str,
    decision: str,
    at: datetime,
    text: str = "where is my parcel",
    unhelpful: bool = False,
) -> None:
    """A question Baton looked up in ``place`` (``console:local/ops``, or a thread of it)."""
    question = faq_escalations.record_question(
        conn, ws=WS, asker_id="alice", place=place, text=text, decision=decision,
        entry_id=None, now=at,
    )  # fmt: skip
    if unhelpful:
        faq_escalations.set_feedback(conn, question_id=question, helpful=False)


def escalate(
    conn: sa.Connection,
    *,
    place: str,
    at: datetime,
    sla: timedelta,
    answered_after: timedelta | None,
) -> None:
    """A question handed to bob, answered ``answered_after`` later (or never)."""
    escalation = faq_escalations.open_escalation(
        conn, ws=WS, question="q", folded="q", asker_id="alice", place=place, topic="",
        priority="normal", experts=["bob"], now=at, due_at=at + sla,
    )  # fmt: skip
    if answered_after is not None:
        faq_escalations.respond(
            conn, escalation_id=escalation, user_id="bob", now=at + answered_after
        )


def daily_standup(conn: sa.Connection, *, channel: str, at: datetime) -> int:
    """A weekday standup at 09:00 in ``channel``; its id."""
    settings = {"minute_of_day": 540, "days": 31, "window_minutes": 180, "style": "summary"}
    return standups.create(
        conn, ws=WS, channel=channel, name="daily", owner_id="alice", locale="en",
        settings=settings, now=at,
    )  # fmt: skip


def run(
    conn: sa.Connection,
    *,
    standup: int,
    user: str,
    day: str,
    status: str,
    prompt_at: datetime,
    closes_at: datetime,
) -> None:
    """One person's occurrence of a standup, as the standup ticks store it."""
    standup_runs.insert_run(
        conn,
        values={
            "standup_id": standup, "ws": WS, "user_id": user, "day": day, "status": status,
            "step": 0, "answers": "[]", "prompt_at": prompt_at, "closes_at": closes_at,
        },
    )  # fmt: skip
