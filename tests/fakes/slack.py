"""A fake Slack Web API (and Socket Mode websocket) on 127.0.0.1, on its own thread and loop.

It records every Web API call Baton makes (``/api/<method>``), can answer the next calls with a 429
and ``Retry-After``, and serves ``apps.connections.open`` plus a websocket that pushes Socket Mode
envelopes and collects Baton's acks. Its own thread lets a ``baton run`` subprocess use it too.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

Json = dict[str, Any]
BOT_USER = "UBOT"
TEAM = "T111"


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers exactly as Slack signs a request: v0=HMAC-SHA256(secret, "v0:ts:body")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class FakeSlack:
    """Start with ``start()``; ``api_url`` is the SLACK_API_URL to use."""

    users: dict[str, Json] = field(default_factory=dict)
    calls: list[tuple[str, Json]] = field(default_factory=list)
    ratelimit_next: int = 0
    acks: list[Json] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ts: Any = field(default_factory=lambda: itertools.count(1).__next__)
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _ws: web.WebSocketResponse | None = None
    port: int = 0

    @property
    def api_url(self) -> str:
        """Base URL for the Web API."""
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> None:
        """Serve on a free port on its own thread."""
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_post("/api/{method}", self._api)
            app.router.add_get("/api/{method}", self._api)
            app.router.add_get("/socket", self._socket)
            self._runner = web.AppRunner(app)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True, name="fake-slack").start()
        ready.wait(5)

    def stop(self) -> None:
        """Shut the server down."""
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)

    def named(self, method: str) -> list[Json]:
        """Arguments of every call to ``method``."""
        with self._cond:
            return [args for name, args in self.calls if name == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Json]:
        """Block until ``method`` was called ``count`` times (bounded), then return the calls."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([1 for name, _ in self.calls if name == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called fewer than {count} times: {self.calls}")
                self._cond.wait(left)
            return [args for name, args in self.calls if name == method]

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text() if request.method == "POST" else request.query_string
        if request.content_type == "application/json":
            args: Json = json.loads(raw or "{}")
        else:
            args = dict(parse_qsl(raw))
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        with self._cond:
            if self.ratelimit_next and method.startswith("chat."):
                self.ratelimit_next -= 1
                self.calls.append((method + ":429", args))
                self._cond.notify_all()
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
                )
            self.calls.append((method, args))
            self._cond.notify_all()
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: Json) -> Json:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "B1",
                "team_id": TEAM,
                "user": "baton",
            }
        if method == "users.info":
            user = args.get("user", "")
            info = self.users.get(user, {"id": user, "name": user, "tz": "UTC"})
            return {"ok": True, "user": info}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", ""))}}
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"1700000000.{self._ts():06d}"
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        return {"ok": True}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in ws:
            with self._cond:
                self.acks.append(json.loads(message.data))
                self._cond.notify_all()
        return ws

    def push(self, envelope: Json) -> None:
        """Send one Socket Mode envelope to the connected client."""
        assert self._loop is not None
        deadline = time.monotonic() + 5
        while self._ws is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self._ws is not None, "no Socket Mode client connected"
        ws = self._ws
        asyncio.run_coroutine_threadsafe(ws.send_str(json.dumps(envelope)), self._loop).result(5)

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> Json:
        """The ack Baton sent for ``envelope_id`` (bounded wait)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for {envelope_id}")
                self._cond.wait(left)
