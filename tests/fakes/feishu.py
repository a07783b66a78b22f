"""A fake Feishu Open API on 127.0.0.1, on its own thread and loop, recording what Baton sends.

It serves what lark-oapi calls: the tenant token, bot info, ``im/v1/messages`` create/reply/patch,
the contact user, and the long connection: ``/callback/ws/endpoint`` plus a websocket speaking the
SDK's protobuf frames (``lark_oapi.ws.pb.pbbp2_pb2.Frame``). It must not share the test's loop: the
SDK's token fetch and the long connection are blocking / on other threads.

The builders at the end make the events Feishu sends (messages, card clicks), encrypted and signed
as Feishu does for HTTP delivery.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import WSMsgType, web
from Crypto.Cipher import AES
from lark_oapi.ws.pb.pbbp2_pb2 import Frame

from tests.conftest import START

Json = dict[str, Any]
TOKEN = "v-token"  # the app's verification token
ENCRYPT_KEY = "enc-key"
# Seconds a test waits for Baton before failing: generous, since a loaded machine (the first FAQ
# question loads the sentence encoder) can take several seconds; a passing test never waits it out.
WAIT = 30.0


@dataclass
class Call:
    """One request Baton made."""

    method: str
    path: str
    query: dict[str, str]
    body: Json
    authorization: str

    @property
    def content(self) -> Json:
        """The message ``content`` JSON, decoded."""
        return json.loads(self.body.get("content") or "{}")


@dataclass
class FakeFeishu:
    """Start with ``start()``; ``url`` is the FEISHU_DOMAIN to use."""

    users: dict[str, Json] = field(default_factory=dict)
    messages: dict[str, Json] = field(default_factory=dict)  # by id, as im/v1/messages/:id shows
    contact_denied: bool = False
    user_lookups: int = 0
    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[int, int, str | None]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ids: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)
    _frame_ids: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)
    _by_uuid: dict[str, str] = field(default_factory=dict)
    _ws: web.WebSocketResponse | None = None
    _replies: dict[str, concurrent.futures.Future[Json]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    port: int = 0
    latency: float = 0.0  # seconds every Open API call waits before it is answered
    connected_at: float = 0.0
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to give lark-oapi."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeFeishu:
        """Serve on a free port in a background thread."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        application = web.Application()
        application.add_routes(
            [
                web.post("/open-apis/auth/v3/tenant_access_token/internal", self._token),
                web.get("/open-apis/bot/v3/info", self._bot),
                web.post("/open-apis/im/v1/messages", self._create),
                web.post("/open-apis/im/v1/messages/{id}/reply", self._create),
                web.patch("/open-apis/im/v1/messages/{id}", self._patch),
                web.get("/open-apis/im/v1/messages/{id}", self._message),
                web.get("/open-apis/contact/v3/users/{id}", self._user),
                web.post("/callback/ws/endpoint", self._endpoint),
                web.get("/ws", self._websocket),
            ]
        )
        self._runner = web.AppRunner(application)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        ready.set()
        loop.run_forever()
        loop.close()

    def stop(self) -> None:
        """Shut the server down."""
        if self._loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    # -- what tests look at ----------------------------------------------------------------------

    def sent(self) -> list[Call]:
        """Messages created, replied or patched so far."""
        with self._cond:
            return [c for c in self.calls if "/im/v1/messages" in c.path]

    async def wait_sent(self, count: int) -> list[Call]:
        """Wait (off the test's loop, 10 s at most) until ``count`` messages were sent."""

        def enough() -> bool:
            with self._cond:
                return self._cond.wait_for(lambda: len(self.sent()) >= count, WAIT)

        assert await asyncio.to_thread(enough), f"expected {count} sends, got {self.sent()}"
        return self.sent()

    def fail_next(self, status: int, code: int, reset: str | None = None) -> None:
        """Answer the next message request with an error (e.g. 429 / 99991400 + reset header)."""
        self.failures.append((status, code, reset))

    def push(self, payload: Json, timeout: float = WAIT) -> Json:
        """Send one event over the long connection (blocking) and return the client's answer."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(self._push(payload), self._loop).result(timeout)

    # -- handlers ----------------------------------------------------------------------------------

    def _record(self, request: web.Request, body: Json) -> None:
        with self._cond:
            self.calls.append(
                Call(
                    request.method,
                    request.path,
                    dict(request.query),
                    body,
                    request.headers.get("Authorization", ""),
                )
            )
            self._cond.notify_all()

    async def _token(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        return web.json_response({"code": 0, "tenant_access_token": "t-fake", "expire": 7200})

    async def _bot(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        return web.json_response({"code": 0, "bot": {"open_id": "ou_bot", "app_name": "Baton"}})

    async def _create(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        body = await request.json()
        if self.failures:
            status, code, reset = self.failures.pop(0)
            headers = {"x-ogw-ratelimit-reset": reset} if reset else {}
            return web.json_response(
                {"code": code, "msg": "limited"}, status=status, headers=headers
            )
        uuid = body.get("uuid")
        if uuid and uuid in self._by_uuid:  # Feishu drops a repeated uuid within an hour
            return web.json_response({"code": 0, "data": {"message_id": self._by_uuid[uuid]}})
        self._record(request, body)
        message_id = f"om_sent_{self._ids()}"
        if uuid:
            self._by_uuid[uuid] = message_id
        return web.json_response({"code": 0, "data": {"message_id": message_id}})

    async def _patch(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        self._record(request, await request.json())
        return web.json_response({"code": 0, "msg": "success"})

    async def _message(self, request: web.Request) -> web.Response:
        """``GET im/v1/messages/:id``: a message Feishu holds, or its "not found" (code 230001)."""
        found = self.messages.get(request.match_info["id"])
        if found is None:
            return web.json_response({"code": 230001, "msg": "message not found"}, status=400)
        return web.json_response({"code": 0, "data": {"items": [found]}})

    async def _user(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        self.user_lookups += 1
        if self.contact_denied:
            return web.json_response({"code": 99991672, "msg": "no permission"}, status=400)
        user = self.users.get(request.match_info["id"], {"name": "", "time_zone": ""})
        return web.json_response({"code": 0, "data": {"user": user}})

    async def _endpoint(self, request: web.Request) -> web.Response:
        config = {"ReconnectCount": 1, "ReconnectInterval": 1, "ReconnectNonce": 30}
        url = f"ws://127.0.0.1:{self.port}/ws?device_id=dev1&service_id=7"
        config["PingInterval"] = 120
        return web.json_response({"code": 0, "data": {"URL": url, "ClientConfig": config}})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.connected_at = time.perf_counter()
        self.connected.set()
        async for message in ws:
            if message.type != WSMsgType.BINARY:
                continue
            frame = Frame()
            frame.ParseFromString(message.data)
            headers = {h.key: h.value for h in frame.headers}
            waiting = self._replies.pop(headers.get("message_id", ""), None)
            if frame.method == 1 and waiting is not None:
                waiting.set_result(json.loads(frame.payload))
        return ws

    async def _push(self, payload: Json) -> Json:
        assert self._ws is not None, "no long connection"
        message_id = f"msg_{self._frame_ids()}"
        frame = Frame()
        frame.SeqID = 1
        frame.LogID = 1
        frame.service = 7
        frame.method = 1  # DATA
        for key, value in (
            ("type", "event"),
            ("message_id", message_id),
            ("sum", "1"),
            ("seq", "0"),
            ("trace_id", "trace1"),
        ):
            header = frame.headers.add()
            header.key, header.value = key, value
        frame.payload = json.dumps(payload).encode()
        answer: concurrent.futures.Future[Json] = concurrent.futures.Future()
        self._replies[message_id] = answer
        await self._ws.send_bytes(frame.SerializeToString())
        return await asyncio.wrap_future(answer)


def tagged(card: Json, tag: str) -> list[Json]:
    """Every element of ``card`` with ``tag`` (``button``, ``markdown`` …), wherever the renderer
    put it."""
    found: list[Json] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("tag") == tag:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def decode_answer(answer: Json) -> Json:
    """The handler's result inside a long-connection answer frame (``data`` is base64 JSON)."""
    data = answer.get("data")
    return json.loads(base64.b64decode(data)) if data else {}


