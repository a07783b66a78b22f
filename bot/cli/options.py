"""What every ``baton`` subcommand shares: the ``--db`` option and building the app it names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import sqlalchemy as sa
import typer

from bot.app import App
from bot.clock import Clock
from bot.config import Settings, configure_logging, load_settings, warn_about_env_file
from bot.wiring import build_app

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", metavar="PATH", help="SQLite file to use (overrides BATON_DATABASE_URL)."
    ),
]


def settings_for(db_path: str | None) -> Settings:
    """Settings for a subcommand, logging configured; a configuration error exits with code 2
    and says what is wrong, without a traceback. A ``.env`` others may read is warned about."""
    try:
        settings = load_settings(db_path)
    except ValueError as exc:
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    configure_logging(settings)
    warn_about_env_file()
    return settings


def app_for(db_path: str | None) -> App:
    """A ready app (database migrated) for a subcommand."""
    return app_with(settings_for(db_path))


def app_with(settings: Settings, *, clock: Clock | None = None) -> App:
    """A ready app on ``settings``; a database that cannot be opened or migrated exits with
    code 2 and one line saying which and why, without a traceback."""
    with opening(settings):
        return build_app(settings, clock=clock)


@contextmanager
def opening(settings: Settings) -> Iterator[None]:
    """Turn a database that cannot be opened or migrated into one line and exit code 2."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        url = sa.engine.make_url(settings.database_url.get_secret_value())
        where = url.render_as_string(hide_password=True)
        typer.echo(f"Cannot open the database {where}: {reason}", err=True)
        raise typer.Exit(2) from exc
