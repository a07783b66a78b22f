"""open tasks index: a channel's open tasks are counted and sorted from one partial index

Revision ID: 0080_open_tasks_index
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0080_open_tasks_index"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("done_at IS NULL AND deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_tasks_open",
        "tasks",
        ["ws", "channel", "due_at", sa.text("priority DESC"), "number"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_open", table_name="tasks")
