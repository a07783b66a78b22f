"""The hooks adapter: ``POST /hooks/<id>`` on Baton's HTTP server, from a shop, a carrier or a
monitor, becomes a task on the webhook's board.

A delivery is checked before its body is read as anything: the webhook must exist (404), the body
must be small enough (413), signed with its secret within five minutes (401, :mod:`.verify`) and
within the webhook's rate (429 with ``Retry-After``; paced like a chat by :mod:`bot.pacing`, so
several processes on one PostgreSQL database share each webhook's rate); then it must be a JSON object (400). Only
then is it stored through the sink (durable, like every platform event) and run at once; the
command's answer (201 with the task, 200 for an update, 400 naming a bad field) is this adapter's
HTTP response. Refused requests change nothing and are logged without their body.

Should Baton stop between storing and answering, the stored delivery is run by the next process's
workers (``translate``); its answer then has nobody to go to, and ``send`` drops it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.hooks.verify import SIGNATURE, problem
from bot.clock import Clock
from bot.events import Actor, ButtonAction, Inbound, Platform, Target
from bot.pacing import Pace, Pacer
from bot.replies import Reply
from bot.sink import RawEvent, Sink, StoredEvent, Translation, Unreadable

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
WORKSPACE = "hooks"
_HOOK_ID = re.compile(r"[0-9a-f]{8,40}")

Secrets = Callable[[str], str | None]  # webhook id -> its secret, None when there is no such hook


class HooksAdapter:
    """Inbound webhooks, answered on the shared HTTP server."""

    platform = Platform.HOOKS
    pace = None  # nothing is ever sent to a webhook's caller after its response

    def __init__(
        self, clock: Clock, *, secrets: Secrets, rate_per_minute: int, pacer: Pacer
    ) -> None:
        self._clock = clock
        self._secrets = secrets
        # each webhook is a "chat" of its own: a minute's worth at once, then one per 60/rate s
        pacer.set_pace(
            Platform.HOOKS, Pace(timedelta(minutes=1) / rate_per_minute, rate_per_minute)
        )
        self._pacer = pacer
        self._sink: Sink | None = None
        self._later: set[asyncio.Task[None]] = set()

    async def start(self, sink: Sink) -> None:
        """Take deliveries from now on (the routes are served by ``bot.http_server``)."""
        self._sink = sink

    async def stop(self) -> None:
        """Let replies still being delivered finish."""
        await self.settle()

    async def settle(self) -> None:
        """Wait until the replies of every delivery answered so far have been handed on."""
        while self._later:
            await asyncio.gather(*self._later, return_exceptions=True)

    async def ready(self) -> str | None:
        """Always ready: webhooks are answered by the HTTP server itself."""
        return None

    async def send(self, target: Target, reply: Reply) -> str | None:
        """A webhook's answer that could not go in its response (Baton stopped between storing and
        answering): its caller is gone, so there is nowhere to send it."""
        return None

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /hooks/<id>``."""
        return [web.post("/hooks/{hook_id}", self._post)]

    async def translate(self, event: StoredEvent) -> Translation | None:
        """A stored delivery that was never answered, as the message it is."""
        data = dict(event.payload)
        if not isinstance(data.get("hook"), str) or not isinstance(data.get("id"), str):
            raise Unreadable("not a webhook delivery")
        return Translation(_inbound(data, event.received_at))

    async def _post(self, request: web.Request) -> web.Response:
        hook_id = request.match_info["hook_id"]
        known = _HOOK_ID.fullmatch(hook_id) is not None
        secret = await asyncio.to_thread(self._secrets, hook_id) if known else None
        if secret is None:
            return _refuse(404, "no such webhook", hook_id)
        if (request.content_length or 0) > MAX_BODY:
            return _refuse(413, f"the body is over {MAX_BODY} bytes", hook_id)
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _refuse(413, f"the body is over {MAX_BODY} bytes", hook_id)
        now = self._clock.now()
        if (why := problem(request.headers, body, secret=secret, now=now)) is not None:
            return _refuse(401, why, hook_id)
        if until := await asyncio.to_thread(self._pacer.busy_until, _where(hook_id), now):
            headers = {"Retry-After": str(math.ceil((until - now).total_seconds()))}
            return _refuse(429, "too many deliveries: slow down", hook_id, headers=headers)
        try:
            payload = json.loads(body)
        except ValueError:  # invalid JSON or not UTF-8
            return _refuse(400, "the body is not JSON", hook_id)
        if not isinstance(payload, dict):
            return _refuse(400, "the body must be a JSON object", hook_id)
        if not _storable(payload):
            return _refuse(400, "the body holds text that is not valid Unicode", hook_id)
        signature = request.headers[SIGNATURE].strip().removeprefix("sha256=")
        return await self._run(hook_id, signature, payload, now)

    async def _run(
        self, hook_id: str, signature: str, payload: dict[str, Any], now: datetime
    ) -> web.Response:
        """Store the delivery, run it at once, and answer with the command's answer."""
        sink = self._core
        event_id = uuid.uuid4().hex
        data = {"id": event_id, "hook": hook_id, "signature": signature, "payload": payload}
        event = RawEvent(Platform.HOOKS, event_id, "post", f"hook:{hook_id}", data)
        ticket = await asyncio.to_thread(sink.hold, event)
        answered = await sink.answer(
            _inbound(data, now), inline=lambda reply: reply.to is None, ticket=ticket
        )
        if answered.later:  # the board's card and owners' DMs go out after the response
            task = asyncio.create_task(sink.deliver(answered.later))
            self._later.add(task)
            task.add_done_callback(self._later.discard)
        return _response(answered.inline[0] if answered.inline else None)

    @property
    def _core(self) -> Sink:
        if self._sink is None:
            raise RuntimeError("the hooks adapter received a delivery before start()")
        return self._sink


def _storable(payload: dict[str, Any]) -> bool:
    """False when JSON escapes in the body make text no database can store (a lone surrogate
    such as ``"\\ud800"``): refused here rather than failing when the delivery is stored."""
    try:
        json.dumps(payload, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _where(hook_id: str) -> Target:
    """The webhook as the place its deliveries come from (and the key of its rate)."""
    return Target(Platform.HOOKS, WORKSPACE, hook_id)


def _inbound(data: Mapping[str, Any], received_at: datetime) -> Inbound:
    """A delivery as the button action ``hook.post`` pressed by the webhook itself."""
    hook_id = str(data["hook"])
    value = {"hook": hook_id, "signature": data["signature"], "payload": data["payload"]}
    return Inbound(
        event_id=str(data["id"]),
        actor=Actor(Platform.HOOKS, WORKSPACE, hook_id, "webhook"),
        source=_where(hook_id),
        text="",
        is_direct=False,
        received_at=received_at,
        action=ButtonAction("hook.post", json.dumps(value, ensure_ascii=False)),
    )


def _response(reply: Reply | None) -> web.Response:
    """The command's answer, ``{"status", "body"}``; anything else is Baton failing (500)."""
    try:
        answer = json.loads(reply.text if reply is not None else "")
        status, body = int(answer["status"]), answer["body"]
    except (ValueError, TypeError, KeyError):
        log.error("webhook delivery got no answer from its command")
        return web.json_response({"error": "Baton could not handle this delivery"}, status=500)
    return web.json_response(body, status=status)


def _refuse(
    status: int, why: str, hook_id: str, *, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An error answer; logged with the start of the webhook's id, never with the body."""
    log.warning("delivery to webhook %s… refused (%s): %s", hook_id[:6], status, why)
    return web.json_response({"error": why}, status=status, headers=headers)
