"""``baton faq``: import, export and search the FAQ from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.options import DbOption, app_for
from commands.faq import io as faq_io
from commands.faq.search import index_of, lookup
from storage import faq

faq_cli = typer.Typer(
    help="FAQ entries: import, export, search.", no_args_is_help=True, rich_markup_mode=None
)


@faq_cli.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A .csv or .jsonl file.", exists=True)
    ],
    db: DbOption = None,
) -> None:
    """Import entries from CSV or JSONL: all of them, or none when any row is bad. Run it again
    after editing the file: entries whose question matches are updated, not duplicated."""
    try:
        decoded = faq_io.decode(file.read_bytes())
    except OSError as exc:
        typer.echo(f"Cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if decoded is None:
        typer.echo(f"{file} is neither UTF-8 nor GB18030 text: save it as CSV UTF-8.", err=True)
        raise typer.Exit(2)
    text, encoding = decoded
    app = app_for(db)
    with app.engine.begin() as conn:
        fmt = faq_io.guess_format(file.name, text)
        done, errors = faq_io.import_text(conn, text=text, fmt=fmt, now=app.clock.now())
    if done is None:
        for line in faq_io.describe(errors):
            typer.echo(line, err=True)
        typer.echo(f"Nothing imported: {len(errors)} bad row(s).", err=True)
        raise typer.Exit(1)
    if encoding == "gb18030":
        typer.echo(f"Read {file.name} as GB18030 (not UTF-8).")
    typer.echo(
        f"Imported {len(done.ids)} entries: {done.added} added, {done.updated} updated, "
        f"{done.unchanged} unchanged."
    )
    with app.engine.begin() as conn:  # encode and store the new phrasings' vectors now
        index_of(conn, app.memo, app.settings)


@faq_cli.command("export")
def export(
    fmt: Annotated[
        str, typer.Option("--format", metavar="csv|jsonl", help="csv or jsonl.")
    ] = "csv",
    db: DbOption = None,
) -> None:
    """Print every entry as CSV or JSONL (the import format)."""
    if fmt not in ("csv", "jsonl"):
        typer.echo("--format must be csv or jsonl", err=True)
        raise typer.Exit(2)
    app = app_for(db)
    with app.engine.connect() as conn:
        sys.stdout.write(faq_io.export(faq.every(conn), fmt=fmt))


@faq_cli.command("search")
def search_(
    question: Annotated[
        str | None, typer.Argument(metavar="QUESTION", help="The question to look up.")
    ] = None,
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch", metavar="FILE", help="A file with one question per line.", exists=True
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
    db: DbOption = None,
) -> None:
    """Look questions up as Baton would in chat: the decision (answer, suggest or escalate) and
    the best entries with their scores."""
    if (question is None) == (batch is None):
        typer.echo("Give one question, or --batch FILE.", err=True)
        raise typer.Exit(2)
    questions = [question] if question is not None else _lines(batch)
    app = app_for(db)
    with app.engine.begin() as conn:  # vectors of phrasings not encoded yet are stored
        for text in questions:
            found = lookup(conn, text, settings=app.settings, memo=app.memo)
            typer.echo(json.dumps(found, ensure_ascii=False) if as_json else _plain(found))


def _lines(path: Path | None) -> list[str]:
    """Non-blank lines of the batch file."""
    assert path is not None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Cannot read {path}: {exc}", err=True)
        raise typer.Exit(2) from exc
    return [line.strip() for line in text.splitlines() if line.strip()]


def _plain(found: dict[str, object]) -> str:
    """A lookup for people: the decision, then one line per hit."""
    hits = found["hits"]
    assert isinstance(hits, list)
    lines = [f"{found['decision']}: {found['query']}"]
    lines += [f"  #{h['id']}  {h['score']:.3f}  {h['question']}" for h in hits]
    return "\n".join(lines)
