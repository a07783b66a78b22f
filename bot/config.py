"""Settings: the only place that reads the environment (and ``.env``).

Each platform is switched on by the presence of its credentials; with none, ``baton run`` is the console.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.logs import log_formatter, payload_logging

ENV_FILE = ".env"
log = logging.getLogger(__name__)


def host_zone() -> str:
    """The zone this machine runs in (the team default when ``BATON_TIMEZONE`` is not set), or UTC
    when the host's zone has no IANA name."""
    import tzlocal  # only when no zone is configured

    try:
        name = tzlocal.get_localzone_name()
        ZoneInfo(name or "")
    except (ZoneInfoNotFoundError, ValueError, LookupError):
        return "UTC"
    return name or "UTC"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Everything Baton can be configured with; documented one by one in ``.env.example``.

    Credentials (and the database URL, which may hold a password) are ``SecretStr``: shown as
    ``**********`` in a repr, a traceback or a validation error; readers ask for the value.
    """

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", populate_by_name=True)

    database_url: SecretStr = Field(
        SecretStr("sqlite:///baton.db"), validation_alias=_env("BATON_DATABASE_URL")
    )
    timezone: str = Field(
        default_factory=lambda: host_zone(), validation_alias=_env("BATON_TIMEZONE")
    )
    language: str = Field("en", validation_alias=_env("BATON_LANGUAGE"))
    admins_csv: str = Field("", validation_alias=_env("BATON_ADMINS"))
    holidays: str = Field("", validation_alias=_env("BATON_HOLIDAYS"))
    http_port: int = Field(3000, validation_alias=_env("BATON_HTTP_PORT"))
    http_host: str = Field("0.0.0.0", validation_alias=_env("BATON_HTTP_HOST"))
    public_url: str = Field("", validation_alias=_env("BATON_PUBLIC_URL"))
    secret_key: SecretStr = Field(SecretStr(""), validation_alias=_env("BATON_SECRET_KEY"))
    web_enabled: bool = Field(True, validation_alias=_env("BATON_WEB"))
    hook_rate_per_minute: int = Field(60, ge=1, validation_alias=_env("BATON_HOOK_RATE"))
    log_level: str = Field("INFO", validation_alias=_env("BATON_LOG_LEVEL"))
    log_content: bool = Field(False, validation_alias=_env("BATON_LOG_CONTENT"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("BATON_LOG_FORMAT"))
    tick_seconds: float = Field(30.0, validation_alias=_env("BATON_TICK_SECONDS"))
    outbox_max_attempts: int = Field(8, ge=1, validation_alias=_env("BATON_OUTBOX_MAX_ATTEMPTS"))

    slack_bot_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr = Field(SecretStr(""), validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr = Field(
        SecretStr(""), validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str = Field("", validation_alias=_env("SLACK_API_URL"))

    feishu_app_id: str = Field("", validation_alias=_env("FEISHU_APP_ID"))
    feishu_app_secret: SecretStr = Field(SecretStr(""), validation_alias=_env("FEISHU_APP_SECRET"))
    feishu_event_mode: str = Field("ws", validation_alias=_env("FEISHU_EVENT_MODE"))
    feishu_domain: str = Field("feishu", validation_alias=_env("FEISHU_DOMAIN"))
    feishu_verification_token: SecretStr = Field(
        SecretStr(""), validation_alias=_env("FEISHU_VERIFICATION_TOKEN")
    )
    feishu_encrypt_key: SecretStr = Field(
        SecretStr(""), validation_alias=_env("FEISHU_ENCRYPT_KEY")
    )
    feishu_allow_unsigned: bool = Field(False, validation_alias=_env("FEISHU_ALLOW_UNSIGNED"))

    dingtalk_client_id: str = Field("", validation_alias=_env("DINGTALK_CLIENT_ID"))
    dingtalk_client_secret: SecretStr = Field(
        SecretStr(""), validation_alias=_env("DINGTALK_CLIENT_SECRET")
    )
    dingtalk_robot_code: str = Field("", validation_alias=_env("DINGTALK_ROBOT_CODE"))
    dingtalk_event_mode: str = Field("stream", validation_alias=_env("DINGTALK_EVENT_MODE"))
    dingtalk_api_url: str = Field("", validation_alias=_env("DINGTALK_API_URL"))
    dingtalk_card_template_id: str = Field("", validation_alias=_env("DINGTALK_CARD_TEMPLATE_ID"))

    faq_semantic: bool = Field(True, validation_alias=_env("BATON_FAQ_SEMANTIC"))
    faq_answer_score: float | None = Field(None, validation_alias=_env("BATON_FAQ_ANSWER_SCORE"))
    faq_suggest_score: float | None = Field(None, validation_alias=_env("BATON_FAQ_SUGGEST_SCORE"))
    faq_margin: float | None = Field(None, validation_alias=_env("BATON_FAQ_MARGIN"))
    faq_unseen_penalty: float | None = Field(
        None, ge=0.0, validation_alias=_env("BATON_FAQ_UNSEEN_PENALTY")
    )
    faq_sla_minutes: int = Field(1440, ge=1, validation_alias=_env("BATON_FAQ_SLA_MINUTES"))
    faq_urgent_sla_minutes: int = Field(
        30, ge=1, validation_alias=_env("BATON_FAQ_URGENT_SLA_MINUTES")
    )
    faq_urgent_words_csv: str = Field(
        "urgent,asap,emergency,紧急,加急,十万火急", validation_alias=_env("BATON_FAQ_URGENT_WORDS")
    )

    @property
    def faq_urgent_words(self) -> tuple[str, ...]:
        """Words that make a question urgent (case-insensitive), from ``BATON_FAQ_URGENT_WORDS``."""
        return tuple(
            w.strip().casefold() for w in self.faq_urgent_words_csv.split(",") if w.strip()
        )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not value.strip():  # BATON_TIMEZONE= in .env: the host's zone, as when unset
            return host_zone()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"BATON_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @field_validator("holidays")
    @classmethod
    def _country_code(cls, value: str) -> str:
        code = value.strip().upper()
        if code and not (len(code) == 2 and code.isalpha()):
            raise ValueError("BATON_HOLIDAYS must be a two-letter country code such as CN or DE")
        return code

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("BATON_PUBLIC_URL must start with https:// (or http://)")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("en", "zh"):
            raise ValueError("BATON_LANGUAGE must be 'en' or 'zh'")
        return value

    @model_validator(mode="after")
    def _platforms_complete(self) -> Settings:
        """A platform switched on with half its credentials fails here, saying what is missing,
        rather than when its adapter starts."""
        if self.slack_bot_token and not (self.slack_app_token or self.slack_signing_secret):
            raise ValueError(
                "SLACK_BOT_TOKEN is set, but Slack also needs SLACK_APP_TOKEN (Socket Mode) or "
                "SLACK_SIGNING_SECRET (HTTP)"
            )
        if self.feishu_event_mode not in ("ws", "http"):
            raise ValueError("FEISHU_EVENT_MODE must be 'ws' or 'http'")
        http_feishu = self.feishu_enabled and self.feishu_event_mode == "http"
        if http_feishu and not self.feishu_verification_token:
            raise ValueError("FEISHU_EVENT_MODE=http needs FEISHU_VERIFICATION_TOKEN")
        if self.dingtalk_event_mode not in ("stream", "http"):
            raise ValueError("DINGTALK_EVENT_MODE must be 'stream' or 'http'")
        return self

    @property
    def dashboard_url(self) -> str:
        """Where people reach this server (the dashboard, inbound webhooks): ``BATON_PUBLIC_URL``,
        else this machine's port."""
        return (self.public_url or f"http://localhost:{self.http_port}").rstrip("/")

    @property
    def admins(self) -> frozenset[str]:
        """Platform user ids with admin rights (``BATON_ADMINS``, comma separated)."""
        return frozenset(part.strip() for part in self.admins_csv.split(",") if part.strip())

    @property
    def slack_enabled(self) -> bool:
        """Slack runs when a bot token is configured."""
        return bool(self.slack_bot_token.get_secret_value())

    @property
    def feishu_enabled(self) -> bool:
        """Feishu/Lark runs when an app id and secret are configured."""
        return bool(self.feishu_app_id and self.feishu_app_secret.get_secret_value())

    @property
    def dingtalk_enabled(self) -> bool:
        """DingTalk runs when a client id and secret are configured."""
        return bool(self.dingtalk_client_id and self.dingtalk_client_secret.get_secret_value())


