"""SQLModel tables of automation: when-then rules and what they fired, channels' names, inbound
webhooks and the keys that make them idempotent, recurring tasks, and links between tasks.

Channel keys are ``str(Target)`` without a thread (``slack:T01/C02``), as boards use them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp


class AutomationCounter(SQLModel, table=True):
    """The last short number handed out in one scope (``rule:<channel>``, ``hook:<channel>``,
    ``series:<ws>``): rule 3, webhook 2, recurring task R4."""

    __tablename__ = "automation_counters"
    scope: str = Field(primary_key=True, max_length=420)
    last_number: int = 0


class Rule(SQLModel, table=True):
    """A channel's when-then rule: ``trigger`` (``moved``, ``created``, ``done``, ``overdue``,
    ``sla``) with its argument (a column, a tag), and one action (``notify``, ``assign``, ``tag``,
    ``move``, ``follow``) with its argument (a person, a channel key, a tag, a column) and, for a
    follow-up, its title."""

    __tablename__ = "rules"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    channel: str = Field(max_length=400)
    number: int
    trigger: str = Field(max_length=16)
    trigger_arg: str = Field(default="", max_length=60)
    action: str = Field(max_length=16)
    action_arg: str = Field(default="", max_length=420)
    action_text: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=128)
    created_at: datetime = timestamp()
    paused_at: datetime | None = timestamp(nullable=True)
    fired: int = 0
    last_fired_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("channel", "number", name="uq_rules_channel_number"),
        sa.Index("ix_rules_channel_trigger", "channel", "trigger"),
    )


class RuleFire(SQLModel, table=True):
    """One rule fired for one change (``task-event:41``, ``task:7:overdue:<due>``): the key is
    unique, so a redelivered change, a doubled tick or a second process never fires it twice."""

    __tablename__ = "rule_fires"
    rule_id: int = Field(foreign_key="rules.id", primary_key=True, ondelete="CASCADE")
    change_key: str = Field(primary_key=True, max_length=200)
    fired_at: datetime = timestamp()


class ChannelName(SQLModel, table=True):
    """The name a channel goes by in rules (``notify #cs``), unique in its workspace."""

    __tablename__ = "channel_names"
    ws: str = Field(primary_key=True, max_length=160)
    name: str = Field(primary_key=True, max_length=40)
    channel: str = Field(max_length=400, unique=True)
    set_by: str = Field(max_length=128)
    set_at: datetime = timestamp()


class Hook(SQLModel, table=True):
    """An inbound webhook: ``POST /hooks/<id>`` signed with ``secret`` creates a task on
    ``channel``'s board (in ``column``, tagged ``tag``, when set)."""

    __tablename__ = "hooks"
    id: str = Field(primary_key=True, max_length=40)
    ws: str = Field(max_length=160)
    channel: str = Field(max_length=400)
    number: int
    column: str | None = Field(default=None, max_length=40)
    tag: str | None = Field(default=None, max_length=40)
    secret: str = Field(max_length=80)
    created_by: str = Field(max_length=128)
    created_at: datetime = timestamp()
    rotated_at: datetime | None = timestamp(nullable=True)
    last_used_at: datetime | None = timestamp(nullable=True)
    uses: int = 0

    __table_args__ = (sa.UniqueConstraint("channel", "number", name="uq_hooks_channel_number"),)


class HookKey(SQLModel, table=True):
    """The task a webhook's ``key`` made: the same key again updates it instead."""

    __tablename__ = "hook_keys"
    hook_id: str = Field(
        foreign_key="hooks.id", primary_key=True, max_length=40, ondelete="CASCADE"
    )
    key: str = Field(primary_key=True, max_length=200)
    task_id: int | None = Field(default=None, foreign_key="tasks.id", ondelete="CASCADE")
    created_at: datetime = timestamp()


class TaskSeries(SQLModel, table=True):
    """A recurring task: a new task on ``channel``'s board at each occurrence of ``every`` at
    ``at_time`` in ``tz`` (the creator's wall clock), the next one at ``next_at``."""

    __tablename__ = "task_series"
    id: int | None = Field(default=None, primary_key=True)
    ws: str = Field(max_length=160)
    number: int
    channel: str = Field(max_length=400)
    title: str = Field(max_length=200)
    owners: str = ""  # space separated user ids
    tags: str = ""  # space separated
    priority: int = 0
    creator_id: str = Field(max_length=128)
    every: str = Field(max_length=16)  # daily | weekdays | weekly:<0-6> | monthly:<1-31>
    at_time: str = Field(max_length=5)  # "17:00"
    tz: str = Field(max_length=64)
    locale: str = Field(max_length=8)  # the creator's language, for the board's message
    next_at: datetime = timestamp(index=True)
    always: bool = False  # False: no new task while the previous one is still open
    last_task_id: int | None = Field(default=None, foreign_key="tasks.id", ondelete="SET NULL")
    created_at: datetime = timestamp()
    stopped_at: datetime | None = timestamp(nullable=True)

    __table_args__ = (sa.UniqueConstraint("ws", "number", name="uq_task_series_ws_number"),)


class TaskLink(SQLModel, table=True):
    """Two tasks linked both ways (a follow-up and the task it follows): one row each way."""

    __tablename__ = "task_links"
    task_id: int = Field(foreign_key="tasks.id", primary_key=True, ondelete="CASCADE")
    linked_id: int = Field(foreign_key="tasks.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # "follow_up" (linked_id follows task_id) | "follows"
    created_at: datetime = timestamp()
