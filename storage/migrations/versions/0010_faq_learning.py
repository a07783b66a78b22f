"""faq: stored sentence vectors, change tracking for incremental indexes, learned phrasings,
rejected matches, and "Ask a human" on a lookup

Revision ID: 0010_faq_learning
Revises: 0005_faq_replies
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010_faq_learning"
down_revision: str | Sequence[str] | None = "0005_faq_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_faq_entries_revision", ["revision"], unique=False)
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("asked_human", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "faq_tombstones",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    with op.batch_alter_table("faq_tombstones", schema=None) as batch_op:
        batch_op.create_index("ix_faq_tombstones_revision", ["revision"], unique=False)
    op.create_table(
        "faq_vectors",
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("model", "digest"),
    )
    op.create_table(
        "faq_learned",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.String(length=128), nullable=False),
        sa.Column("learned_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("faq_learned", schema=None) as batch_op:
        batch_op.create_index("ix_faq_learned_ws_at", ["ws", "learned_at"], unique=False)
    op.create_table(
        "faq_rejections",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.String(length=128), nullable=False),
        sa.Column("rejected_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", "entry_id"),
    )


def downgrade() -> None:
    op.drop_table("faq_rejections")
    with op.batch_alter_table("faq_learned", schema=None) as batch_op:
        batch_op.drop_index("ix_faq_learned_ws_at")
    op.drop_table("faq_learned")
    op.drop_table("faq_vectors")
    with op.batch_alter_table("faq_tombstones", schema=None) as batch_op:
        batch_op.drop_index("ix_faq_tombstones_revision")
    op.drop_table("faq_tombstones")
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.drop_column("asked_human")
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_faq_entries_revision")
        batch_op.drop_column("revision")
