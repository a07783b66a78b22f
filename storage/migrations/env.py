"""Alembic environment: runs migrations on the engine Baton built (see ``storage.db``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

from storage import (  # noqa: F401  (tables)
    models,
    models_access,
    models_faq,
    models_reminders,
    models_standups,
    models_web,
)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Run online migrations; SQLite needs batch mode for ALTERs."""
    engine = config.attributes.get("engine") or sa.create_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations()
