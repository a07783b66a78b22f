"""Signed sessions and CSRF tokens of the dashboard.

A session is a cookie holding who signed in, a random session id and when it ends, signed with
HMAC-SHA256 under the key (``BATON_SECRET_KEY``, or one generated on first start and kept in the
database, so every process and every restart shares it). Nothing about a session is stored: a
forged or changed cookie fails the signature, an old one its end. The CSRF token of a page is the
HMAC of its session id, so it needs no storage either and dies with the session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "baton_session"
LIFETIME = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person: their workspace (``slack:T01``), user id, session id and end."""

    ws: str
    user_id: str
    sid: str
    ends_at: int  # seconds since the epoch


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks session cookies and CSRF tokens with one key."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _mac(self, message: bytes) -> str:
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def new_session(self, *, ws: str, user_id: str, now: datetime) -> tuple[Session, str]:
        """A fresh session and its cookie value."""
        ends = int((now + LIFETIME).timestamp())
        session = Session(ws, user_id, secrets.token_urlsafe(16), ends)
        body = {"w": ws, "u": user_id, "s": session.sid, "e": ends}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return session, f"{payload}.{self._mac(payload.encode())}"

    def read(self, cookie: str | None, *, now: datetime) -> Session | None:
        """The session a cookie proves, or None (absent, forged, malformed or ended)."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = Session(str(body["w"]), str(body["u"]), str(body["s"]), int(body["e"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        return session if session.ends_at > now.timestamp() else None

    def csrf(self, session: Session) -> str:
        """The token every change a page sends must carry."""
        return self._mac(f"csrf:{session.sid}".encode())

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        """True when ``token`` is this session's CSRF token."""
        return token is not None and hmac.compare_digest(token, self.csrf(session))