def load_settings(db_path: str | None = None) -> Settings:
    """Settings from the environment and ``.env``; ``db_path`` (the CLI's ``--db``) names a SQLite
    file instead of ``BATON_DATABASE_URL``. Raises ``ValueError`` saying, in one line, what is
    wrong."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = (str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ValueError("; ".join(problems)) from None
    if db_path:
        settings = settings.model_copy(update={"database_url": SecretStr(f"sqlite:///{db_path}")})
    return settings


def configure_logging(settings: Settings) -> None:
    """Log to stderr at ``BATON_LOG_LEVEL``; libraries that chatter at INFO only warn. What people
    wrote stays out of the logs (:mod:`bot.logs`) unless ``BATON_LOG_CONTENT`` is true."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        log_formatter(as_json=settings.log_format == "json", content=settings.log_content)
    )
    logging.basicConfig(handlers=[handler])
    logging.getLogger().setLevel(settings.log_level.upper())
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    payload_logging(allowed=settings.log_content)


def env_file_warning(path: Path = Path(ENV_FILE)) -> str | None:
    """What is wrong with ``path`` when other users may read or change it (it holds every
    credential Baton has), or None. Only POSIX file modes say so."""
    if os.name != "posix" or not path.is_file():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & (stat.S_IRGRP | stat.S_IWGRP | stat.S_IROTH | stat.S_IWOTH):
        return None
    return (
        f"{path} is readable or writable by other users (mode {mode:04o}) and holds Baton's "
        f"credentials: run `chmod 600 {path}`"
    )


def warn_about_env_file(path: Path = Path(ENV_FILE)) -> None:
    """Log a WARNING at start-up when ``path`` is exposed (see :func:`env_file_warning`)."""
    if (warning := env_file_warning(path)) is not None:
        log.warning(warning)
