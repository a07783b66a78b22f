"""Column types and helpers every table module shares.

``UtcDateTime`` keeps datetimes aware and in UTC on every database (SQLite forgets the zone);
``timestamp`` declares such a column on a SQLModel class; ``table`` gives the SQLAlchemy ``Table``
of a SQLModel class with its type known, for the Core statements the repository modules build.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    """A ``UtcDateTime`` column for a SQLModel field (``created_at: datetime = timestamp()``)."""
    return Field(default=None, sa_column=sa.Column(UtcDateTime(), nullable=nullable, index=index))


def table(model: type[SQLModel]) -> sa.Table:
    """The ``Table`` behind a SQLModel class (SQLModel sets ``__table__`` without declaring it)."""
    found = sa.inspect(model).local_table
    if not isinstance(found, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return found
