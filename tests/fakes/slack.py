"""A fake Slack on 127.0.0.1: the Web API (``/api/<method>``) and a Socket Mode websocket.

It runs on its own thread and loop (it outlives each test's loop and a ``baton run`` subprocess
can reach it), records every Web API call, can answer the next call of a method with an error or
a 429 with ``Retry-After``, knows conversations Baton is not a member of (``outside``: posting
there answers ``channel_not_found``, as Slack does), serves ``response_url``s, and lets a test
push Socket Mode envelopes and await their acks.
It also signs HTTP requests exactly as Slack does (v0 HMAC-SHA256), and builds the payloads Slack
sends: slash commands, Events API events (messages, mentions, Home opened) and interactions
(button clicks, the message shortcut).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web

from bot.config import Settings

TEAM = "T0TEAM"
BOT_USER = "U0BATON"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-fake"
APP_TOKEN = "xapp-fake"
WAIT = 30.0  # seconds a test waits for Baton before failing (a passing test never waits it out)


@dataclass
class Call:
    """One Web API call Baton made."""

    method: str
    args: dict[str, Any]
    token: str


@dataclass
class FakeSlack:
    """The fake platform; ``api_url`` is what ``SLACK_API_URL`` points at."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    answers: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = field(
        default_factory=dict
    )
    port: int = 0
    opened: int = 0
    latency: float = 0.0  # seconds every Web API call waits before it is answered
    posted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per channel
    outside: set[str] = field(default_factory=set)  # conversations Baton is not a member of
    # methods whose next call is carried out, then its connection dropped before the answer
    unanswered: set[str] = field(default_factory=set)
    _loop: asyncio.AbstractEventLoop | None = None
    _ws: web.WebSocketResponse | None = None
    _acks: dict[str, concurrent.futures.Future[dict[str, Any]]] = field(default_factory=dict)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def respond_url(self, key: str) -> str:
        """A ``response_url`` of this fake (its calls are recorded as ``response_url``)."""
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    def start(self) -> None:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), name="fake-slack", daemon=True).start()
        ready.wait(10)

    def answer_next(
        self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Make the next call of ``method`` get this answer instead of success."""
        self.answers.setdefault(method, []).append((status, body, headers or {}))

    def made(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = WAIT) -> list[Call]:
        """Wait until ``method`` has been called ``count`` times (Baton works after its ack)."""
        deadline = time.monotonic() + within
        while len(self.made(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{method} called {len(self.made(method))} times, not {count}"
                )
            await asyncio.sleep(0.01)
        return self.made(method)

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    # --- Socket Mode ------------------------------------------------------------------------

    async def push(self, kind: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Send one Socket Mode envelope and wait for the client's ack."""
        assert self._loop is not None
        envelope_id = f"env-{next(self._ts)}"
        ack: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        self._acks[envelope_id] = ack
        frame = {"envelope_id": envelope_id, "type": kind, "payload": payload, **extra}
        frame.setdefault("accepts_response_payload", kind != "events_api")
        asyncio.run_coroutine_threadsafe(self._send(json.dumps(frame)), self._loop).result(5)
        return await asyncio.wait_for(asyncio.wrap_future(ack), WAIT)

    async def _send(self, text: str) -> None:
        for _ in range(500):
            if self._ws is not None and not self._ws.closed:
                break
            await asyncio.sleep(0.01)
        assert self._ws is not None, "no Socket Mode client connected"
        await self._ws.send_str(text)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            ack = json.loads(message.data)
            waiting = self._acks.pop(ack.get("envelope_id", ""), None)
            if waiting is not None:
                waiting.set_result(ack)
        return ws

    # --- the Web API ------------------------------------------------------------------------

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/socket", self._socket)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        ready.set()
        self._loop.run_forever()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw.decode()))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.latency:
            await asyncio.sleep(self.latency)
        with self._lock:
            self.calls.append(Call(method, args, token))
        queued = self.answers.get(method)
        if queued:
            status, body, headers = queued.pop(0)
            return web.json_response(body, status=status, headers=headers)
        if method in _IN_CHANNEL and str(args.get("channel")) in self.outside:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        answer = self._success(method, args, token)
        if method in self.unanswered:  # done, but the caller never hears so
            self.unanswered.discard(method)
            assert request.transport is not None
            request.transport.abort()
        return web.json_response(answer)

    async def _respond(self, request: web.Request) -> web.Response:
        """A ``response_url``: recorded as the call ``response_url``; Slack answers a used-up or
        expired one with a 404 and a word (``answer_next("response_url", 404, ...)``)."""
        args = await request.json()
        with self._lock:
            self.calls.append(Call("response_url", {**args, "key": request.match_info["key"]}, ""))
        queued = self.answers.get("response_url")
        if queued:
            status, body, _headers = queued.pop(0)
            return web.Response(status=status, text=str(body.get("error", "")))
        return web.Response(text="ok")

    def _success(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0BATON",
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "baton",
            }
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            self.opened += 1
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{args.get('users')}"}}
        if method == "chat.getPermalink":
            ts = str(args.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "permalink": f"https://fake.slack.com/archives/{args.get('channel')}/p{ts}",
            }
        if method == "chat.postMessage":
            return self._post(args)
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method in ("conversations.history", "conversations.replies"):
            return {"ok": True, "messages": self._history(method, args), "has_more": False}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        return {"ok": True}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        """A posted message, kept with its metadata so the conversation can be read back."""
        ts = f"{time.time():.6f}"  # like Slack: the moment it was posted
        channel = str(args.get("channel"))
        message = {"type": "message", "ts": ts, "text": args.get("text", ""), "user": BOT_USER}
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self._lock:
            self.posted.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts}

    def _history(self, method: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Messages of a channel (or of one thread) since ``oldest``, newest first, with their
        metadata only when asked for (as Slack does)."""
        oldest = float(args.get("oldest") or 0)
        thread = args.get("ts") if method == "conversations.replies" else None
        with self._lock:
            found = [
                dict(m)
                for m in self.posted.get(str(args.get("channel")), [])
                if float(m["ts"]) >= oldest and (thread is None or m.get("thread_ts") == thread)
            ]
        if str(args.get("include_all_metadata")).lower() not in ("1", "true"):
            for message in found:
                message.pop("metadata", None)
        return sorted(found, key=lambda m: float(m["ts"]), reverse=True)


# Methods that act in a conversation, which fail where Baton is not a member.
_IN_CHANNEL = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "conversations.history",
        "conversations.replies",
    }
)


def settings(database: Path, platform: FakeSlack, **extra: Any) -> Settings:
    """Baton over Slack's HTTP mode on a SQLite file at ``database``: its Web API calls go to
    ``platform``, and requests signed as the fake signs them pass."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{database}",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=platform.api_url,
        **extra,
    )


