"""What Baton keeps to itself: message text out of the logs, credentials out of reprs, and a
warning when the ``.env`` holding them is open to other users."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.clock import FrozenClock
from bot.config import Settings, configure_logging, env_file_warning
from bot.context import Ctx
from bot.feature import Feature
from bot.logs import PAYLOAD_LOGGERS, WITHHELD, ContentFreeFormatter, payload_logging
from bot.replies import Reply
from bot.routing import Router
from bot.wiring import build_app
from commands import all_features
from tests.conftest import Chat
from tests.test_cli import baton

SECRET_TEXT = "refund card 4111-1111 for Mrs Lin"

broken = Router("broken")


@broken.command("parse", usage="parse <number>")
def parse_number(ctx: Ctx, args: str) -> Reply:
    """Read a number (and fail the way a bug would, quoting its input).
    zh: 读一个数字。
    """
    return Reply(str(int(args)))


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    payload_logging(allowed=True)
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def chat_with_a_bug(settings: Settings, clock: FrozenClock) -> Iterator[Chat]:
    feature = Feature(name="broken", router=broken, messages={})
    app = build_app(settings, clock=clock, features=[*all_features(), feature])
    yield Chat(app, clock)
    app.engine.dispose()


async def test_handler_failure_logs_no_message_text(
    chat_with_a_bug: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await chat_with_a_bug.say(f"task add {SECRET_TEXT}")
    reply = await chat_with_a_bug.say(f"parse {SECRET_TEXT}")
    assert "something went wrong on my side" in reply
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "handler failed" in failure.getMessage()
    shown = ContentFreeFormatter().format(failure)
    assert "ValueError" in shown and "parse_number" in shown and WITHHELD in shown
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            assert SECRET_TEXT not in ContentFreeFormatter().format(record)
    assert SECRET_TEXT in logging.Formatter().format(failure)  # what BATON_LOG_CONTENT shows


def test_chained_exceptions_keep_their_frames_but_not_their_messages() -> None:
    try:
        try:
            int(SECRET_TEXT)
        except ValueError as exc:
            raise KeyError(SECRET_TEXT) from exc
    except KeyError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    shown = ContentFreeFormatter().format(record)
    assert SECRET_TEXT not in shown
    assert "builtins.ValueError" in shown and "builtins.KeyError" in shown
    assert "direct cause" in shown


def test_debug_payload_logging_needs_log_content(
    settings: Settings, restore_logging: None
) -> None:
    configure_logging(settings.model_copy(update={"log_level": "DEBUG"}))
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
    for name in PAYLOAD_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    assert not logging.getLogger("slack_sdk.web.base_client").isEnabledFor(logging.DEBUG)
    configure_logging(settings.model_copy(update={"log_level": "DEBUG", "log_content": True}))
    assert logging.getLogger("slack_sdk.web.base_client").isEnabledFor(logging.DEBUG)


def test_log_content_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_LOG_CONTENT", "true")
    assert Settings(_env_file=None).log_content  # type: ignore[call-arg]
    monkeypatch.delenv("BATON_LOG_CONTENT")
    assert not Settings(_env_file=None).log_content  # type: ignore[call-arg]


def test_credentials_never_show_in_a_repr() -> None:
    values = {
        "database_url": "postgresql+psycopg://baton:pg-pass-1@db/baton",
        "slack_bot_token": "xoxb-secret-1",
        "slack_app_token": "xapp-secret-2",
        "slack_signing_secret": "sign-secret-3",
        "feishu_app_secret": "feishu-secret-4",
        "feishu_verification_token": "verify-secret-5",
        "feishu_encrypt_key": "encrypt-secret-6",
        "dingtalk_client_secret": "ding-secret-7",
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    for name, value in values.items():
        field = getattr(settings, name)
        assert isinstance(field, SecretStr) and field.get_secret_value() == value
        assert value not in repr(settings) and value not in str(settings)
    assert settings.slack_enabled and settings.dingtalk_enabled is False


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o666])
def test_env_file_open_to_others_is_warned_about(tmp_path: Path, mode: int) -> None:
    env = tmp_path / ".env"
    env.write_text("SLACK_BOT_TOKEN=xoxb-1\n")
    env.chmod(mode)
    warning = env_file_warning(env)
    assert warning is not None
    assert str(env) in warning and f"chmod 600 {env}" in warning and f"{mode:04o}" in warning


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_env_file_for_its_owner_only_is_fine(tmp_path: Path, mode: int) -> None:
    env = tmp_path / ".env"
    env.write_text("SLACK_BOT_TOKEN=xoxb-1\n")
    env.chmod(mode)
    assert env_file_warning(env) is None
    assert env_file_warning(tmp_path / "missing.env") is None


def test_baton_warns_at_start_up_about_a_readable_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("BATON_LANGUAGE=en\n")
    env.chmod(0o644)
    result = baton("db", "upgrade", db=tmp_path / "b.db")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "run `chmod 600 .env`" in result.stderr
