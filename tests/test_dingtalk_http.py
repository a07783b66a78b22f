"""DingTalk in HTTP mode: robot callbacks at POST /dingtalk/events, signed with the app secret."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from adapters.dingtalk.adapter import DingTalkAdapter
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.events import Platform, Target
from bot.http_server import start_http
from bot.intake import Intake
from bot.replies import Button, Card, Reply
from bot.wiring import build_app
from tests.fakes.dingtalk import (
    GROUP,
    WEBHOOK,
    FakeDingTalk,
    callback_headers,
    robot_message,
    shared_fake,
)
from tests.fakes.intake import connect

SECRET = "s3cret"


@dataclass
class Http:
    app: App
    adapter: DingTalkAdapter
    fake: FakeDingTalk
    clock: FrozenClock
    session: aiohttp.ClientSession
    url: str
    intake: Intake

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    async def post(
        self, body: bytes, *, timestamp: int | None = None, secret: str = SECRET
    ) -> int:
        headers = callback_headers(self.now_ms() if timestamp is None else timestamp, secret)
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            status = resp.status
        await self.intake.settle()  # answered once stored; wait for the work after the answer
        return status

    def message(self, text: str) -> bytes:
        return json.dumps(robot_message(self.fake, self.now_ms(), text)).encode()


@pytest.fixture
async def http(settings: Settings, clock: FrozenClock) -> AsyncIterator[Http]:
    fake = shared_fake()
    fake.reset()
    configured = settings.model_copy(
        update={
            "dingtalk_client_id": "dingrobot",
            "dingtalk_client_secret": SecretStr(SECRET),
            "dingtalk_api_url": fake.url,
            "dingtalk_event_mode": "http",
        }
    )
    app = build_app(configured, clock=clock)
    adapter = DingTalkAdapter(configured, clock)
    intake = await connect(app, adapter)
    runner = await start_http(adapter.http_routes(), host="127.0.0.1", port=0)
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield Http(
            app, adapter, fake, clock, session, f"http://127.0.0.1:{port}/dingtalk/events", intake
        )
    await runner.cleanup()
    await adapter.stop()
    await intake.stop()
    app.engine.dispose()


async def test_help_signed_callback_is_answered_through_the_session_webhook(http: Http) -> None:
    assert await http.post(http.message("help")) == 200
    [call] = http.fake.made(WEBHOOK)
    assert "Commands" in call.body["text"]["content"]
    assert http.adapter.link is None  # HTTP mode opens no Stream connection
    assert http.fake.made("/v1.0/gateway/connections/open") == []


async def test_help_forged_signature_is_refused(http: Http) -> None:
    assert await http.post(http.message("help"), secret="guessed") == 403
    async with http.session.post(http.url, data=http.message("help")) as resp:
        assert resp.status == 403  # no headers at all
    assert http.fake.made(WEBHOOK) == []


async def test_help_stale_or_future_signature_is_refused(http: Http) -> None:
    hour_and_a_bit = int(timedelta(hours=1, minutes=1).total_seconds() * 1000)
    assert await http.post(http.message("help"), timestamp=http.now_ms() - hour_and_a_bit) == 403
    assert await http.post(http.message("help"), timestamp=http.now_ms() + hour_and_a_bit) == 403
    assert http.fake.made(WEBHOOK) == []
    near = int(timedelta(minutes=50).total_seconds() * 1000)
    assert await http.post(http.message("help"), timestamp=http.now_ms() - near) == 200


async def test_help_malformed_body_is_rejected_without_a_reply(http: Http) -> None:
    assert await http.post(b"{not json") == 400
    assert await http.post(b'["a list"]') == 400
    assert await http.post(b'{"msgId": "m1", "msgtype": "text"}') == 400
    assert await http.post(b'{"msgtype": "text", "text": {"content": "help"}}') == 400
    assert http.fake.made(WEBHOOK) == []


async def test_a_body_naming_its_own_session_webhook_cannot_send_baton_elsewhere(
    http: Http,
) -> None:
    """DingTalk signs only the timestamp: a captured header pair lets anyone post a body for an
    hour. A session webhook off DingTalk's host is ignored, so replies (and later DMs) go through
    the OpenAPI, never to the URL the body names."""
    data = robot_message(http.fake, http.now_ms(), "help")
    data["sessionWebhook"] = "https://attacker.example/collect?session=1"
    data["sessionWebhookExpiredTime"] = http.now_ms() + 10 * 365 * 24 * 3600 * 1000
    assert await http.post(json.dumps(data).encode()) == 200
    assert http.fake.made(WEBHOOK) == []
    [sent] = http.fake.made("/v1.0/robot/groupMessages/send")
    assert "Commands" in sent.body["msgParam"]


async def test_a_session_webhook_is_not_trusted_past_dingtalks_own_ninety_minutes(
    http: Http,
) -> None:
    data = robot_message(http.fake, http.now_ms(), "help")
    data["sessionWebhookExpiredTime"] = http.now_ms() + 24 * 3600 * 1000  # a day, says the body
    assert await http.post(json.dumps(data).encode()) == 200
    assert len(http.fake.made(WEBHOOK)) == 1
    http.clock.advance(timedelta(minutes=95))
    target = Target(Platform.DINGTALK, "dingcorp1", GROUP)
    await http.adapter.send(target, Reply("later"))
    assert len(http.fake.made(WEBHOOK)) == 1  # the OpenAPI, not the expired webhook
    assert len(http.fake.made("/v1.0/robot/groupMessages/send")) == 1


async def test_oversized_and_wrong_type_bodies_are_refused(http: Http) -> None:
    assert await http.post(b"[" + b"1," * (600 * 1024) + b"1]") == 413
    assert await http.post(b'"a string"') == 400
    assert await http.post(b"null") == 400
    assert http.fake.made(WEBHOOK) == []


async def test_card_with_buttons_degrades_to_markdown_in_http_mode(http: Http) -> None:
    card = Card("Deploy v2", body="Ready", buttons=(Button("Approve", "deploy.approve", "v2"),))
    target = Target(Platform.DINGTALK, "dingcorp1", GROUP)
    ref = await http.adapter.send(target, Reply("Deploy?", card=card))
    assert ref
    [call] = http.fake.made("/v1.0/robot/groupMessages/send")
    assert call.body["msgKey"] == "sampleMarkdown"
    param = json.loads(call.body["msgParam"])
    assert param["title"] == "Deploy v2" and "### Deploy v2" in param["text"]
    assert "[Approve]" in param["text"]
