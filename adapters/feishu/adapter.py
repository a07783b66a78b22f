"""The Feishu/Lark adapter: long connection (default) or HTTP events, interactive cards, both domains.

lark-oapi's handlers are synchronous and run on the SDK's own thread (long connection) or a worker
thread (HTTP); each hands its event to Baton's loop with ``run_coroutine_threadsafe``. Messages are
acknowledged at once (Feishu redelivers after 3 s) and handled in the background. A card button
click waits up to ``CARD_DEADLINE`` for Baton's answer so the updated card and a toast go back in the
callback's own response; when Baton is slower, a "working…" toast answers and the outbox patches the
card later. Every blocking SDK call (they all fetch tokens with ``requests``) runs in a thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from aiohttp import web

from adapters.feishu import render
from adapters.feishu.api import FeishuApi, domain_url
from adapters.feishu.events import LongConnection, build_dispatcher, raw_request
from adapters.feishu.inbound import (
    Json,
    Profile,
    action_inbound,
    message_inbound,
    operator_of,
    sender_of,
)
from bot.clock import Clock
from bot.config import Settings
from bot.events import Platform, Target
from bot.outbox import delivery_key
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import Sink

log = logging.getLogger(__name__)

CARD_DEADLINE = 2.5  # seconds; Feishu gives a card callback 3 s
BOT_INFO_RETRY = 300.0  # seconds between attempts to learn Baton's own open_id


class _CardWait:
    """Who wins when a card answer and the callback deadline race: exactly one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "waiting"

    def _take(self, state: str) -> bool:
        with self._lock:
            if self._state != "waiting":
                return False
            self._state = state
            return True

    def answer(self) -> bool:
        """Baton's side: True when the callback is still waiting for the answer."""
        return self._take("answered")

    def give_up(self) -> bool:
        """The callback's side: True when no answer was given (the outbox will deliver it)."""
        return self._take("abandoned")


