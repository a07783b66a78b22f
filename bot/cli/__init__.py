"""The ``baton`` command.

``baton run`` starts every configured platform (the console when none is) with the scheduler;
``baton console`` chats with Baton in this terminal; ``baton tick`` runs the scheduled work once;
``baton db upgrade`` migrates the database; ``baton outbox`` shows or retries undelivered messages;
``baton web link`` prints a sign-in link to the dashboard.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli.faq import faq_cli
from bot.cli.options import DbOption, app_for, app_with, opening, settings_for
from bot.cli.web import web_cli
from bot.clock import FrozenClock, ShiftedClock
from bot.config import Settings
from bot.wiring import build_app
from storage.db import build_engine, current_revisions, upgrade

cli = typer.Typer(
    help="Baton: tasks, FAQ, standups and reminders for Slack, Feishu/Lark and DingTalk.\n\n"
    "Start with `baton console` to try it in this terminal (no accounts needed).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: no <bool>/<str> type columns
)
db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True, rich_markup_mode=None)
outbox_cli = typer.Typer(
    help="Messages waiting to be delivered.", invoke_without_command=True, rich_markup_mode=None
)
cli.add_typer(db_cli, name="db")
cli.add_typer(outbox_cli, name="outbox")
cli.add_typer(faq_cli, name="faq")
cli.add_typer(web_cli, name="web")


@cli.command()
def run(db: DbOption = None) -> None:
    """Run Baton: every configured platform plus the scheduler (the console when none is set)."""
    from bot.runner import run_forever  # adapters and the HTTP server load only to run Baton

    settings = settings_for(db)
    local = not (settings.slack_enabled or settings.feishu_enabled or settings.dingtalk_enabled)
    if local:  # the console, as `baton console` would run it
        app = app_with(_console_admin(settings, "me"), clock=ShiftedClock())
    else:
        app = app_with(settings)
    try:
        asyncio.run(run_forever(app))
    except KeyboardInterrupt:  # the console leaves on Ctrl-C; platforms stop on the signal
        raise typer.Exit(130) from None


def _console_admin(settings: Settings, user: str) -> Settings:
    """A local console trial: with no ``BATON_ADMINS``, the person at the keyboard is the admin."""
    if settings.admins:
        return settings
    return settings.model_copy(update={"admins_csv": user})


def _name(value: str) -> str:
    """A console user or channel name: not empty (``--channel ""`` is a usage error)."""
    if not value.strip() or any(c.isspace() for c in value.strip()):
        raise typer.BadParameter("give a name without spaces, e.g. alice or ops")
    return value.strip().lstrip("@#")


@cli.command()
def console(
    user: Annotated[
        str, typer.Option(metavar="NAME", help="Who you are in the chat.", callback=_name)
    ] = "me",
    channel: Annotated[
        str, typer.Option(metavar="NAME", help="The channel you are typing in.", callback=_name)
    ] = "general",
    lang: Annotated[
        str | None, typer.Option(metavar="en|zh", help="Your language: en or zh.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Chat with Baton in this terminal (one message per line when input is piped).

    /console lists the console's own commands. Without BATON_ADMINS, you are the admin here.
    """
    from bot.runner import run_console

    app = app_with(_console_admin(settings_for(db), user), clock=ShiftedClock())
    try:
        asyncio.run(run_console(app, user=user, channel=channel, locale=lang))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@cli.command()
def tick(
    at: Annotated[
        str | None,
        typer.Option(metavar="MOMENT", help="ISO-8601 moment to run for (default: now)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Run the scheduled work (reminders, standups, escalations, retries) once and deliver it."""
    from bot.runner import run_once

    settings = settings_for(db)
    clock = None
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError as exc:
            typer.echo(f"--at: {at!r} is not an ISO-8601 time", err=True)
            raise typer.Exit(2) from exc
        if moment.tzinfo is None:
            typer.echo("--at needs a time zone offset, e.g. 2026-12-07T10:00:00+08:00", err=True)
            raise typer.Exit(2)
        clock = FrozenClock(moment.astimezone(UTC))
    app = build_app(settings, clock=clock)
    asyncio.run(run_once(app))


@db_cli.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every pending schema migration and say which."""
    settings = settings_for(db)
    with opening(settings):
        engine = build_engine(settings.database_url.get_secret_value())
        applied = upgrade(engine)
        revisions = ", ".join(sorted(current_revisions(engine)))
    engine.dispose()
    if applied:
        typer.echo(f"Applied {len(applied)} migration(s):")
        for line in applied:
            typer.echo(f"  {line}")
    else:
        typer.echo("The database was already up to date.")
    typer.echo(f"Database is at revision {revisions}.")


@outbox_cli.callback()
def outbox_status(ctx: typer.Context, db: DbOption = None) -> None:
    """Show pending and parked messages (``baton outbox retry`` re-queues parked ones)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = db
        return
    app = app_for(db)
    counts = app.outbox.counts()
    typer.echo(
        "  ".join(
            f"{status}: {counts.get(status, 0)}"
            for status in ("pending", "sending", "sent", "parked")
        )
    )
    for row in app.outbox.parked():
        typer.echo(f"#{row.id} → {row.target} after {row.attempts} attempts: {row.error}")


@outbox_cli.command("retry")
def outbox_retry(ctx: typer.Context, db: DbOption = None) -> None:
    """Put every parked message back in the queue."""
    app = app_for(db or ctx.obj)
    typer.echo(f"Re-queued {app.outbox.retry_parked()} message(s).")


def main() -> None:
    """Entry point of the ``baton`` console script."""
    cli()
