"""automation: rules and their fires, channel names, webhooks and their keys, recurring tasks, task links

Revision ID: 0060_automation
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0060_automation"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = storage.types.UtcDateTime
    op.create_table(
        "automation_counters",
        sa.Column("scope", sa.String(length=420), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("channel", sa.String(length=400), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("trigger_arg", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("action_arg", sa.String(length=420), nullable=False),
        sa.Column("action_text", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.Column("paused_at", ts(timezone=True), nullable=True),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", ts(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "number", name="uq_rules_channel_number"),
    )
    op.create_index("ix_rules_channel_trigger", "rules", ["channel", "trigger"])
    op.create_table(
        "rule_fires",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("change_key", sa.String(length=200), nullable=False),
        sa.Column("fired_at", ts(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule_id", "change_key"),
    )
    op.create_table(
        "channel_names",
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=400), nullable=False),
        sa.Column("set_by", sa.String(length=128), nullable=False),
        sa.Column("set_at", ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ws", "name"),
        sa.UniqueConstraint("channel"),
    )
    op.create_table(
        "hooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("channel", sa.String(length=400), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=40), nullable=True),
        sa.Column("tag", sa.String(length=40), nullable=True),
        sa.Column("secret", sa.String(length=80), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.Column("rotated_at", ts(timezone=True), nullable=True),
        sa.Column("last_used_at", ts(timezone=True), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "number", name="uq_hooks_channel_number"),
    )
    op.create_table(
        "hook_keys",
        sa.Column("hook_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hook_id"], ["hooks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hook_id", "key"),
    )
    op.create_table(
        "task_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=400), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owners", sa.String(), nullable=False),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.String(length=128), nullable=False),
        sa.Column("every", sa.String(length=16), nullable=False),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("next_at", ts(timezone=True), nullable=False),
        sa.Column("always", sa.Boolean(), nullable=False),
        sa.Column("last_task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.Column("stopped_at", ts(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["last_task_id"], ["tasks.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ws", "number", name="uq_task_series_ws_number"),
    )
    op.create_index("ix_task_series_next_at", "task_series", ["next_at"])
    op.create_table(
        "task_links",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("linked_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["linked_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "linked_id"),
    )


def downgrade() -> None:
    op.drop_table("task_links")
    op.drop_index("ix_task_series_next_at", table_name="task_series")
    op.drop_table("task_series")
    op.drop_table("hook_keys")
    op.drop_table("hooks")
    op.drop_table("channel_names")
    op.drop_table("rule_fires")
    op.drop_index("ix_rules_channel_trigger", table_name="rules")
    op.drop_table("rules")
    op.drop_table("automation_counters")
