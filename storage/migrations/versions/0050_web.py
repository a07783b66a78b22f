"""web: where people were seen (who may open which board), sign-in links, generated keys; task
history says when a change came from the web; task moves as facts for flow metrics

Every move already in the history becomes a ``task_moves`` row: how long the task had sat in the
column it left (since its previous move, or its creation) and whether it went back on its board.
Whoever created a task in a channel is recorded as seen there, so people find their boards on the
web before they next write.

Revision ID: 0050_web
Revises: 0001_foundation
Create Date: 2026-12-02
"""

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0050_web"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEFAULT_COLUMNS = ["todo", "doing", "done"]
_CHUNK = 2000
_moved = sa.table(
    "task_events",
    sa.column("id", sa.Integer()),
    sa.column("task_id", sa.Integer()),
    sa.column("at", storage.types.UtcDateTime()),
    sa.column("kind", sa.String()),
    sa.column("detail", sa.String()),
)
_tasks = sa.table(
    "tasks",
    sa.column("id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("created_at", storage.types.UtcDateTime()),
)
_moves = sa.table(
    "task_moves",
    sa.column("task_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("at", storage.types.UtcDateTime()),
    sa.column("from_column", sa.String()),
    sa.column("to_column", sa.String()),
    sa.column("seconds", sa.Integer()),
    sa.column("backward", sa.Boolean()),
)


def upgrade() -> None:
    op.create_table(
        "channel_members",
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=400), nullable=False),
        sa.Column("first_seen_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ws", "user_id", "channel"),
    )
    op.execute(
        "INSERT INTO channel_members (ws, user_id, channel, first_seen_at) "
        "SELECT ws, creator_id, channel, MIN(created_at) FROM tasks "
        "GROUP BY ws, creator_id, channel"
    )
    op.create_table(
        "web_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("ws", sa.String(length=160), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("web_links", schema=None) as batch_op:
        batch_op.create_index("ix_web_links_person", ["ws", "user_id", "created_at"], unique=False)
    op.create_table(
        "web_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sa.String(length=16), nullable=True))
    op.create_table(
        "task_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=400), nullable=False),
        sa.Column("at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("from_column", sa.String(length=40), nullable=False),
        sa.Column("to_column", sa.String(length=40), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("backward", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    conn = op.get_bind()
    for chunk in _chunks(_facts(conn)):
        conn.execute(_moves.insert(), chunk)
    with op.batch_alter_table("task_moves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_moves_channel",
            ["channel", "at", "from_column", "seconds", "backward", "task_id"],
            unique=False,
        )
        batch_op.create_index("ix_task_moves_task", ["task_id", "at"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_channel_flow",
            ["channel", "done_at", "created_at", "due_at", "deleted_at"],
            unique=False,
        )


def _facts(conn: sa.Connection) -> Iterator[dict[str, Any]]:
    """A ``task_moves`` row for every ``moved`` history line, in order per task."""
    boards = {
        str(channel): json.loads(columns)
        for channel, columns in conn.execute(sa.text("SELECT channel, columns FROM boards"))
    }
    query = (
        sa.select(
            _moved.c.task_id, _moved.c.at, _moved.c.detail, _tasks.c.channel, _tasks.c.created_at
        )
        .join(_tasks, _tasks.c.id == _moved.c.task_id)
        .where(_moved.c.kind == "moved")
        .order_by(_moved.c.task_id, _moved.c.id)
    )
    last: tuple[int, datetime] | None = None
    for task_id, at, detail, channel, created_at in conn.execute(query):
        entered = last[1] if last is not None and last[0] == task_id else created_at
        last = (task_id, at)
        old, arrow, new = str(detail).partition(" → ")
        if not (arrow and old and new):
            continue
        order = boards.get(channel, _DEFAULT_COLUMNS)
        yield {
            "task_id": task_id,
            "channel": channel,
            "at": at,
            "from_column": old[:40],
            "to_column": new[:40],
            "seconds": max(0, int((at - entered).total_seconds())),
            "backward": old in order and new in order and order.index(new) < order.index(old),
        }


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_channel_flow")
    op.drop_table("task_moves")
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_column("via")
    op.drop_table("web_keys")
    with op.batch_alter_table("web_links", schema=None) as batch_op:
        batch_op.drop_index("ix_web_links_person")
    op.drop_table("web_links")
    op.drop_table("channel_members")
