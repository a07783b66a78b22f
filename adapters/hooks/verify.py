"""Checking a webhook delivery's signature, before its body is read as anything.

A sender signs ``"<timestamp>.<body>"`` with the webhook's secret (HMAC-SHA256, hex) and sends
``X-Baton-Timestamp: <unix seconds>`` and ``X-Baton-Signature: sha256=<hex>``. A timestamp more
than ``WINDOW`` away from Baton's clock is refused, so a captured request cannot be replayed later;
within the window a replay is the same delivery again (the command side treats it so).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=5)
TIMESTAMP = "X-Baton-Timestamp"
SIGNATURE = "X-Baton-Signature"
_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Baton-Signature`` value for ``body`` sent at ``timestamp``."""
    message = timestamp.encode() + b"." + body
    return _PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def problem(headers: Mapping[str, str], body: bytes, *, secret: str, now: datetime) -> str | None:
    """None when the delivery is signed with ``secret`` within the window, else what is wrong."""
    timestamp = headers.get(TIMESTAMP, "").strip()
    signature = headers.get(SIGNATURE, "").strip()
    if not timestamp or not signature:
        return f"unsigned: send {TIMESTAMP} and {SIGNATURE}"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return f"{TIMESTAMP} must be Unix seconds"
    if abs(now.timestamp() - int(timestamp)) > WINDOW.total_seconds():
        return f"stale: {TIMESTAMP} is more than 5 minutes from now"
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        return "bad signature"
    return None