def user(
    uid: str, name: str, *, tz: str = "Europe/Berlin", locale: str = "en-US", owner: bool = False
) -> dict[str, Any]:
    """A ``users.info`` user as Slack returns it (with ``include_locale``); ``owner`` for the
    workspace's owner (Slack marks owners as admins too)."""
    return {
        "id": uid,
        "team_id": TEAM,
        "name": name.lower(),
        "real_name": name,
        "tz": tz,
        "tz_offset": 3600,
        "locale": locale,
        "is_admin": owner,
        "is_owner": owner,
        "is_primary_owner": owner,
        "profile": {"display_name": name, "real_name": name},
    }


def signed_headers(
    body: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Headers Slack sends: ``v0=HMAC_SHA256(secret, "v0:{ts}:{body}")``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


def command_body(
    text: str,
    *,
    command: str = "/baton",
    user_id: str = "U1",
    channel: str = "C1",
    channel_name: str = "ops",
    trigger: str = "",
    response_url: str = "",
) -> str:
    """A slash command as Slack posts it (form-encoded); ``channel_name`` is Slack's word for the
    conversation (``directmessage``, ``privategroup`` or the channel's name)."""
    return urlencode(
        {
            "token": "old-verification-token",
            "team_id": TEAM,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": "alice",
            "command": command,
            "text": text,
            "api_app_id": "A0BATON",
            "response_url": response_url or f"https://hooks.slack.com/commands/{TEAM}/1/x",
            "trigger_id": trigger or f"trig.{time.monotonic_ns()}",
        }
    )


def event_body(event: dict[str, Any], *, event_id: str = "") -> dict[str, Any]:
    """An Events API ``event_callback`` envelope."""
    return {
        "token": "old",
        "team_id": TEAM,
        "api_app_id": "A0BATON",
        "type": "event_callback",
        "event_id": event_id or f"Ev{time.monotonic_ns()}",
        "event_time": 1700000000,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        "event": event,
    }


def app_mention_event(
    text: str, *, user: str = "U1", channel: str = "C1", ts: str = "1.1"
) -> dict[str, Any]:
    """An ``app_mention`` event: ``text`` typed after ``@Baton`` in a channel."""
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
    }


