"""Feishu/Lark Open API calls Baton makes, through lark-oapi's synchronous client.

Every method here blocks (the SDK fetches ``tenant_access_token`` with blocking ``requests`` even in
its ``a*`` coroutines), so the adapter runs them with ``asyncio.to_thread``; nothing here may run on
Baton's event loop. Failures become ``DeliveryError`` with the platform's rate-limit reset honoured.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import requests

from adapters.feishu import render
from adapters.feishu.inbound import Json, Profile
from adapters.feishu.sdk import ObtainAccessTokenException, lark
from bot.events import Target
from bot.outbox import DeliveryError
from bot.replies import Reply

log = logging.getLogger(__name__)
im = lark.api.im.v1

# 99991400: app or tenant frequency limit; 230020: this group's limit (5 msg/s shared by its bots).
RATE_LIMIT_CODES = frozenset({99991400, 230020})
DEFAULT_RETRY_AFTER = 1.0
PROFILE_TTL = 6 * 3600.0
PROFILE_CACHE_MAX = 5000


def domain_url(setting: str) -> str:
    """``FEISHU_DOMAIN`` as a base URL: ``feishu`` (China), ``lark`` (international) or a URL."""
    named: dict[str, str] = {"feishu": lark.FEISHU_DOMAIN, "lark": lark.LARK_DOMAIN}
    return named.get(setting.strip().lower(), setting.strip().rstrip("/"))


def _header(resp: Any, name: str) -> str | None:
    headers = getattr(getattr(resp, "raw", None), "headers", None) or {}
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), None)


def check(resp: Any, what: str) -> None:
    """Raise ``DeliveryError`` unless ``resp`` succeeded: rate limits retry after the reset header,
    other 400s are permanent (retrying the same request cannot help), anything else retries."""
    if resp.success():
        return
    status = getattr(getattr(resp, "raw", None), "status_code", None)
    detail = f"{what} failed: HTTP {status}, code {resp.code}: {resp.msg}"
    if status == 429 or resp.code in RATE_LIMIT_CODES:
        reset = _header(resp, "x-ogw-ratelimit-reset")
        try:
            retry_after = max(float(reset), 0.0) if reset is not None else DEFAULT_RETRY_AFTER
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER
        raise DeliveryError(detail, retry_after=retry_after)
    raise DeliveryError(detail, permanent=status == 400)


class FeishuApi:
    """The few Open API endpoints Baton uses, plus a cache of people's names and time zones."""

    def __init__(self, app_id: str, app_secret: str, domain: str, *, timeout: float = 10.0):
        self.client = (
            lark.Client.builder()
            .app_id(app_id)
            .app_secret(app_secret)
            .domain(domain_url(domain))
            .timeout(timeout)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )
        self._profiles: dict[str, tuple[Profile, float]] = {}
        self._lock = threading.Lock()
        self._warned_scope = False

    def send(self, target: Target, reply: Reply, key: str | None) -> str | None:
        """Deliver one reply (blocking); returns the message id. ``key`` is Feishu's ``uuid``."""
        try:
            return self._send(target, reply, key)
        except (requests.RequestException, ObtainAccessTokenException) as exc:
            raise DeliveryError(f"Feishu unreachable: {exc!r}") from exc

    def _send(self, target: Target, reply: Reply, key: str | None) -> str | None:
        if reply.edit_ref:
            self._patch(reply.edit_ref, render.card_content(reply))
            return reply.edit_ref
        kind, content = (
            ("interactive", render.card_content(reply))
            if reply.card is not None
            else ("text", render.text_content(reply))
        )
        # A reply meant for one person in a chat (a channel and a user) is shown where they asked:
        # Feishu shows a message to one member of a group only as a card, through another API
        # with scopes of its own.
        if target.channel and target.thread:
            body = im.ReplyMessageRequestBody.builder().msg_type(kind).content(content)
            body = body.reply_in_thread(True)
            if key:
                body = body.uuid(key)
            request = (
                im.ReplyMessageRequest.builder()
                .message_id(target.thread)
                .request_body(body.build())
                .build()
            )
            resp = self.client.im.v1.message.reply(request)
        else:
            by_user = not target.channel
            create = im.CreateMessageRequestBody.builder().msg_type(kind).content(content)
            create = create.receive_id(target.user if by_user else target.channel)
            if key:
                create = create.uuid(key)
            request = (
                im.CreateMessageRequest.builder()
                .receive_id_type("open_id" if by_user else "chat_id")
                .request_body(create.build())
                .build()
            )
            resp = self.client.im.v1.message.create(request)
        check(resp, "sending a message")
        message_id = getattr(resp.data, "message_id", None)
        return str(message_id) if message_id else None

    def _patch(self, message_id: str, content: str) -> None:
        request = (
            im.PatchMessageRequest.builder()
            .message_id(message_id)
            .request_body(im.PatchMessageRequestBody.builder().content(content).build())
            .build()
        )
        check(self.client.im.v1.message.patch(request), "updating a card")

    def profile(self, open_id: str) -> Profile:
        """Name and time zone of ``open_id`` (blocking, cached); empty without the contact scope."""
        now = time.monotonic()
        with self._lock:
            cached = self._profiles.get(open_id)
        if cached is not None and now - cached[1] < PROFILE_TTL:
            return cached[0]
        found = self._fetch_profile(open_id)
        with self._lock:
            if len(self._profiles) >= PROFILE_CACHE_MAX:
                self._profiles.clear()
            self._profiles[open_id] = (found, now)
        return found

    def _fetch_profile(self, open_id: str) -> Profile:
        request = (
            lark.api.contact.v3.GetUserRequest.builder()
            .user_id(open_id)
            .user_id_type("open_id")
            .build()
        )
        try:
            resp = self.client.contact.v3.user.get(request)
        except (requests.RequestException, ObtainAccessTokenException) as exc:
            log.warning("Feishu contact lookup failed: %r", exc)
            return Profile()
        if not resp.success() or resp.data is None or resp.data.user is None:
            if not self._warned_scope:
                self._warned_scope = True
                log.warning(
                    "Feishu contact API refused (code %s: %s); names and time zones unavailable."
                    " Grant contact:user.base:readonly to show them.",
                    resp.code,
                    resp.msg,
                )
            return Profile()
        user = resp.data.user
        name = user.name or user.en_name or user.nickname or ""
        tz = str(user.time_zone) if user.time_zone else None
        return Profile(name=str(name), tz=tz, admin=bool(user.is_tenant_manager))

    def message(self, message_id: str) -> Json | None:
        """One message read back (``message_type``, ``content``, ``mentions``, as an event carries
        them, and its ``message_app_link``); None when Feishu will not show it (recalled, no scope, unreachable)."""
        request = im.GetMessageRequest.builder().message_id(message_id).build()
        try:
            resp = self.client.im.v1.message.get(request)
        except (requests.RequestException, ObtainAccessTokenException) as exc:
            log.warning("Feishu message lookup failed: %r", exc)
            return None
        items = (resp.data.items if resp.success() and resp.data else None) or []
        if not items or items[0].body is None:
            log.info(
                "Feishu message %s unavailable (code %s: %s)", message_id, resp.code, resp.msg
            )
            return None
        item = items[0]
        mentions = [{"key": m.key, "name": m.name} for m in item.mentions or []]
        return {
            "message_id": item.message_id or message_id,
            "message_type": item.msg_type,
            "content": item.body.content,
            "mentions": mentions,
            "message_app_link": item.message_app_link,
        }

    def bot_open_id(self) -> str | None:
        """Baton's own open_id (to recognise and strip its mention); None when unreachable."""
        request = (
            lark.BaseRequest.builder()
            .http_method(lark.HttpMethod.GET)
            .uri("/open-apis/bot/v3/info")
            .token_types({lark.AccessTokenType.TENANT})
            .build()
        )
        try:
            resp = self.client.request(request)
        except (requests.RequestException, ObtainAccessTokenException) as exc:
            log.warning("Feishu bot info unavailable: %r", exc)
            return None
        if not resp.success() or resp.raw is None or resp.raw.content is None:
            log.warning("Feishu bot info refused (code %s: %s)", resp.code, resp.msg)
            return None
        bot = json.loads(resp.raw.content).get("bot") or {}
        return str(bot.get("open_id") or "") or None
