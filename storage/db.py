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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def build_engine(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite files get WAL, busy_timeout and foreign keys on every connection."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
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
