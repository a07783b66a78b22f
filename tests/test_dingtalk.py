"""DingTalk adapter against a fake DingTalk on 127.0.0.1, with the real dingtalk-stream SDK.

The SDK reads its OpenAPI endpoint once per process, so one fake serves the whole session.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.dingtalk.adapter import DingTalkAdapter
from adapters.dingtalk.render import decode_button
from bot import mentions
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Ctx
from bot.events import Platform, Target
from bot.feature import Feature
from bot.intake import Intake
from bot.replies import Button, Card, Reply
from bot.routing import Router
from bot.wiring import build_app
from commands import all_features
from tests.fakes.dingtalk import (
    CORP,
    GROUP,
    WEBHOOK,
    FakeDingTalk,
    card_callback,
    robot_message,
    shared_fake,
)
from tests.fakes.intake import connect

_ids = itertools.count(1)

cards = Router("cardtest")


@cards.command("deploy", usage="deploy")
def show_deploy(ctx: Ctx, args: str) -> Reply:
    """Show a deploy card with an approve button.
    zh: 显示部署卡片。
    """
    button = Button("Approve", "deploy.approve", "v2", "primary")
    card = Card("Deploy v2", body="Ready to ship, <@staff2> <@all>", buttons=(button,))
    return Reply("Deploy?", card=card)


@cards.action("deploy.approve")
def approve_deploy(ctx: Ctx, value: str) -> Reply:
    """Approve and update the card in place."""
    assert ctx.inbound.action is not None
    card = Card(f"Deploy {value}", body=f"Approved by {mentions.token(ctx.actor.user_id)}")
    return Reply(f"Approved {value}", card=card, edit_ref=ctx.inbound.action.message_ref)


CARD_FEATURE = Feature(name="cardtest", router=cards, messages={})


@pytest.fixture
def fake() -> FakeDingTalk:
    return shared_fake()


@pytest.fixture
def dt_settings(settings: Settings, fake: FakeDingTalk) -> Settings:
    fake.reset()
    return settings.model_copy(
        update={
            "dingtalk_client_id": "dingrobot",
            "dingtalk_client_secret": SecretStr("s3cret"),
            "dingtalk_api_url": fake.url,
        }
    )


@dataclass
class Stream:
    app: App
    adapter: DingTalkAdapter
    fake: FakeDingTalk
    clock: FrozenClock
    intake: Intake

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def message(self, text: str, **kwargs: Any) -> dict[str, Any]:
        return robot_message(self.fake, self.now_ms(), text, **kwargs)

    async def push(self, topic: str, data: dict[str, Any]) -> dict[str, Any]:
        frame = {
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {"topic": topic, "messageId": f"frame-{next(_ids)}", "time": "1"},
            "data": json.dumps(data),
        }
        ack = await self.fake.push(frame)
        await self.intake.settle()  # acknowledged once stored; wait for the work after the ack
        return ack

    async def say(self, text: str, **kwargs: Any) -> dict[str, Any]:
        data = self.message(text, **kwargs)
        ack = await self.push("/v1.0/im/bot/messages/get", data)
        assert ack["code"] == 200
        return data


@pytest.fixture
async def stream(
    dt_settings: Settings, fake: FakeDingTalk, clock: FrozenClock
) -> AsyncIterator[Stream]:
    app = build_app(dt_settings, clock=clock, features=[*all_features(), CARD_FEATURE])
    adapter = DingTalkAdapter(dt_settings, clock)
    intake = await connect(app, adapter)
    assert adapter.link is not None
    await asyncio.wait_for(adapter.link.connected.wait(), 10)
    yield Stream(app, adapter, fake, clock, intake)
    await adapter.stop()
    await intake.stop()
    app.engine.dispose()


def _webhook_bodies(fake: FakeDingTalk) -> list[dict[str, Any]]:
    return [call.body for call in fake.made(WEBHOOK)]


async def test_help_group_mention_replies_through_session_webhook(stream: Stream) -> None:
    sent = await stream.say(" help")
    [call] = stream.fake.made(WEBHOOK)
    assert call.query["session"] == sent["msgId"]
    assert call.body["msgtype"] == "text"
    assert "Commands" in call.body["text"]["content"]
    assert call.body["at"] == {"atUserIds": [], "isAtAll": False}


async def test_tz_one_to_one_message_uses_team_default_until_set(stream: Stream) -> None:
    await stream.say("tz", group=False, user="staff2")
    await stream.say("时区 Asia/Shanghai", group=False, user="staff2")
    await stream.say("tz", group=False, user="staff2")
    replies = [body["text"]["content"] for body in _webhook_bodies(stream.fake)]
    assert "UTC" in replies[0]
    assert "Asia/Shanghai" in replies[1] and "Asia/Shanghai" in replies[2]


async def test_mentions_become_tokens_and_the_robot_is_dropped(stream: Stream) -> None:
    inbound = await stream.adapter.to_inbound(
        stream.message("help @Bob <@all> @all", at=("staff2",)), stream.clock.now()
    )
    assert inbound.text.startswith("help <@staff2> ")
    assert mentions.mentioned_ids(inbound.text) == ["staff2"]
    assert [(p.user_id, p.display_name) for p in inbound.mentions] == [("staff2", "Bob")]
    assert inbound.is_direct and inbound.source == Target(Platform.DINGTALK, CORP, GROUP)


async def test_organisation_admin_manages_the_group_they_write_in(stream: Stream) -> None:
    inbound = await stream.adapter.to_inbound(
        stream.message("help", admin=True), stream.clock.now()
    )
    assert inbound.actor.platform_admin
    assert not (
        await stream.adapter.to_inbound(stream.message("help"), stream.clock.now())
    ).actor.platform_admin
    await stream.say("任务 列 待办,进行中,完成", admin=True)
    await stream.say("task columns a,b", user="staff2")
    allowed, refused = (body["text"]["content"] for body in _webhook_bodies(stream.fake))
    assert "这里的看板列现在是:待办 → 进行中 → 完成" in allowed
    assert "Only this channel's managers and admins may" in refused


async def test_tz_mention_injection_never_pings_anyone(stream: Stream) -> None:
    await stream.say('tz <@all> @all <at user_id="all">x</at> @staff2', group=False)
    [body] = _webhook_bodies(stream.fake)
    content = body["text"]["content"]
    assert body["at"] == {"atUserIds": [], "isAtAll": False}
    assert "@all" not in content and "@staff2" not in content
    assert "<@all>" not in content


async def test_deploy_card_button_click_updates_the_card(stream: Stream) -> None:
    await stream.say("deploy")
    [create] = stream.fake.made("/v1.0/card/instances/createAndDeliver")
    body = create.body
    assert body["callbackType"] == "STREAM"
    assert body["openSpaceId"] == f"dtv1.card//IM_GROUP.{GROUP}"
    assert body["imGroupOpenDeliverModel"]["atUserIds"] == {"staff2": "Bob"}
    params = body["cardData"]["cardParamMap"]
    assert params["msgTitle"] == "Deploy v2"
    assert params["staticMsgContent"].startswith(
        "Deploy?\n\nReady to ship, @Bob \\<\u2060@\u2060all\\>"
    )
    [button] = json.loads(params["sys_full_json_obj"])["msgButtons"]
    assert button["request"] is True and decode_button(button["id"]) == ("deploy.approve", "v2")

    click = card_callback(body["outTrackId"], button["id"])
    ack = await stream.push("/v1.0/card/instances/callback", click)
    assert ack["code"] == 200
    [update] = stream.fake.made("/v1.0/card/instances")
    assert update.method == "PUT" and update.body["outTrackId"] == body["outTrackId"]
    updated = update.body["cardData"]["cardParamMap"]
    assert "Approved by @Bob" in updated["staticMsgContent"]
    assert json.loads(updated["sys_full_json_obj"])["msgButtons"] == []


async def test_deploy_card_refused_by_the_card_api_is_sent_as_markdown(stream: Stream) -> None:
    stream.fake.answer_next(
        "/v1.0/card/instances/createAndDeliver", 400, {"code": "param.templateNotExist"}
    )
    await stream.say("deploy")
    [body] = _webhook_bodies(stream.fake)
    assert body["msgtype"] == "markdown" and "[Approve]" in body["markdown"]["text"]
    assert body["at"]["atUserIds"] == ["staff2"] and body["at"]["isAtAll"] is False


async def test_task_card_with_links_images_and_emphasis_stays_inert(stream: Stream) -> None:
    title = "[click](http://evil.example) ![x](http://tracker.example/p.png) **now**"
    await stream.say(f"task add {title}")
    [create] = stream.fake.made("/v1.0/card/instances/createAndDeliver")
    shown = create.body["cardData"]["cardParamMap"]["staticMsgContent"]
    assert "\\[click\\]\u2060(http://evil.example)" in shown
    assert "!\\[x\\]\u2060(http://tracker.example/p.png) \\*\\*now\\*\\*" in shown
    assert "](" not in shown
    stream.fake.answer_next(
        "/v1.0/card/instances/createAndDeliver", 400, {"code": "param.templateNotExist"}
    )
    await stream.say("task show 1")
    [body] = _webhook_bodies(stream.fake)
    markdown = body["markdown"]["text"]
    assert body["msgtype"] == "markdown" and "### #1 \\[click\\]\u2060(" in markdown
    assert "](" not in markdown and "**now**" not in markdown


async def test_card_click_with_a_forged_button_is_ignored(stream: Stream) -> None:
    click = {
        "outTrackId": "baton-x",
        "userId": "staff2",
        "content": json.dumps({"cardPrivateData": {"actionIds": ["bt.!!!"], "params": {}}}),
    }
    ack = await stream.push("/v1.0/card/instances/callback", click)
    assert ack["code"] == 200
    assert stream.fake.made(WEBHOOK) == [] and stream.fake.made("/v1.0/card/instances") == []


async def test_expired_session_webhook_falls_back_to_openapi(stream: Stream) -> None:
    await stream.say("help")
    await stream.say("help", group=False, user="staff2")
    stream.clock.advance(timedelta(hours=2))
    for target in (
        Target(Platform.DINGTALK, CORP, GROUP),
        Target(Platform.DINGTALK, CORP, user="staff2"),
    ):
        with stream.app.engine.begin() as conn:
            queued = stream.app.outbox.enqueue(conn, target, Reply("later for <@staff2>"))
        assert queued is not None
        await stream.app.outbox.deliver([queued])
    assert len(stream.fake.made(WEBHOOK)) == 2
    [group] = stream.fake.made("/v1.0/robot/groupMessages/send")
    assert group.body["openConversationId"] == GROUP and group.body["robotCode"] == "dingrobot"
    assert group.body["msgKey"] == "sampleText"
    assert json.loads(group.body["msgParam"])["content"] == "later for @Bob"
    [direct] = stream.fake.made("/v1.0/robot/oToMessages/batchSend")
    assert direct.body["userIds"] == ["staff2"]
    assert stream.app.outbox.counts() == {"sent": 4}


async def test_malformed_message_is_acked_and_dropped(stream: Stream) -> None:
    data = stream.message("help")
    del data["text"]
    ack = await stream.push("/v1.0/im/bot/messages/get", data)
    assert ack["code"] == 200
    assert stream.fake.made(WEBHOOK) == []


async def test_oversized_message_gets_a_polite_refusal(stream: Stream) -> None:
    await stream.say("task add " + "x" * 50_000)
    [body] = _webhook_bodies(stream.fake)
    assert "too long" in body["text"]["content"]


async def test_help_redelivered_message_is_handled_once(stream: Stream) -> None:
    data = stream.message("help")
    for _ in range(2):
        ack = await stream.push("/v1.0/im/bot/messages/get", data)
        assert ack["code"] == 200
    assert len(stream.fake.made(WEBHOOK)) == 1


async def test_webhook_rate_limit_backs_off_through_the_outbox(stream: Stream) -> None:
    stream.fake.answer_next(WEBHOOK, 200, {"errcode": 130101, "errmsg": "send too fast"})
    await stream.say("help")
    assert stream.app.outbox.counts() == {"pending": 1}
    stream.clock.advance(timedelta(seconds=30))
    assert await stream.app.outbox.drain() == 0
    stream.clock.advance(timedelta(seconds=31))
    assert await stream.app.outbox.drain() == 1


async def test_openapi_qps_limit_is_retried_later(stream: Stream) -> None:
    stream.fake.answer_next(
        "/v1.0/robot/groupMessages/send",
        403,
        {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "qps"},
    )
    target = Target(Platform.DINGTALK, CORP, GROUP)
    with stream.app.engine.begin() as conn:
        queued = stream.app.outbox.enqueue(conn, target, Reply("hello"))
    assert queued is not None
    await stream.app.outbox.deliver([queued])
    assert stream.app.outbox.counts() == {"pending": 1}
    stream.clock.advance(timedelta(seconds=3))
    assert await stream.app.outbox.drain() == 1


async def test_webhook_over_twenty_a_minute_uses_openapi(stream: Stream) -> None:
    await stream.say("help")
    target = Target(Platform.DINGTALK, CORP, GROUP)
    for n in range(20):
        await stream.adapter.send(target, Reply(f"n{n}"))
    assert len(stream.fake.made(WEBHOOK)) == 20
    assert len(stream.fake.made("/v1.0/robot/groupMessages/send")) == 1


async def test_reply_in_a_thread_quotes_its_parent(stream: Stream) -> None:
    parent = await stream.say("deploy status please")
    thread = Target(Platform.DINGTALK, CORP, GROUP, thread=parent["msgId"])
    await stream.adapter.send(thread, Reply("all green"))
    content = _webhook_bodies(stream.fake)[-1]["text"]["content"]
    assert content == "「deploy status please」\nall green"


async def test_stop_really_stops_the_stream_client(
    dt_settings: Settings, fake: FakeDingTalk, clock: FrozenClock
) -> None:
    app = build_app(dt_settings, clock=clock)
    adapter = DingTalkAdapter(dt_settings, clock)
    await adapter.start(Intake(app))
    assert adapter.link is not None
    await asyncio.wait_for(adapter.link.connected.wait(), 10)
    opened = fake.opened
    await adapter.stop()
    await fake.wait_closed()
    assert not adapter.link.running and not fake.connected
    await asyncio.sleep(0)  # one more turn of the loop: nothing reconnects
    assert fake.opened == opened
    # The handshake's worker thread ends on its own; nothing of the client keeps running.
    await _eventually(lambda: not [t for t in threading.enumerate() if t.name.startswith("ding")])
    app.engine.dispose()


def test_adapter_is_configured_only_with_credentials(
    dt_settings: Settings, settings: Settings, clock: FrozenClock
) -> None:
    from bot.wiring import configured_adapters

    with_creds = build_app(dt_settings, clock=clock)
    without = build_app(settings, clock=clock)
    try:
        assert [a.platform for a in configured_adapters(with_creds.settings, clock)] == [
            Platform.DINGTALK
        ]
        assert configured_adapters(without.settings, clock) == []
    finally:
        with_creds.engine.dispose()
        without.engine.dispose()


async def _eventually(condition: Callable[[], bool]) -> None:
    """Wait for something another thread does (the fake runs on its own loop)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