def message_event(
    text: str,
    *,
    user: str = "U1",
    channel: str = "D1",
    channel_type: str = "im",
    ts: str = "1.1",
    thread_ts: str | None = None,
    bot_id: str | None = None,
    files: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``message`` event: a DM to Baton by default, ``channel_type="channel"`` for a channel
    message (in the thread ``thread_ts``); ``bot_id`` marks a message a bot posted; ``files``
    makes it a ``file_share`` whose caption is ``text``."""
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "channel": channel,
        "ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if bot_id is not None:
        event["bot_id"] = bot_id
    if files is not None:
        event.update(subtype="file_share", files=files, upload=False, display_as_bot=False)
    return event


def shared_file(name: str = "invoice.png", mimetype: str = "image/png") -> dict[str, Any]:
    """A file of a ``file_share`` message, as the Events API describes it."""
    return {
        "id": "F0FILE1",
        "created": 1700000000,
        "name": name,
        "title": name,
        "mimetype": mimetype,
        "filetype": name.rpartition(".")[2],
        "user": "U1",
        "size": 52341,
        "mode": "hosted",
        "is_external": False,
        "url_private": f"https://files.slack.com/files-pri/{TEAM}-F0FILE1/{name}",
    }


def home_opened_event(user: str = "U1", *, channel: str = "D1", ts: str = "9.1") -> dict[str, Any]:
    """An ``app_home_opened`` event: ``user`` opened Baton's Home tab."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": "home",
        "event_ts": ts,
    }


def block_actions(
    action: dict[str, Any],
    *,
    user: str = "U1",
    channel: str = "C1",
    message_ts: str = "1700000000.000001",
    action_ts: str = "1700000001.1",
    trigger: str = "t.1",
    response_url: str = "https://hooks.slack.com/actions/x",
    ephemeral: bool = False,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` interaction: ``user`` clicked the button element ``action`` on the
    message ``message_ts`` (an ephemeral one, or one in the thread ``thread_ts``)."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
    }
    if ephemeral:
        container["is_ephemeral"] = True
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "api_app_id": "A0BATON",
        "trigger_id": trigger,
        "container": container,
        "channel": {"id": channel},
        "response_url": response_url,
        "actions": [{**action, "block_id": "b", "action_ts": action_ts}],
    }
    if thread_ts is not None:
        payload["message"] = {"ts": message_ts, "thread_ts": thread_ts}
    return payload


def message_shortcut(
    text: str,
    *,
    user: str = "U1",
    author: str = "U2",
    channel: str = "C5",
    ts: str = "1700000005.000100",
    trigger: str = "t.sc",
    response_url: str = "https://hooks.slack.com/app/x",
) -> dict[str, Any]:
    """A ``message_action`` interaction: ``user`` ran "Create task" on ``author``'s message."""
    return {
        "type": "message_action",
        "callback_id": "create_task",
        "trigger_id": trigger,
        "team": {"id": TEAM},
        "user": {"id": user},
        "channel": {"id": channel},
        "message": {"type": "message", "user": author, "ts": ts, "text": text},
        "response_url": response_url,
    }


def json_arg(call: Call, name: str) -> Any:
    """A Block Kit argument of a call: a JSON string in a form post, an object in a JSON one."""
    raw = call.args[name]
    return json.loads(raw) if isinstance(raw, str) else raw


def buttons(call: Call) -> list[dict[str, Any]]:
    """The button elements of a posted message, in order."""
    return [e for b in json_arg(call, "blocks") if b["type"] == "actions" for e in b["elements"]]


@cache
def shared_fake() -> FakeSlack:
    """The one fake Slack of this test process, which knows Alice (U1), Bo (U2, in Chinese) and
    Olga (U3, the workspace's owner)."""
    platform = FakeSlack(
        users={
            "U1": user("U1", "Alice"),
            "U2": user("U2", "Bo", tz="Asia/Shanghai", locale="zh-CN"),
            "U3": user("U3", "Olga", owner=True),
        }
    )
    platform.start()
    return platform


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
