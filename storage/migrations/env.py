"""Alembic environment: runs migrations on the engine Baton built (see ``storage.db``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.migration import MigrationContext, MigrationInfo
from sqlmodel import SQLModel

from storage import (  # noqa: F401  (tables)
    models,
    models_access,
    models_automation,
    models_faq,
    models_reminders,
    models_standups,
    models_web,
)

config = context.config
target_metadata = SQLModel.metadata
# Several Baton processes starting together on one PostgreSQL database migrate one at a time: the
# first applies the migrations, the others find them applied.
MIGRATION_LOCK = 0x6261746F6E  # "baton"


def run_migrations() -> None:
    """Run online migrations; SQLite needs batch mode for ALTERs."""
    engine = config.attributes.get("engine") or sa.create_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    applied: list[str] = config.attributes.setdefault("applied", [])

    def record(
        ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Any
    ) -> None:
        """Remember each migration applied, so ``baton db upgrade`` can say what it did."""
        doc = str(getattr(step.up_revision, "doc", "") or "").strip()
        applied.append(f"{step.up_revision_id}: {doc}")

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            on_version_apply=record,
        )
        context.run_migrations()


run_migrations()