async def test_gateway_refusal_is_retried_and_stop_still_stops(
    dt_settings: Settings, fake: FakeDingTalk, clock: FrozenClock
) -> None:
    open_path = "/v1.0/gateway/connections/open"
    fake.answer_next(open_path, 401, {"code": "InvalidAuthentication"})
    app = build_app(dt_settings, clock=clock)
    adapter = DingTalkAdapter(dt_settings, clock)
    await adapter.start(Intake(app))
    assert adapter.link is not None
    await _eventually(lambda: len(fake.made(open_path)) == 1)
    assert not adapter.link.connected.is_set() and adapter.link.running
    await adapter.stop()  # during the backoff pause: returns at once
    assert not adapter.link.running
    assert len(fake.made(open_path)) == 1
    app.engine.dispose()


async def test_gateway_ping_is_acked_and_disconnect_reconnects(stream: Stream) -> None:
    ping = {
        "specVersion": "1.0",
        "type": "SYSTEM",
        "headers": {"topic": "ping", "messageId": "ping-1"},
        "data": json.dumps({"opaque": "abc"}),
    }
    ack = await stream.fake.push(ping)
    assert ack["code"] == 200 and json.loads(ack["data"]) == {"opaque": "abc"}
    link = stream.adapter.link
    assert link is not None and link.connections == 1
    stream.fake.push_only(
        {"specVersion": "1.0", "type": "SYSTEM", "headers": {"topic": "disconnect"}, "data": ""}
    )
    await _eventually(lambda: link.connections == 2 and link.connected.is_set())
    await stream.say("help")
    assert len(stream.fake.made(WEBHOOK)) == 1
