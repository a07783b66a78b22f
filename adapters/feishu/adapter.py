"""The Feishu/Lark adapter: long connection (default) or HTTP events, interactive cards, both domains.

lark-oapi's handlers are synchronous and run on the SDK's own thread (long connection) or a worker
thread (HTTP). A message is stored through the sink right there, before the handler returns, and
so before the SDK acknowledges it; looking the sender up and running the command happen afterwards,
in the core's workers (``translate``). A card button click is stored the same way, then answered at
once: the callback waits up to ``CARD_DEADLINE`` for Baton's answer so the updated card and a toast
go back in the callback's own response; when Baton is slower, a "working…" toast answers and the
outbox patches the card later. Over HTTP, the signature and its timestamp are checked before the
SDK parses anything. Every blocking SDK call (they all fetch tokens with ``requests``) runs in a
thread.
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
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.feishu import render
from adapters.feishu.api import FeishuApi, domain_url
from adapters.feishu.events import LongConnection, build_dispatcher, raw_request, screen
from adapters.feishu.inbound import (
    Json,
    Profile,
    action_inbound,
    from_legacy_card,
    message_inbound,
    operator_of,
    parent_of,
    quote_of,
    sender_of,
)
from bot.clock import Clock
from bot.config import Settings
from bot.events import Inbound, Platform, Target
from bot.outbox import delivery_key
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import RawEvent, Sink, StoredEvent, Ticket, Translation, Unreadable

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
        encrypt_key = s.feishu_encrypt_key.get_secret_value()
        if self._http_mode and not encrypt_key:
            if not s.feishu_allow_unsigned:
                raise ValueError(
                    "FEISHU_EVENT_MODE=http needs FEISHU_ENCRYPT_KEY (Feishu signs requests only "
                    "with it); set FEISHU_ALLOW_UNSIGNED=true to accept unsigned requests anyway"
                )
            log.warning(
                "Feishu over HTTP without FEISHU_ENCRYPT_KEY: requests are not signed, so anyone "
                "who learns the verification token can send Baton events, and old requests can "
                "be replayed; set FEISHU_ENCRYPT_KEY to close this"
            )
        self._keys = (encrypt_key, token)
        self._api = FeishuApi(s.feishu_app_id, secret, s.feishu_domain)
        self._dispatcher = build_dispatcher(
            self._on_message,
            self._on_card,
            encrypt_key=encrypt_key if self._http_mode else "",
            verification_token=token if self._http_mode else "",
        )
        self._credentials = (s.feishu_app_id, secret, domain_url(s.feishu_domain))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: LongConnection | None = None
        self._events_pool: ThreadPoolExecutor | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inflight: set[concurrent.futures.Future[Any]] = set()
        self._inflight_lock = threading.Lock()
        self._bot_open_id: str | None = None
        self._bot_info_at = float("-inf")
        self._bot_lookup = asyncio.Lock()

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
                break
            await asyncio.gather(*pending, return_exceptions=True)
        if self._sink is not None:
            await self._sink.settle()

    async def ready(self) -> str | None:
        """Over the long connection, whether it is up; over HTTP, Feishu calls in."""
        if self._http_mode:
            return None
        if self._connection is None or not self._connection.connected:
            return "Feishu long connection not connected"
        return None

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /feishu/events`` in HTTP mode (events and card callbacks share it)."""
        return [web.post("/feishu/events", self._http_event)] if self._http_mode else []

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; the outbox row becomes Feishu's ``uuid`` so a retry never doubles."""
        return await asyncio.to_thread(self._api.send, target, reply, _uuid(target, reply))

    async def _http_event(self, request: web.Request) -> web.Response:
        """Screen the request (signature, age, token, type) before the SDK parses it; junk gets a
        short 4xx and one WARNING line, events Baton does not subscribe to a bare 200."""
        body = await request.read()
        encrypt_key, token = self._keys
        verdict = screen(
            body, request.headers, encrypt_key=encrypt_key, token=token, now=self._clock.now()
        )
        if verdict.status != 200:
            log.warning("Feishu request refused: %s", verdict.reason)
            return web.json_response({"msg": verdict.reason}, status=verdict.status)
        if verdict.skip:
            log.debug("Feishu request answered and dropped: %s", verdict.reason)
            return web.json_response({"msg": verdict.reason})
        if verdict.legacy_card is not None:
            self._on_legacy_card(verdict.legacy_card, hashlib.sha256(body).hexdigest()[:32])
            return web.json_response({})
        raw = raw_request(request.path, request.headers, body)
        loop = asyncio.get_running_loop()
        # The SDK decrypts and runs the (blocking) handlers: keep it off the loop.
        resp = await loop.run_in_executor(self._events_pool, self._dispatcher.do, raw)
        if int(resp.status_code or 500) != 200:
            log.warning("Feishu request refused by the SDK (status %s)", resp.status_code)
            return web.json_response({"msg": "bad request"}, status=400)
        return web.Response(body=resp.content or b"", content_type="application/json")

    # -- bridging: these two run on an SDK thread, never on Baton's loop --------------------------

    def _on_message(self, event: Json) -> None:
        """Store the message before the SDK acknowledges it (it does when this returns)."""
        preview = message_inbound(
            event, bot_open_id=None, profile=Profile(), received_at=self._clock.now()
        )
        if preview is None:  # not a message Baton reads (an app's, a sticker, a picture in a chat)
            log.debug("Feishu message acknowledged and dropped: nothing Baton reads")
            return
        self._core.accept(self._raw("message", preview, event))

    def _on_card(self, event: Json) -> Json:
        preview = action_inbound(event, profile=Profile(), received_at=self._clock.now())
        if preview is None:
            log.debug("Feishu card callback answered and dropped: not one of Baton's buttons")
            return {}
        ticket = self._core.hold(self._raw("card", preview, event))
        if ticket is None:
            return {}  # a redelivery: it was answered the first time
        wait = _CardWait()
        future = self._submit(self._answer_card(event, wait, ticket))
        try:
            return _answer_within(future, wait)
        except Exception:
            log.exception("Feishu card callback failed")
            return {}

    def _on_legacy_card(self, data: Json, digest: str) -> None:
        """A click in the legacy card callback format: stored, then answered like any stored click
        (the card is updated through the Open API). Its body names no event, so a redelivery is
        known by the body's digest (each click carries a token of its own)."""
        event = from_legacy_card(data, f"card1-{digest}")
        preview = action_inbound(event, profile=Profile(), received_at=self._clock.now())
        if preview is None:
            log.debug("Feishu legacy card callback dropped: not one of Baton's buttons")
            return
        self._core.accept(self._raw("card", preview, event))

    def _raw(self, kind: str, preview: Inbound, event: Json) -> RawEvent:
        chat = preview.source.channel or f"@{preview.actor.user_id}"
        return RawEvent(Platform.FEISHU, preview.event_id, kind, chat, event)

    @property
    def _core(self) -> Sink:
        if self._sink is None:
            raise RuntimeError("Feishu adapter received an event before start()")
        return self._sink

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        if self._loop is None:
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

    async def translate(self, event: StoredEvent) -> Translation | None:
        """A stored message or card click as a message, with the sender looked up now."""
        data = dict(event.payload)
        if event.kind == "message":
            sender = sender_of(data)
            if sender is None:
                return None
            await self._ensure_bot_id()
            found = message_inbound(
                data,
                bot_open_id=self._bot_open_id,
                profile=await self._profile(sender),
                received_at=event.received_at,
            )
            return None if found is None else Translation(await self._with_quote(found, data))
        if event.kind == "card":  # a click whose callback was never answered (Baton stopped)
            found = await self._card_inbound(data, event.received_at)
            return None if found is None else Translation(found)
        raise Unreadable(f"unknown kind {event.kind!r}")

    async def _with_quote(self, found: Inbound, data: Json) -> Inbound:
        """A message to Baton that replies to another carries that message (``task`` in reply to
        a message makes a task of it); it is read back only then, one Open API call."""
        parent = parent_of(data)
        if not found.is_direct or parent is None:
            return found
        message = await asyncio.to_thread(self._api.message, parent)
        return found if message is None else replace(found, quoted=quote_of(message))

    async def _card_inbound(self, data: Json, received_at: datetime) -> Inbound | None:
        operator = operator_of(data)
        profile = await self._profile(operator) if operator else Profile()
        return action_inbound(data, profile=profile, received_at=received_at)

    async def _answer_card(self, event: Json, wait: _CardWait, ticket: Ticket) -> Json:
        inbound = await self._card_inbound(event, self._clock.now())
        if inbound is None:
            return {}
        clicked = inbound.action.message_ref if inbound.action else None

        def updates_the_card(reply: Reply) -> bool:
            """The reply that updates the clicked card goes back in the callback's own response,
            if the callback is still waiting for it."""
            return bool(clicked) and reply.edit_ref == clicked and wait.answer()

        answered = await self._core.answer(inbound, inline=updates_the_card, ticket=ticket)
        if answered.later:  # the rest goes out after the callback has been answered
            task = asyncio.create_task(self._core.deliver(answered.later))
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
        """Learn Baton's own open_id (to tell a mention of Baton from others) once; events being
        translated side by side wait for the one lookup."""
        async with self._bot_lookup:
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
