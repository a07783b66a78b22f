"""What every ``baton`` subcommand shares: the ``--db`` option and building the app it names."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import App
from bot.config import Settings, configure_logging, load_settings, warn_about_env_file
from bot.wiring import build_app

DbOption = Annotated[
    str | None, typer.Option("--db", help="SQLite file to use (overrides BATON_DATABASE_URL).")
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
    return build_app(settings_for(db_path))
