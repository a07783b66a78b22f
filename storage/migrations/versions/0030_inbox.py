"""inbox: platform events stored before they are acknowledged; outbox rows name their owner

The inbox replaces ``inbound_events``: every key that table held is kept as a ``done`` row, so an
event handled before the upgrade is still dropped when a platform redelivers it.

Revision ID: 0030_inbox
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0030_inbox"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=300), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("chat", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_inbox_status_lease", ["status", "lease_until"], unique=False)
    op.execute(
        "INSERT INTO inbox (event_key, platform, kind, chat, status, attempts, received_at)"
        " SELECT event_key, '', '', '', 'done', 0, received_at FROM inbound_events"
    )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_events_received_at")
    op.drop_table("inbound_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("owner")
    op.create_table(
        "inbound_events",
        sa.Column("event_key", sa.String(length=300), nullable=False),
        sa.Column("received_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_key"),
    )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_events_received_at", ["received_at"], unique=False)
    op.execute(
        "INSERT INTO inbound_events (event_key, received_at)"
        " SELECT event_key, received_at FROM inbox"
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_status_lease")
        batch_op.drop_index("ix_inbox_received_at")
    op.drop_table("inbox")
