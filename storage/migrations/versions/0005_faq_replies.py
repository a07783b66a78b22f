"""faq: the latest reply in an escalation's thread, for "Save as FAQ"

Revision ID: 0005_faq_replies
Revises: 0002_faq
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_faq_replies"
down_revision: str | Sequence[str] | None = "0002_faq"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("faq_escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply", sa.String(length=8000), nullable=True))
        batch_op.add_column(sa.Column("reply_by", sa.String(length=128), nullable=True))
        batch_op.create_index("ix_faq_escalations_place", ["place", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("faq_escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_faq_escalations_place")
        batch_op.drop_column("reply_by")
        batch_op.drop_column("reply")