def bot_mention(key: str = "@_user_1") -> Json:
    """The ``mentions`` entry for Baton behind the ``@_user_1`` placeholder in a message's text."""
    return {"key": key, "id": {"open_id": "ou_bot"}, "name": "Baton", "tenant_key": "tk1"}


def message_event(
    text: str,
    *,
    event_id: str = "ev1",
    chat_type: str = "group",
    mentions: list[Json] | None = None,
    kind: str = "text",
    content: Json | None = None,
    thread: bool = False,
    chat_id: str = "oc_ops",
    token: str = TOKEN,
    parent_id: str | None = None,
) -> Json:
    """An ``im.message.receive_v1`` event from Alice: a text message in a group (``chat_type="p2p"``
    for a DM, ``thread`` for one in a thread), or ``kind="post"`` with its ``content``.
    ``mentions`` defaults to Baton's, as in ``@_user_1 help``; ``parent_id`` makes it a reply to
    that message."""
    message: Json = {
        "message_id": "om_in1",
        "chat_id": chat_id,
        "chat_type": chat_type,
        "message_type": kind,
        "content": json.dumps(content if content is not None else {"text": text}),
        "mentions": mentions if mentions is not None else [bot_mention()],
    }
    if thread:
        message.update(root_id="om_root", thread_id="omt_1")
    if parent_id is not None:
        message.update(root_id=parent_id, parent_id=parent_id)
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "im.message.receive_v1",
            "token": token,
            "tenant_key": "tk1",
            "app_id": "cli_test",
        },
        "event": {
            "sender": {"sender_id": {"open_id": "ou_alice"}, "sender_type": "user"},
            "message": message,
        },
    }


