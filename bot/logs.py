"""What Baton's logs may hold: never what people wrote, unless an operator asks for it.

Two things would leak message text into logs. The platform SDKs and the HTTP and WebSocket stacks
log whole payloads at DEBUG; and an exception's own message can quote its input (``int('…')`` repeats
what it could not read). So, unless ``BATON_LOG_CONTENT=true``, those loggers never go below INFO,
and a traceback is logged with its frames and exception types but without the exceptions' messages.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from types import TracebackType

# Loggers that write request and response bodies, WebSocket frames or URLs with tokens at DEBUG.
PAYLOAD_LOGGERS = (
    "slack_bolt",
    "slack_sdk",
    "Lark",
    "dingtalk_stream",
    "websockets",
    "aiohttp",
    "urllib3",
)
WITHHELD = "(message withheld: BATON_LOG_CONTENT=true logs it)"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def _without_messages(exc: traceback.TracebackException) -> list[str]:
    """A traceback's lines, causes and contexts first, each exception shown by its type only."""
    lines: list[str] = []
    if exc.__cause__ is not None:
        lines += _without_messages(exc.__cause__)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif exc.__context__ is not None and not exc.__suppress_context__:
        lines += _without_messages(exc.__context__)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines.extend(exc.stack.format())
    kind = exc.exc_type
    name = f"{kind.__module__}.{kind.__qualname__}" if kind is not None else "Exception"
    lines.append(f"{name}: {WITHHELD}\n")
    return lines


class ContentFreeFormatter(logging.Formatter):
    """Formats tracebacks without the exceptions' messages (frames and types are kept, so a
    failure can still be found in the code)."""

    def format(self, record: logging.LogRecord) -> str:
        # ``exc_text`` caches the traceback as the first handler formatted it, messages and all.
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: ExcInfo) -> str:
        if ei[1] is None:
            return super().formatException(ei)
        return "".join(_without_messages(traceback.TracebackException(*ei))).rstrip("\n")


class JsonFormatter(ContentFreeFormatter):
    """One JSON object per line (``BATON_LOG_FORMAT=json``), for log collectors: time (UTC, ISO
    8601), level, logger, message, and the traceback when there is one."""

    def __init__(self, *, content: bool = False) -> None:
        super().__init__()
        self._content = content

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = (
                logging.Formatter.formatException(self, record.exc_info)
                if self._content
                else self.formatException(record.exc_info)
            )
        return json.dumps(line, ensure_ascii=False)


LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_formatter(*, as_json: bool, content: bool) -> logging.Formatter:
    """The formatter for Baton's log lines: text or one JSON object a line; tracebacks keep the
    exceptions' messages only when ``content`` (``BATON_LOG_CONTENT``) allows it."""
    if as_json:
        return JsonFormatter(content=content)
    return logging.Formatter(LINE) if content else ContentFreeFormatter(LINE)


def payload_logging(*, allowed: bool) -> None:
    """Let the loggers that dump payloads follow the root level (``allowed``), or keep them at
    INFO or above whatever the root level is."""
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if allowed else logging.INFO)
