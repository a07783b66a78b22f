"""A fake DingTalk on 127.0.0.1: OpenAPI, the Stream gateway and its websocket, session webhooks.

It runs on its own thread and event loop (the SDK's gateway handshake is a blocking ``requests``
call, and the fake outlives each test's loop), records every request Baton makes, and lets a test
push Stream frames and await the ack Baton sends back. The builders at the end make what DingTalk
sends: robot messages, card callbacks and the signed headers of an HTTP callback.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "fake-access-token"
CORP = "dingcorp1"
GROUP = "cidGroupOps=="
BOT = "$:LWCP_v1:$bot"
WEBHOOK = "/robot/sendBySession"
_ids = itertools.count(1)
WAIT = 30.0  # seconds a test waits for the client before failing (never waited out when passing)


@dataclass
class Call:
    """One request Baton made."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeDingTalk:
    """The fake platform; ``url`` is what ``DINGTALK_API_URL`` points at."""

    names: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    opened: int = 0
    port: int = 0
    latency: float = 0.0  # seconds every API call waits before it is answered
    _loop: asyncio.AbstractEventLoop | None = None
    _ws: web.WebSocketResponse | None = None
    _acks: dict[str, concurrent.futures.Future[dict[str, Any]]] = field(default_factory=dict)
    _closed: concurrent.futures.Future[None] | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- control from tests ------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        threading.Thread(
            target=self._serve, args=(ready,), name="fake-dingtalk", daemon=True
        ).start()
        ready.wait(10)

    def reset(self) -> None:
        self.calls.clear()
        self.answers.clear()

    def answer_next(self, path: str, status: int, body: dict[str, Any]) -> None:
        """Make the next request to ``path`` get this answer instead of success."""
        self.answers.setdefault(path, []).append((status, body))

    def made(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    async def push(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a Stream frame to the connected client and wait for its ack."""
        assert self._loop is not None
        message_id = frame["headers"]["messageId"]
        ack: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        self._acks[message_id] = ack
        asyncio.run_coroutine_threadsafe(self._send(json.dumps(frame)), self._loop).result(5)
        return await asyncio.wait_for(asyncio.wrap_future(ack), WAIT)

    def push_only(self, frame: dict[str, Any]) -> None:
        """Send a frame that gets no ack (a ``disconnect``)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._send(json.dumps(frame)), self._loop).result(5)

    async def wait_closed(self) -> None:
        """Wait until the client's websocket has gone."""
        assert self._closed is not None
        await asyncio.wait_for(asyncio.wrap_future(self._closed), WAIT)

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    # --- the server ------------------------------------------------------------------------

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._api)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        ready.set()
        self._loop.run_forever()

    async def _send(self, text: str) -> None:
        for _ in range(500):  # the client may be a moment ahead of our side of the handshake
            if self._ws is not None and not self._ws.closed:
                break
            await asyncio.sleep(0.01)
        assert self._ws is not None, "no Stream client connected"
        await self._ws.send_str(text)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("ticket") != f"ticket-{self.opened}":
            raise web.HTTPForbidden()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self._closed = concurrent.futures.Future()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            ack = json.loads(message.data)
            waiting = self._acks.pop(ack.get("headers", {}).get("messageId", ""), None)
            if waiting is not None:
                waiting.set_result(ack)
        self._closed.set_result(None)
        return ws

    async def _api(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.latency)
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        headers = {k.lower(): v for k, v in request.headers.items()}
        call = Call(request.method, request.path, dict(request.query), headers, body)
        self.calls.append(call)
        if not self._authorised(call):
            return web.json_response(
                {"code": "InvalidAuthentication", "message": "no"}, status=401
            )
        queued = self.answers.get(request.path)
        if queued:
            status, answer = queued.pop(0)
            return web.json_response(answer, status=status)
        return web.json_response(self._success(call))

    @staticmethod
    def _authorised(call: Call) -> bool:
        if call.path.startswith(("/v1.0/robot/", "/v1.0/card/")):
            return call.headers.get("x-acs-dingtalk-access-token") == TOKEN
        if call.path.startswith("/topapi/"):
            return call.query.get("access_token") == TOKEN
        return True

    def _success(self, call: Call) -> dict[str, Any]:
        if call.path == "/v1.0/oauth2/accessToken":
            return {"accessToken": TOKEN, "expireIn": 7200}
        if call.path == "/v1.0/gateway/connections/open":
            self.opened += 1
            return {
                "endpoint": f"ws://127.0.0.1:{self.port}/gateway",
                "ticket": f"ticket-{self.opened}",
            }
        if call.path == "/robot/sendBySession":
            return {"errcode": 0, "errmsg": "ok"}
        if call.path == "/topapi/v2/user/get":
            name = self.names.get(call.body.get("userid", ""))
            if name is None:
                return {"errcode": 60121, "errmsg": "user not found"}
            return {"errcode": 0, "result": {"name": name, "userid": call.body["userid"]}}
        if call.path in ("/v1.0/robot/groupMessages/send", "/v1.0/robot/oToMessages/batchSend"):
            return {"processQueryKey": f"pqk-{next(self._ids)}"}
        return {"success": True, "result": {}}


