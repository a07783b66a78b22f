"""Short numbers people type (rule 3, webhook 2, recurring task R4), one sequence per scope.

One ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING``: two commands numbering at once in the same
scope never get the same number, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

_NEXT = sa.text(
    "INSERT INTO automation_counters (scope, last_number) VALUES (:scope, 1) "
    "ON CONFLICT (scope) DO UPDATE SET last_number = automation_counters.last_number + 1 "
    "RETURNING last_number"
)


def next_number(conn: sa.Connection, *, scope: str) -> int:
    """The next number of ``scope`` (1 the first time)."""
    return int(conn.execute(_NEXT, {"scope": scope}).scalar_one())
