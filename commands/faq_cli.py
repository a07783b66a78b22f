"""``baton faq``: import, export and search the FAQ from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.app import App

faq_cli = typer.Typer(help="FAQ entries: import, export, search.", no_args_is_help=True)

DbOption = Annotated[
    str | None, typer.Option("--db", help="SQLite file to use (overrides BATON_DATABASE_URL).")
]


def _app(db: str | None) -> App:
    from bot.app import build_app
    from bot.cli import load_settings

    return build_app(load_settings(db))


@faq_cli.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv or .jsonl file.", exists=True)],
    db: DbOption = None,
) -> None:
    """Import entries from CSV or JSONL: all of them, or none when any row is bad."""
    from commands import faq_io

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    app = _app(db)
    with app.engine.begin() as conn:
        fmt = faq_io.guess_format(file.name, text)
        ids, errors = faq_io.import_text(conn, text=text, fmt=fmt, now=app.clock.now())
    if errors:
        for line in faq_io.describe(errors):
            typer.echo(line, err=True)
        typer.echo(f"Nothing imported: {len(errors)} bad row(s).", err=True)
        raise typer.Exit(1)
    typer.echo(f"Imported {len(ids)} entries.")


@faq_cli.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    db: DbOption = None,
) -> None:
    """Print every entry as CSV or JSONL (the import format)."""
    from commands import faq_io
    from storage import faq

    if fmt not in ("csv", "jsonl"):
        typer.echo("--format must be csv or jsonl", err=True)
        raise typer.Exit(2)
    app = _app(db)
    with app.engine.connect() as conn:
        sys.stdout.write(faq_io.export(faq.every(conn), fmt=fmt))
