"""The ``baton`` command at its edges: options in any position, one clear line for a database or
a setting that is wrong, migrations named in words, plain help, and a run that stops at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import cli
from tests.test_cli import ROOT, baton


def test_outbox_retry_takes_db_after_the_subcommand(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    for args in (("outbox", "retry", "--db", str(db)), ("outbox", "--db", str(db), "retry")):
        result = baton(*args, db=tmp_path / "default.db")
        assert result.returncode == 0, result.stderr
        assert "Re-queued 0 message(s)." in result.stdout
    assert db.exists()


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    result = baton("outbox", "--db", "/nonexistent/dir/x.db", db=tmp_path / "b.db")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Cannot open the database sqlite:////nonexistent/dir/x.db: unable to open database file"
    )


def test_half_configured_slack_is_one_clear_line(tmp_path: Path) -> None:
    result = baton("outbox", db=tmp_path / "b.db", env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Configuration error: SLACK_BOT_TOKEN is set, but Slack also needs SLACK_APP_TOKEN "
        "(Socket Mode) or SLACK_SIGNING_SECRET (HTTP)"
    )


def test_db_upgrade_says_what_it_applied(tmp_path: Path) -> None:
    first = baton("db", "upgrade", db=tmp_path / "b.db")
    assert first.returncode == 0, first.stderr
    migrations = sorted((ROOT / "storage" / "migrations" / "versions").glob("0*.py"))
    assert f"Applied {len(migrations)} migration(s):" in first.stdout
    assert "  0001_foundation: foundation: users, inbound events, outbox, tasks" in first.stdout
    assert "0040_users_habits: users: the language a person mostly writes in" in first.stdout
    again = baton("db", "upgrade", db=tmp_path / "b.db")
    assert "The database was already up to date." in again.stdout


def test_help_has_no_type_noise() -> None:
    runner = CliRunner()
    for args in (["--help"], ["console", "--help"], ["outbox", "--help"], ["tick", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0
        assert "<bool>" not in result.output and "<str>" not in result.output, args
    assert "--channel NAME" in runner.invoke(cli, ["console", "--help"]).output


def test_run_stops_on_the_first_signal_while_slack_is_unreachable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "SLACK_"))}
    env.update(
        BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        BATON_LOG_LEVEL="INFO",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-1",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # nothing listens there
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # wait until it is trying to connect
            if b"apps.connections.open" in line:
                break
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - started < 8
    finally:
        process.kill()
        process.wait()


def test_the_person_at_a_local_console_is_its_admin(tmp_path: Path) -> None:
    for command in (("run",), ("console",)):
        result = baton(*command, stdin="task columns todo,doing,done\n", db=tmp_path / "b.db")
        assert result.returncode == 0, result.stderr
        assert "Columns here are now: todo → doing → done" in result.stdout, command
    configured = baton(
        "console",
        stdin="task columns todo,done\n",
        db=tmp_path / "b.db",
        env={"BATON_ADMINS": "x"},
    )
    assert "Columns here are now" not in configured.stdout  # BATON_ADMINS set: as configured
