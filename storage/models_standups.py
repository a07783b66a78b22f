"""Tables of asynchronous standups.

A ``Standup`` belongs to a channel and has ``StandupMember`` rows; each member carries the UTC moment
of their next prompt (``next_prompt_at``, indexed), computed from *their* time zone, so a tick finds
who is due with one index range scan instead of evaluating every schedule. A prompt claimed for one
person and one local day becomes a ``StandupRun`` (unique per standup, person and day: the same
occurrence can never be prompted twice); a ``StandupDay`` is one standup's occurrence on one day,
whose summary is posted once when the last participant's window has closed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp


class Standup(SQLModel, table=True):
    """One named standup of a channel: when, on which days, what is asked and how it reports."""

    __tablename__ = "standups"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    channel: str = Field(max_length=400)
    name: str = Field(max_length=40)
    owner_id: str = Field(max_length=128)
    locale: str = Field(default="en", max_length=8)
    minute_of_day: int  # local prompt time, minutes after midnight in each participant's zone
    days: int  # bit 0 = Monday … bit 6 = Sunday
    window_minutes: int = 180
    style: str = Field(default="summary", max_length=16)  # summary | each
    questions: str | None = None  # JSON list of custom questions; None = the default three
    holidays: str | None = Field(default=None, max_length=8)  # country code, e.g. CN
    paused: bool = False
    created_at: datetime = timestamp()

    __table_args__ = (sa.UniqueConstraint("channel", "name", name="uq_standups_channel_name"),)


class StandupMember(SQLModel, table=True):
    """A participant with the UTC moment of their next unclaimed occurrence."""

    __tablename__ = "standup_members"
    standup_id: int = Field(foreign_key="standups.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(primary_key=True, max_length=128)
    next_prompt_at: datetime = timestamp(index=True)
    joined_at: datetime = timestamp()


class StandupRun(SQLModel, table=True):
    """One person's occurrence of one standup on one local day, and their answers.

    ``status``: prompted (conversation open; ``step`` is the next question) | answered | skipped |
    away | holiday | missed (Baton was down for the whole window) | unanswered (window closed).
    """

    __tablename__ = "standup_runs"
    id: int | None = Field(default=None, primary_key=True)
    standup_id: int = Field(foreign_key="standups.id", index=True, ondelete="CASCADE")
    ws: str = Field(max_length=160)
    user_id: str = Field(max_length=128)
    day: str = Field(max_length=10)  # the participant's local date, YYYY-MM-DD
    status: str = Field(max_length=16)
    step: int = 0
    answers: str = "[]"  # JSON list of strings, one per question
    blocker: str | None = Field(default=None, max_length=2000)
    prompt_at: datetime = timestamp()
    closes_at: datetime = timestamp()
    nudge_at: datetime | None = timestamp(nullable=True)
    nudged_at: datetime | None = timestamp(nullable=True)
    answered_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("standup_id", "user_id", "day", name="uq_standup_runs_occurrence"),
        sa.Index("ix_standup_runs_user_status", "ws", "user_id", "status"),
        sa.Index("ix_standup_runs_status_nudge", "status", "nudge_at"),
    )


class StandupDay(SQLModel, table=True):
    """One standup's occurrence on one day: its summary is posted once, after ``closes_at``.

    ``status``: open | posted | missed (nobody could be prompted: no summary, no spam).
    """

    __tablename__ = "standup_days"
    standup_id: int = Field(foreign_key="standups.id", primary_key=True, ondelete="CASCADE")
    day: str = Field(primary_key=True, max_length=10)
    status: str = Field(default="open", max_length=16)
    closes_at: datetime = timestamp()
    posted_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (sa.Index("ix_standup_days_status_closes", "status", "closes_at"),)


class StandupAway(SQLModel, table=True):
    """A person's time off (local dates, inclusive), for every standup of the workspace."""

    __tablename__ = "standup_away"
    ws: str = Field(primary_key=True, max_length=160)
    user_id: str = Field(primary_key=True, max_length=128)
    first_day: str = Field(max_length=10)
    last_day: str = Field(max_length=10)
