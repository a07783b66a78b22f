"""Engine construction and schema migration. Nothing here runs at import time.

SQLite gets WAL (readers never block the writer), a busy timeout (a second process waits instead of
failing) and enforced foreign keys. Migrations are Alembic's, applied at start-up and by
``baton db upgrade``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# Pages of write-ahead log after which the committing connection copies them into the database
# itself. SQLite's default, 1,000 pages, makes every hundredth message wait some milliseconds for
# that copy; ``checkpoint`` does it every second in a thread of its own, so this is only the
# backstop for a process that has stopped calling it (about 32 MB of log).
WAL_BACKSTOP_PAGES = 8000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
    cursor.close()


# PostgreSQL's serialization failure, deadlock and lock-not-available: the transaction lost a race
# and would succeed if run again.
_RACE_STATES = frozenset({"40001", "40P01", "55P03"})


def lost_a_race(exc: BaseException) -> bool:
    """Whether ``exc`` is the database giving up on a transaction that collided with another one
    (a deadlock, a serialization failure, SQLite busy past its timeout): running it again is the
    answer, not an error message. Prepared statements raise the driver's own errors; SQLAlchemy
    wraps them."""
    raw = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if getattr(raw, "sqlstate", None) in _RACE_STATES:
        return True
    return getattr(raw, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


def checkpoint(engine: sa.Engine) -> None:
    """Copy the SQLite write-ahead log into the database without waiting for anyone (PASSIVE:
    writers go on meanwhile), so no message's commit has to; nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def build_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite files get WAL, busy_timeout and foreign keys on every connection."""
    if url.startswith("sqlite"):
        # Last in, first out: each message takes the connection the previous one used, whose
        # page cache is still valid. Handed out in turn (the default), each connection would find
        # the file changed by the other and read its pages again.
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False}, pool_use_lifo=True
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Claims and "insert unless already there" read the row count of INSERTs, which SQLAlchemy
    # only fetches for UPDATE and DELETE unless asked.
    return sa.create_engine(url, pool_pre_ping=True, execution_options={"preserve_rowcount": True})


def alembic_config(engine: sa.Engine) -> Config:
    """An Alembic config bound to ``engine`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: sa.Engine) -> list[str]:
    """Bring the schema to the newest revision of every feature branch; returns the migrations
    applied (``revision: what it does``), none when the database was up to date."""
    config = alembic_config(engine)
    command.upgrade(config, "heads")
    return list(config.attributes.get("applied", []))


def current_revisions(engine: sa.Engine) -> set[str]:
    """The revisions the database is at (empty for a fresh database)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return set()
        return {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}


def head_revisions() -> set[str]:
    """The newest revision of every migration branch (what a current database is at)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())
