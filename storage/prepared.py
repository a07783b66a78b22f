"""The few statements every message runs, compiled once and sent straight to the driver.

SQLAlchemy's execution path (cache lookup, execution context, result set-up) costs about 50 µs a
statement, ten times what SQLite spends running a primary-key lookup or a one-row insert; a
message runs a handful of them. A ``Prepared`` statement is an ordinary Core statement, compiled
at import for the dialects Baton runs on, with its parameters and result columns converted by the
same types SQLAlchemy would use, then run on the transaction's own driver connection. Everything
else, and any other dialect, goes through SQLAlchemy as usual.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from storage.types import UtcDateTime

Processor = Callable[[Any], Any] | None
_DIALECTS: Mapping[str, Dialect] = {
    "sqlite": sqlite.pysqlite.dialect(),
    "postgresql": postgresql.psycopg.dialect(),  # type: ignore[no-untyped-call]
}


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement as one dialect's driver takes it."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in position order; None: named parameters
    defaults: Mapping[str, object]  # values fixed in the statement itself
    # (parameter, converter), where one is due
    converts: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, converter), where one is due


# A stored time's text: an aware UTC time's ISO form without its "+00:00".
_STORED_LENGTH = len("2026-01-31 23:59:59.000000")


def _sqlite_utc_in(value: datetime | None) -> str | None:
    """An aware time as SQLite stores a ``UtcDateTime`` (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``,
    the text SQLAlchemy writes, so stored times compare as text)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC time")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:_STORED_LENGTH]


def _sqlite_utc_out(value: str | None) -> datetime | None:
    """A stored ``UtcDateTime`` read back from SQLite, aware and in UTC."""
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def _bind_processor(kind: sa.types.TypeEngine[Any], dialect: Dialect) -> Processor:
    """How a value is handed to the driver: SQLAlchemy's own conversion, or for times on SQLite
    the same text in one call instead of three (a page of tasks carries a hundred times)."""
    if isinstance(kind, UtcDateTime) and dialect.name == "sqlite":
        return _sqlite_utc_in
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(kind: sa.types.TypeEngine[Any], dialect: Dialect) -> Processor:
    """How a value from the driver is read: as :func:`_bind_processor`, the other way."""
    if isinstance(kind, UtcDateTime) and dialect.name == "sqlite":
        return _sqlite_utc_out
    return kind.dialect_impl(dialect).result_processor(dialect, None)


def _compile(statement: sa.Executable, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    order = tuple(compiled.positiontup) if compiled.positional else None
    used = set(order) if order is not None else set(compiled.bind_names.values())
    binds = {name: bind for name, bind in compiled.binds.items() if name in used}
    columns = getattr(statement, "selected_columns", ())
    return _Compiled(
        sql=compiled.string,
        order=order,
        defaults={name: bind.value for name, bind in binds.items()},
        converts=tuple(
            (name, process)
            for name, bind in binds.items()
            if (process := _bind_processor(bind.type, dialect)) is not None
        ),
        results=tuple(
            (position, process)
            for position, column in enumerate(columns)
            if (process := _result_processor(column.type, dialect)) is not None
        ),
    )


def insert_values(table: sa.Table, columns: Sequence[str]) -> sa.Insert:
    """``INSERT INTO table (columns) VALUES (:column, …)``: an insert that names the columns it
    writes (a bare ``table.insert()`` is compiled with every column)."""
    return table.insert().values({name: sa.bindparam(name) for name in columns})


class Prepared:
    """A Core statement run with the least overhead: see the module's docstring. Give one
    statement, or one per dialect name where they differ (``INSERT .. ON CONFLICT``)."""

    def __init__(self, statement: sa.Executable | Mapping[str, sa.Executable]) -> None:
        self._statements: Mapping[str, sa.Executable] = (
            statement if isinstance(statement, Mapping) else dict.fromkeys(_DIALECTS, statement)
        )
        self._by_dialect = {
            name: _compile(self._statements[name], dialect)
            for name, dialect in _DIALECTS.items()
            if name in self._statements
        }

    def _statement(self, conn: sa.Connection) -> sa.Executable:
        found = self._statements.get(conn.dialect.name)
        return found if found is not None else next(iter(self._statements.values()))

    def _run(self, conn: sa.Connection, params: Mapping[str, object]) -> Any:
        """The driver's cursor after running the statement, or None when this connection's
        driver is not one the statement was compiled for."""
        compiled = self._by_dialect.get(conn.dialect.name)
        if compiled is None or conn.dialect.driver != _DIALECTS[conn.dialect.name].driver:
            return None
        values = {**compiled.defaults, **params}
        for name, process in compiled.converts:
            values[name] = process(values[name])
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        if compiled.order is None:
            cursor.execute(compiled.sql, values)
        else:
            cursor.execute(compiled.sql, [values[name] for name in compiled.order])
        return cursor

    def rows(self, conn: sa.Connection, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
        """Every row the statement returns, its values converted as SQLAlchemy would."""
        cursor = self._run(conn, params)
        if cursor is None:
            return [tuple(row) for row in conn.execute(self._statement(conn), dict(params))]
        found = cursor.fetchall()
        cursor.close()
        results = self._by_dialect[conn.dialect.name].results
        if not results:
            return [tuple(row) for row in found]
        converted = []
        for row in found:
            values = list(row)
            for position, process in results:
                values[position] = process(values[position])
            converted.append(tuple(values))
        return converted

    def first(self, conn: sa.Connection, params: Mapping[str, object]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def count(self, conn: sa.Connection, params: Mapping[str, object]) -> int:
        """Run a statement that returns nothing; the number of rows it changed."""
        cursor = self._run(conn, params)
        if cursor is None:
            return int(conn.execute(self._statement(conn), dict(params)).rowcount)
        changed = int(cursor.rowcount)
        cursor.close()
        return changed

    def many(self, conn: sa.Connection, params: Sequence[Mapping[str, object]]) -> None:
        """Run a statement that returns nothing once per parameter set."""
        for one in params:
            self.count(conn, one)


@contextlib.contextmanager
def savepoint(conn: sa.Connection, name: str = "handler") -> Iterator[None]:
    """A savepoint in the caller's transaction, said to the driver directly: what the block
    writes is undone if it raises, and the transaction goes on. (``begin_nested`` does the same
    with three times the work, and every message runs one.)"""
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    cursor.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cursor.execute(f"RELEASE SAVEPOINT {name}")
        raise
    else:
        cursor.execute(f"RELEASE SAVEPOINT {name}")
    finally:
        cursor.close()
