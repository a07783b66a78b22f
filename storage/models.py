"""SQLModel tables of the foundation: people, inbound de-duplication, the outbox and tasks.

All datetimes are stored aware in UTC (``storage.types.UtcDateTime``). Workspace keys (``ws``) look like
``slack:T01``; channel keys are ``str(Target)`` without a thread.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp


class User(SQLModel, table=True):
    """A person Baton has met, with their own settings and what their platform profile says."""

    __tablename__ = "users"
    ws: str = Field(primary_key=True, max_length=160)
    user_id: str = Field(primary_key=True, max_length=128)
    display_name: str = Field(default="", max_length=200)
    tz: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=8)
    profile_tz: str | None = Field(default=None, max_length=64)
    profile_locale: str | None = Field(default=None, max_length=8)
    # The language they mostly write in: +1 for each Chinese message, -1 for each English one,
    # kept within ±8 so a change of habit shows within a few messages.
    writes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    messages: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # up to 10
    updated_at: datetime = timestamp()


class InboxEvent(SQLModel, table=True):
    """A platform event, stored before it is acknowledged: ``event_key`` (platform and the
    platform's own id) is unique, so a redelivery is stored once. A worker claims the row (``owner``
    and ``lease_until``), runs it and marks it ``done`` in the same transaction as everything the
    handler wrote; the raw ``payload`` is dropped then. Rows the direct path handled (the console)
    are stored ``done`` at once, only for de-duplication."""

    __tablename__ = "inbox"
    id: int | None = Field(default=None, primary_key=True)
    event_key: str = Field(max_length=300, unique=True)
    platform: str = Field(default="", max_length=16)
    kind: str = Field(default="", max_length=32)
    chat: str = Field(default="", max_length=300)  # events of one chat are run in order
    payload: str | None = None  # JSON, until the event is done
    status: str = Field(default="pending", max_length=16)  # pending | done | failed
    owner: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = timestamp(nullable=True)
    attempts: int = 0
    received_at: datetime = timestamp(index=True)
    done_at: datetime | None = timestamp(nullable=True)
    last_error: str | None = Field(default=None, max_length=1000)

    __table_args__ = (sa.Index("ix_inbox_status_lease", "status", "lease_until"),)


class OutboxMessage(SQLModel, table=True):
    """A message Baton means to send: stored before sending, retried until sent or parked."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(max_length=400)
    payload: str
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | parked
    attempts: int = 0
    dedupe_key: str | None = Field(default=None, max_length=300, unique=True)
    message_ref: str | None = Field(default=None, max_length=300)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = timestamp()
    next_attempt_at: datetime = timestamp()
    lease_until: datetime | None = timestamp(nullable=True)
    owner: str | None = Field(default=None, max_length=200)  # the process holding the lease
    sent_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class ChatPace(SQLModel, table=True):
    """When a chat may next receive a message (epoch seconds: the theoretical arrival time of the
    generic cell rate algorithm), shared by every process that sends to it."""

    __tablename__ = "chat_pace"
    chat: str = Field(primary_key=True, max_length=400)
    due: float


class TaskCounter(SQLModel, table=True):
    """The last short task number handed out per workspace (``#12``)."""

    __tablename__ = "task_counters"
    ws: str = Field(primary_key=True, max_length=160)
    last_number: int = 0


class Board(SQLModel, table=True):
    """A channel's kanban columns and optional WIP limits (JSON)."""

    __tablename__ = "boards"
    channel: str = Field(primary_key=True, max_length=400)
    columns: str  # JSON list of column names; the last one means "done"
    wip: str = "{}"  # JSON object column -> limit


class Task(SQLModel, table=True):
    """A tracked piece of work with a short per-workspace number."""

    __tablename__ = "tasks"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    number: int
    channel: str = Field(max_length=400)
    source: str = Field(default="", max_length=400)
    title: str = Field(max_length=200)
    column: str = Field(max_length=40)
    priority: int = 0  # -1 low, 0 normal, 1 high
    tags: str = ""  # space separated, with a leading and trailing space for LIKE
    creator_id: str = Field(max_length=128)
    due_at: datetime | None = timestamp(nullable=True, index=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    done_at: datetime | None = timestamp(nullable=True)
    deleted_at: datetime | None = timestamp(nullable=True)
    snoozed_until: datetime | None = timestamp(nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("ws", "number", name="uq_tasks_ws_number"),
        sa.Index("ix_tasks_channel_column", "channel", "column"),
        # Listing a channel's open tasks, most urgent first, counts and sorts from this index alone.
        sa.Index(
            "ix_tasks_open",
            "ws",
            "channel",
            "due_at",
            sa.text("priority DESC"),
            "number",
            sqlite_where=sa.text("done_at IS NULL AND deleted_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL AND deleted_at IS NULL"),
        ),
        # Flow metrics and the board's finished column read this index alone (it covers them).
        sa.Index(
            "ix_tasks_channel_flow", "channel", "done_at", "created_at", "due_at", "deleted_at"
        ),
    )


class TaskOwner(SQLModel, table=True):
    """Who owns a task (a task may have several owners)."""

    __tablename__ = "task_owners"
    task_id: int = Field(foreign_key="tasks.id", primary_key=True, ondelete="CASCADE")
    user_id: str = Field(primary_key=True, max_length=128, index=True)


class TaskEvent(SQLModel, table=True):
    """One line of a task's history: who changed what, when (notes are history too)."""

    __tablename__ = "task_events"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", index=True, ondelete="CASCADE")
    at: datetime = timestamp()
    actor_id: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    detail: str = Field(default="", max_length=4000)
    via: str | None = Field(default=None, max_length=16)  # "web": not typed in the chat


class TaskMove(SQLModel, table=True):
    """One move of a task between columns, for flow metrics: how long it had sat in the column it
    left, and whether it went back on the board. (Its history line says the same in words.)

    The channel index covers every column the metrics read, so a page over months of moves reads
    one index range and never the table."""

    __tablename__ = "task_moves"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE")
    channel: str = Field(max_length=400)
    at: datetime = timestamp()
    from_column: str = Field(max_length=40)
    to_column: str = Field(max_length=40)
    seconds: int  # in from_column
    backward: bool

    __table_args__ = (
        sa.Index(
            "ix_task_moves_channel",
            "channel",
            "at",
            "from_column",
            "seconds",
            "backward",
            "task_id",
        ),
        sa.Index("ix_task_moves_task", "task_id", "at"),
    )


class ChecklistItem(SQLModel, table=True):
    """One checklist line of a task."""

    __tablename__ = "task_checklist"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", index=True, ondelete="CASCADE")
    position: int
    text: str = Field(max_length=500)
    done_at: datetime | None = timestamp(nullable=True)
    done_by: str | None = Field(default=None, max_length=128)
