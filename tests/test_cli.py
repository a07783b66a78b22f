"""The ``baton`` command as a newcomer uses it: console with piped input, restarts, db, tick."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from storage.db import alembic_config, build_engine

ROOT = Path(__file__).resolve().parent.parent


def baton(
    *args: str, stdin: str = "", db: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess with an isolated environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATON_", "SLACK_", "FEISHU_", "DINGTALK_"))
    }
    clean.update({"BATON_DATABASE_URL": f"sqlite:///{db}", "BATON_LOG_LEVEL": "WARNING"})
    clean["PYTHONPATH"] = str(ROOT)  # this checkout, not whichever copy is installed
    clean.setdefault("TZ", "UTC")  # the host's zone is the team default
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean,
        cwd=db.parent,
        timeout=60,
        check=False,
    )


def test_console_reads_piped_lines_and_data_survives_restart(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    first = baton("console", "--user", "bob", stdin="help\ntz Asia/Shanghai\n", db=db)
    assert first.returncode == 0, first.stderr
    assert "Commands" in first.stdout
    assert "Asia/Shanghai" in first.stdout
    assert "Traceback" not in first.stderr
    second = baton("console", "--user", "bob", stdin="tz\n", db=db)
    assert "Your time zone is Asia/Shanghai" in second.stdout


def test_console_lang_option_answers_in_chinese(tmp_path: Path) -> None:
    result = baton("console", "--lang", "zh", stdin="tz\n", db=tmp_path / "b.db")
    assert "您的时区" in result.stdout


def test_db_upgrade_reports_revision_and_sets_sqlite_pragmas(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    result = baton("db", "upgrade", db=db)
    assert result.returncode == 0, result.stderr
    engine = build_engine(f"sqlite:///{db}")
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    for head in heads:
        assert head in result.stdout
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()


def test_tick_refuses_a_time_without_offset(tmp_path: Path) -> None:
    result = baton("tick", "--at", "2026-12-07T10:00", db=tmp_path / "b.db")
    assert result.returncode == 2
    assert "time zone offset" in result.stderr


def test_invalid_setting_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = baton("console", db=tmp_path / "b.db", env={"BATON_TIMEZONE": "Mars/Base"})
    assert result.returncode == 2
    assert "not an IANA time zone" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_explains_the_commands(tmp_path: Path) -> None:
    result = baton("--help", db=tmp_path / "b.db")
    assert result.returncode == 0
    for word in ("run", "console", "tick", "db", "outbox"):
        assert word in result.stdout
