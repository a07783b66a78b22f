"""reminders: reminder log, settings, ad-hoc reminders, digests; index for open tasks by due date

Revision ID: 0003_reminders
Revises: 0001_foundation
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_reminders"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "done_at IS NULL AND deleted_at IS NULL"


def upgrade() -> None:
    ts = storage.types.UtcDateTime
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("occasion", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject", "rule", "occasion", name="uq_reminder_log_key"),
    )
    op.create_index("ix_reminder_log_claimed_at", "reminder_log", ["claimed_at"])
    op.create_table(
        "reminder_settings",
        sa.Column("scope", sa.String(length=400), nullable=False),
        sa.Column("quiet", sa.String(length=16), nullable=True),
        sa.Column("weekends", sa.Boolean(), nullable=True),
        sa.Column("due_soon", sa.String(length=40), nullable=True),
        sa.Column("updated_at", ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "adhoc_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("creator_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("next_at", ts(timezone=True), nullable=False),
        sa.Column("every", sa.String(length=16), nullable=True),
        sa.Column("at_time", sa.String(length=5), nullable=True),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.Column("finished_at", ts(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_adhoc_open_next", "adhoc_reminders", ["finished_at", "next_at"])
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("owner", sa.String(length=400), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", ts(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ws", "owner", name="uq_digests_owner"),
    )
    # Only open tasks with a due date are ever reminded: a partial index keeps the due query an
    # index range read however many finished tasks accumulate, and it covers every column the
    # query reads, so the table itself is not touched (titles are read later, only for the
    # reminders actually claimed).
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        ["due_at", "id", "ws", "channel", "creator_id", "snoozed_until", "done_at", "deleted_at"],
        sqlite_where=sa.text(f"due_at IS NOT NULL AND {_OPEN}"),
        postgresql_where=sa.text(f"due_at IS NOT NULL AND {_OPEN}"),
    )
    op.create_index("ix_tasks_done_at", "tasks", ["done_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_done_at", table_name="tasks")
    op.drop_index("ix_tasks_open_due", table_name="tasks")
    op.drop_table("digests")
    op.drop_index("ix_adhoc_open_next", table_name="adhoc_reminders")
    op.drop_table("adhoc_reminders")
    op.drop_table("reminder_settings")
    op.drop_index("ix_reminder_log_claimed_at", table_name="reminder_log")
    op.drop_table("reminder_log")
