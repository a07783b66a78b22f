"""Multi-row INSERT .. ON CONFLICT DO NOTHING RETURNING, sent straight to the driver.

A scheduled burst writes ~100,000 claim and outbox rows in one tick; SQLAlchemy's executemany
processes every parameter of every row in Python, which took longer than the database. Here each
chunk is one statement with positional parameters, and values are passed as the driver wants them
(callers convert constants such as timestamps once, with ``driver_value``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

_MAX_PARAMS = 30_000  # SQLite allows 32,766 bound parameters per statement


def driver_value(conn: sa.Connection, column: sa.Column[Any], value: object) -> object:
    """``value`` converted by ``column``'s type for this connection's driver (done once)."""
    processor = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return processor(value) if processor else value


def insert_new(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    unique: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in ``columns`` order), skipping those that collide on ``unique``;
    returns ``returning`` of the rows actually inserted."""
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    one = "(" + ", ".join([marker] * len(columns)) + ")"
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    tail = (
        f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO NOTHING"
        f" RETURNING {', '.join(quote(c) for c in returning)}"
    )
    size = max(1, _MAX_PARAMS // len(columns))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        sql = head + ", ".join([one] * len(chunk)) + tail
        params = tuple(value for row in chunk for value in row)
        found.extend(tuple(r) for r in conn.exec_driver_sql(sql, params))
    return found
