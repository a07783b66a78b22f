"""Tables of the reminders feature: the reminder log (what was claimed), reminder settings per
workspace or channel, ad-hoc reminders and digest subscriptions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp


class ReminderLog(SQLModel, table=True):
    """One reminder claimed for sending: ``(subject, rule, occasion)`` is unique, so a reminder is
    claimed by exactly one tick, whichever process runs it."""

    __tablename__ = "reminder_log"
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=64)  # "task:12", "adhoc:3", "digest:4", "outbox:55"
    rule: str = Field(max_length=40)  # "due:1", "overdue", "channel", "escalate", "fire", ...
    occasion: str = Field(max_length=200)  # recipient and local date / moment it is for
    claimed_at: datetime = timestamp(index=True)

    __table_args__ = (
        sa.UniqueConstraint("subject", "rule", "occasion", name="uq_reminder_log_key"),
    )


class ReminderSetting(SQLModel, table=True):
    """Overrides of the reminder defaults for a workspace (``slack:T01``) or a channel."""

    __tablename__ = "reminder_settings"
    scope: str = Field(primary_key=True, max_length=400)
    quiet: str | None = Field(default=None, max_length=16)  # "21:00-09:00"
    weekends: bool | None = None  # True: remind on weekends too
    due_soon: str | None = Field(default=None, max_length=40)  # "3,1,0" days before
    updated_at: datetime = timestamp()


class AdhocReminder(SQLModel, table=True):
    """``remind me|@user <when> <text>``: one-off or recurring (``every`` + ``at_time`` in ``tz``)."""

    __tablename__ = "adhoc_reminders"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    creator_id: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    target: str = Field(max_length=400)
    text: str = Field(max_length=500)
    next_at: datetime = timestamp()
    every: str | None = Field(default=None, max_length=16)  # "daily" | "weekdays" | "weekly:0"
    at_time: str | None = Field(default=None, max_length=5)  # "09:00"
    tz: str = Field(max_length=64)
    locale: str | None = Field(default=None, max_length=8)  # set for "remind me"
    created_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True)  # fired (one-off) or cancelled

    __table_args__ = (sa.Index("ix_adhoc_open_next", "finished_at", "next_at"),)


class DigestSubscription(SQLModel, table=True):
    """A personal morning digest (``daily``, owner = user id) or a weekly channel digest
    (``weekly``, owner = channel target)."""

    __tablename__ = "digests"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    kind: str = Field(max_length=8)
    owner: str = Field(max_length=400)
    weekday: int | None = None
    at_time: str = Field(max_length=5)
    enabled: bool = True
    created_at: datetime = timestamp()

    __table_args__ = (sa.UniqueConstraint("kind", "ws", "owner", name="uq_digests_owner"),)
