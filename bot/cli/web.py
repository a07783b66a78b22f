"""``baton web link``: a sign-in link to the dashboard, for operators (and the console's user)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from bot import weblinks
from bot.cli.options import DbOption, app_for
from bot.events import Platform

web_cli = typer.Typer(help="The web dashboard.", no_args_is_help=True)
_PERSON = re.compile(r"([a-z]+):([^/\s]{1,120})/([^\s]{1,128})")


def _person(text: str) -> tuple[str, str]:
    """``slack:T01/U02`` → (``slack:T01``, ``U02``); exits saying the form when it is not one."""
    match = _PERSON.fullmatch(text.strip())
    if match is None or match.group(1) not in {p.value for p in Platform}:
        platforms = ", ".join(p.value for p in Platform)
        typer.echo(
            f"--user: {text!r} is not platform:workspace/user_id, e.g. slack:T01ABC/U02DEF or "
            f"console:local/me (platforms: {platforms})",
            err=True,
        )
        raise typer.Exit(2)
    return f"{match.group(1)}:{match.group(2)}", match.group(3)


@web_cli.command("link")
def link(
    user: Annotated[
        str,
        typer.Option(help="Whom it signs in: platform:workspace/user_id (console:local/me)."),
    ],
    db: DbOption = None,
) -> None:
    """Print a one-time sign-in link (valid 10 minutes, usable once)."""
    ws, user_id = _person(user)
    app = app_for(db)
    if not app.settings.web_enabled:
        typer.echo("The dashboard is switched off (BATON_WEB=false).", err=True)
        raise typer.Exit(1)
    with app.engine.begin() as conn:
        url = weblinks.issue(
            conn,
            ws=ws,
            user_id=user_id,
            now=app.clock.now(),
            base_url=app.settings.dashboard_url,
            limited=False,
        )
    typer.echo(url)