@cache
def shared_fake() -> FakeDingTalk:
    """The one fake of this test process: dingtalk-stream reads its endpoint once, at import."""
    platform = FakeDingTalk(names={"staff1": "Alice", "staff2": "Bob"})
    platform.start()
    return platform


def robot_message(
    fake: FakeDingTalk,
    now_ms: int,
    text: str,
    *,
    group: bool = True,
    user: str = "staff1",
    at: tuple[str, ...] = (),
    admin: bool = False,
) -> dict[str, Any]:
    """A robot message as DingTalk sends it (Stream callback data or HTTP callback body);
    ``admin`` when the sender administers the organisation (``isAdmin``)."""
    msg_id = f"msg{next(_ids)}"
    return {
        "conversationId": GROUP if group else f"cidDm{user}",
        "conversationType": "2" if group else "1",
        "msgId": msg_id,
        "createAt": now_ms,
        "senderId": f"$:LWCP_v1:${user}",
        "senderStaffId": user,
        "senderNick": fake.names.get(user, user),
        "isAdmin": admin,
        "chatbotUserId": BOT,
        "chatbotCorpId": CORP,
        "robotCode": "dingrobot",
        "isInAtList": group,
        "atUsers": [{"dingtalkId": BOT}, *({"dingtalkId": f"$:{u}", "staffId": u} for u in at)],
        "sessionWebhook": f"{fake.url}{WEBHOOK}?session={msg_id}",
        "sessionWebhookExpiredTime": now_ms + 90 * 60 * 1000,
        "msgtype": "text",
        "text": {"content": text},
    }


def voice(message: dict[str, Any], heard: str) -> dict[str, Any]:
    """``message`` made a voice message (``msgtype: audio``) DingTalk transcribed as ``heard``
    (empty: no transcript), shaped like DingTalk's documented robot callback."""
    message.pop("text", None)
    content = {"duration": 4000, "downloadCode": "mIofN681YE3f/voice", "recognition": heard}
    return {**message, "msgtype": "audio", "content": content}


def picture(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` made a picture (``msgtype: picture``), as DingTalk delivers one."""
    message.pop("text", None)
    content = {"downloadCode": "mIofN681YE3f/pic", "pictureDownloadCode": "mIofN681YE3f/pic2"}
    return {**message, "msgtype": "picture", "content": content}


def replying(
    message: dict[str, Any], quoted: str, *, quoted_id: str = "msgQuoted1"
) -> dict[str, Any]:
    """``message`` made a reply to (a quote of) an earlier text message ``quoted``: DingTalk puts
    ``isReplyMsg`` and ``repliedMsg`` in its ``text``."""
    replied = {
        "createdAt": message["createAt"] - 60_000,
        "senderId": "$:LWCP_v1:$staff2",
        "msgType": "text",
        "msgId": quoted_id,
        "content": {"text": quoted},
    }
    text = {**message["text"], "isReplyMsg": True, "repliedMsg": replied}
    return {**message, "text": text}


def card_callback(out_track_id: str, action_id: str, *, user: str = "staff2") -> dict[str, Any]:
    """A card callback (Stream topic ``/v1.0/card/instances/callback``): ``user`` pressed the
    button ``action_id`` of the card ``out_track_id`` delivered to the group."""
    private = {"cardPrivateData": {"actionIds": [action_id], "params": {}}}
    return {
        "type": "actionCallback",
        "outTrackId": out_track_id,
        "corpId": CORP,
        "userId": user,
        "spaceType": "IM_GROUP",
        "spaceId": GROUP,
        "content": json.dumps(private),
        "extension": "{}",
    }


def callback_headers(timestamp_ms: int, secret: str) -> dict[str, str]:
    """The headers of an HTTP robot callback: ``timestamp`` (ms) and
    ``sign = base64(HmacSHA256(secret, timestamp + "\\n" + secret))``."""
    stamp = str(timestamp_ms)
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": stamp, "sign": base64.b64encode(digest).decode()}
