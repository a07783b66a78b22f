"""chat_pace: each chat's pace, shared by every process sending to it (PostgreSQL deployments)

Revision ID: 0031_chat_pace
Revises: 0030_inbox
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_chat_pace"
down_revision: str | Sequence[str] | None = "0030_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_pace",
        sa.Column("chat", sa.String(length=400), nullable=False),
        sa.Column("due", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat"),
    )


def downgrade() -> None:
    op.drop_table("chat_pace")