def stored_message(message_id: str, text: str, *, mentions: list[Json] | None = None) -> Json:
    """A text message as ``GET im/v1/messages/:id`` shows it (Bob wrote it in the ops chat)."""
    return {
        "message_id": message_id,
        "root_id": "",
        "parent_id": "",
        "msg_type": "text",
        "create_time": "1764547200000",
        "update_time": "1764547200000",
        "deleted": False,
        "updated": False,
        "chat_id": "oc_ops",
        "sender": {
            "id": "ou_bob",
            "id_type": "open_id",
            "sender_type": "user",
            "tenant_key": "tk1",
        },
        "body": {"content": json.dumps({"text": text}, ensure_ascii=False)},
        "mentions": mentions or [],
        "message_app_link": f"https://applink.feishu.cn/client/message/link/open?token={message_id}",
    }


def legacy_card_action(message_id: str, value: Json) -> Json:
    """A click in the legacy card callback format (the body of a message card's request URL)."""
    return {
        "open_id": "ou_alice",
        "user_id": "a1b2c3",
        "open_message_id": message_id,
        "open_chat_id": "oc_ops",
        "tenant_key": "tk1",
        "token": "c-0f7a1c2d",
        "action": {"tag": "button", "value": value},
    }


def legacy_signed_headers(body: bytes, token: str = TOKEN, *, at: datetime = START) -> Json:
    """Headers of a legacy card callback: SHA-1 over timestamp, nonce, verification token, body."""
    timestamp, nonce = f"{at.timestamp():.0f}", "n0nce"
    digest = hashlib.sha1((timestamp + nonce + token).encode() + body).hexdigest()  # noqa: S324
    return {
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": digest,
    }


def card_action(
    message_id: str, value: Json, *, event_id: str = "evc1", tenant_key: str | None = None
) -> Json:
    """A ``card.action.trigger`` callback: Alice clicked the button carrying ``value`` on the card
    ``message_id``. Only the operator names the tenant unless ``tenant_key`` puts it in the header."""
    header: Json = {"event_id": event_id, "event_type": "card.action.trigger", "token": TOKEN}
    if tenant_key is not None:
        header["tenant_key"] = tenant_key
    return {
        "schema": "2.0",
        "header": header,
        "event": {
            "operator": {"open_id": "ou_alice", "tenant_key": "tk1"},
            "token": "c-1",
            "action": {"tag": "button", "value": value},
            "context": {"open_message_id": message_id, "open_chat_id": "oc_ops"},
        },
    }


def encrypted(payload: Json, key: str = ENCRYPT_KEY) -> bytes:
    """``{"encrypt": …}`` as Feishu builds it: AES-256-CBC, key sha256(encrypt key), IV first."""
    plain = json.dumps(payload).encode()
    pad = 16 - len(plain) % 16
    iv = os.urandom(16)
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    data = iv + cipher.encrypt(plain + bytes([pad]) * pad)
    return json.dumps({"encrypt": base64.b64encode(data).decode()}).encode()


def signed_headers(body: bytes, key: str = ENCRYPT_KEY, *, at: datetime = START) -> dict[str, str]:
    """Headers with a valid signature made at ``at`` (the tests' clock by default), in lower case
    (HTTP names are case-insensitive)."""
    timestamp, nonce = f"{at.timestamp():.0f}", "n0nce"
    digest = hashlib.sha256((timestamp + nonce + key).encode() + body).hexdigest()
    return {
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": digest,
        "content-type": "application/json",
    }
