"""A system posting to Baton's inbound webhooks the way a shop or a carrier would: JSON signed
with HMAC-SHA256 over ``"<timestamp>.<body>"`` (computed here, not with Baton's own code)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.hooks.adapter import HooksAdapter
from bot.clock import FrozenClock
from bot.intake import Intake
from tests.conftest import Chat


def signed(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers a sender adds: its timestamp and its signature of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Baton-Timestamp": str(timestamp),
        "X-Baton-Signature": f"sha256={digest.hexdigest()}",
    }


@dataclass(frozen=True, slots=True)
class Answer:
    """What Baton answered a delivery: the status, the JSON body, the headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Sender:
    """Baton serving webhooks on 127.0.0.1, a chat to set them up in, and a client to post."""

    chat: Chat
    clock: FrozenClock
    adapter: HooksAdapter
    intake: Intake
    session: aiohttp.ClientSession
    base: str

    async def add(self, args: str = "", *, channel: str = "ops") -> tuple[str, str]:
        """``hook add <args>`` as the admin; the webhook's path and the secret Baton DMs once."""
        shown = await self.chat.say(f"hook add {args}".strip(), user="boss", channel=channel)
        return secret_of(shown)

    async def post(
        self,
        path: str,
        payload: object,
        *,
        secret: str,
        at: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """POST ``payload`` (JSON, or bytes as they are) signed with ``secret`` at ``at``."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        stamp = int(self.clock.now().timestamp()) if at is None else at
        sent = signed(secret, stamp, body) if headers is None else headers
        async with self.session.post(self.base + path, data=body, headers=sent) as resp:
            answer = Answer(resp.status, await resp.json(), dict(resp.headers))
        await self.adapter.settle()
        await self.intake.settle()
        return answer


def secret_of(shown: str) -> tuple[str, str]:
    """The webhook path and secret in what Baton printed (its DM, in either language)."""
    url = re.search(r"(?:URL: |地址:)\S+?(/hooks/[0-9a-f]+)", shown)
    secret = re.search(r"(?:Secret: |密钥:)([0-9a-f]{64})", shown)
    assert url is not None and secret is not None, shown
    return url.group(1), secret.group(1)