class FeishuAdapter:
    """Feishu/Lark for Baton: events in (long connection or HTTP), messages and cards out."""

    platform = Platform.FEISHU
    pace = Pace(timedelta(seconds=0.2), burst=5)  # Feishu allows 5 messages a second per chat

    def __init__(self, settings: Settings, clock: Clock) -> None:
        s = settings
        self._clock = clock
        self._sink: Sink | None = None
        self._http_mode = s.feishu_event_mode.strip().lower() == "http"
        secret = s.feishu_app_secret.get_secret_value()
        token = s.feishu_verification_token.get_secret_value()
        if self._http_mode and not token:
            raise ValueError("FEISHU_EVENT_MODE=http needs FEISHU_VERIFICATION_TOKEN")
        self._api = FeishuApi(s.feishu_app_id, secret, s.feishu_domain)
        self._dispatcher = build_dispatcher(
            self._on_message,
            self._on_card,
            encrypt_key=s.feishu_encrypt_key.get_secret_value() if self._http_mode else "",
            verification_token=token if self._http_mode else "",
        )
        self._credentials = (s.feishu_app_id, secret, domain_url(s.feishu_domain))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: LongConnection | None = None
        self._events_pool: ThreadPoolExecutor | None = None
        self._order = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inflight: set[concurrent.futures.Future[Any]] = set()
        self._inflight_lock = threading.Lock()
        self._bot_open_id: str | None = None
        self._bot_info_at = float("-inf")

    async def start(self, sink: Sink) -> None:
        """Learn Baton's own open_id, then connect (long connection) or wait for HTTP events."""
        self._sink = sink
        self._loop = asyncio.get_running_loop()
        await self._ensure_bot_id()
        if self._http_mode:
            self._events_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="feishu-http")
            return
        app_id, app_secret, domain = self._credentials
        self._connection = LongConnection(app_id, app_secret, domain, self._dispatcher)
        await asyncio.to_thread(self._connection.start)

    async def stop(self) -> None:
        """Close the long connection and finish what is being handled."""
        if self._connection is not None:
            await asyncio.to_thread(self._connection.stop)
            self._connection = None
        await self.settle()
        if self._events_pool is not None:
            self._events_pool.shutdown(wait=False, cancel_futures=True)
            self._events_pool = None

    async def settle(self) -> None:
        """Wait until every event received so far has been handled and its replies sent."""
        while True:
            with self._inflight_lock:
                pending = [asyncio.wrap_future(f) for f in self._inflight]
            pending.extend(self._tasks)
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /feishu/events`` in HTTP mode (events and card callbacks share it)."""
        return [web.post("/feishu/events", self._http_event)] if self._http_mode else []

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; the outbox row becomes Feishu's ``uuid`` so a retry never doubles."""
        return await asyncio.to_thread(self._api.send, target, reply, _uuid(target, reply))

    async def _http_event(self, request: web.Request) -> web.Response:
        body = await request.read()
        raw = raw_request(request.path, request.headers, body)
        loop = asyncio.get_running_loop()
        # The SDK verifies, decrypts and runs the (blocking) handlers: keep it off the loop.
        resp = await loop.run_in_executor(self._events_pool, self._dispatcher.do, raw)
        return web.Response(
            status=int(resp.status_code or 500),
            body=resp.content or b"",
            content_type="application/json",
        )

    # -- bridging: these two run on an SDK thread, never on Baton's loop --------------------------

    def _on_message(self, event: Json) -> None:
        self._submit(self._handle_message(event)).add_done_callback(_log_failure)

    def _on_card(self, event: Json) -> Json:
        wait = _CardWait()
        future = self._submit(self._handle_card(event, wait))
        try:
            return _answer_within(future, wait)
        except Exception:
            log.exception("Feishu card callback failed")
            return {}

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        if self._loop is None or self._sink is None:
            coro.close()
            raise RuntimeError("Feishu adapter received an event before start()")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        with self._inflight_lock:
            self._inflight.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: concurrent.futures.Future[Any]) -> None:
        with self._inflight_lock:
            self._inflight.discard(future)

    # -- on Baton's loop ---------------------------------------------------------------------------

    async def _handle_message(self, event: Json) -> None:
        sender = sender_of(event)
        if sender is None:
            return
        # One message at a time, replies included, so answers come out in the order asked.
        async with self._order:
            await self._ensure_bot_id()
            profile = await self._profile(sender)
            inbound = message_inbound(
                event,
                bot_open_id=self._bot_open_id,
                profile=profile,
                received_at=self._clock.now(),
            )
            if inbound is not None and self._sink is not None:
                await self._sink.handle(inbound)

    async def _handle_card(self, event: Json, wait: _CardWait) -> Json:
        operator = operator_of(event)
        profile = await self._profile(operator) if operator else Profile()
        inbound = action_inbound(event, profile=profile, received_at=self._clock.now())
        if inbound is None or self._sink is None:
            return {}
        clicked = inbound.action.message_ref if inbound.action else None

        def updates_the_card(reply: Reply) -> bool:
            """The reply that updates the clicked card goes back in the callback's own response,
            if the callback is still waiting for it."""
            return bool(clicked) and reply.edit_ref == clicked and wait.answer()

        async with self._order:
            answered = self._sink.answer(inbound, inline=updates_the_card)
        if answered.later:  # the rest goes out after the callback has been answered
            task = asyncio.create_task(self._sink.deliver(answered.later))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not answered.inline:
            return {}
        reply = answered.inline[0]
        return {
            "toast": render.toast(reply.text),
            "card": {"type": "raw", "data": render.card(reply)},
        }

    async def _profile(self, open_id: str) -> Profile:
        return await asyncio.to_thread(self._api.profile, open_id)

    async def _ensure_bot_id(self) -> None:
        now = time.monotonic()
        if self._bot_open_id is None and now - self._bot_info_at >= BOT_INFO_RETRY:
            self._bot_info_at = now
            self._bot_open_id = await asyncio.to_thread(self._api.bot_open_id)


def _answer_within(future: concurrent.futures.Future[Json], wait: _CardWait) -> Json:
    """Baton's answer to a card click if it comes within the deadline, else a "working…" toast."""
    try:
        return future.result(timeout=CARD_DEADLINE)
    except concurrent.futures.TimeoutError:
        if wait.give_up():
            future.add_done_callback(_log_failure)
            return {"toast": render.WORKING_TOAST}
        return future.result(timeout=CARD_DEADLINE)  # answered just now: it is on its way


def _uuid(target: Target, reply: Reply) -> str | None:
    """Feishu's idempotency key: the outbox row plus a digest of what and where (≤ 50 chars)."""
    key = delivery_key()
    if key is None:
        return None
    digest = hashlib.sha256(f"{target}\n{reply.to_json()}".encode()).hexdigest()[:16]
    return f"{key}-{digest}"


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("Feishu event handling failed", exc_info=future.exception())
