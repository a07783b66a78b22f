"""One-time sign-in links to the web dashboard, handed out by the ``dashboard`` command (by direct
message) and by ``baton web link`` (to operators).

A link carries a random token; only its SHA-256 is stored, so the table opens nothing. It is valid
for ``LINK_LIFETIME`` and signs in once (``storage.web.redeem_link``). A person gets at most
``LINKS_PER_WINDOW`` links per lifetime: enough to retry, too few to flood their DMs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from storage import web

LINK_LIFETIME = timedelta(minutes=10)
LINKS_PER_WINDOW = 5
KEEP_USED = timedelta(days=1)  # expired links are forgotten after this (the rate limit is over)
LOGIN_PATH = "/web/login"


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    conn: sa.Connection,
    *,
    ws: str,
    user_id: str,
    now: datetime,
    base_url: str,
    limited: bool = True,
) -> str | None:
    """A fresh sign-in link for the person, or None when they had ``LINKS_PER_WINDOW`` already
    within ``LINK_LIFETIME`` (``limited``; an operator's ``baton web link`` is not)."""
    if limited and (
        web.links_since(conn, ws=ws, user_id=user_id, since=now - LINK_LIFETIME)
        >= LINKS_PER_WINDOW
    ):
        return None
    web.prune_links(conn, ws=ws, user_id=user_id, before=now - KEEP_USED)
    token = secrets.token_urlsafe(32)
    web.add_link(
        conn,
        token_hash=token_hash(token),
        ws=ws,
        user_id=user_id,
        now=now,
        expires_at=now + LINK_LIFETIME,
    )
    return f"{base_url}{LOGIN_PATH}?token={token}"
