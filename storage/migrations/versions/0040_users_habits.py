"""users: the language a person mostly writes in, and how many messages Baton has seen from them

Revision ID: 0040_users_habits
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_users_habits"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("writes", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("messages", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("messages")
        batch_op.drop_column("writes")
