"""Feishu beyond typed text, with payloads shaped like Feishu's documented events: ``任务`` in reply
to a message makes a task of the quoted message with a link back to it, a voice message or a
picture gets a short answer in the language its sender writes, a click in the legacy card callback
format is handled, and an event type Baton does not subscribe to gets a 200 and one DEBUG line.
Real lark-oapi against the fake Open API, over HTTP (encrypted and signed)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from adapters.feishu.adapter import FeishuAdapter
from bot.app import App
from tests.fakes import feishu
from tests.test_feishu import fake, http, ws_app  # noqa: F401  (the fixtures)

Client = TestClient[Any, Any]


async def _post(client: Client, event: dict[str, Any]) -> int:
    body = feishu.encrypted(event)
    resp = await client.post("/feishu/events", data=body, headers=feishu.signed_headers(body))
    return resp.status


def _tasks(app: App) -> list[tuple[str, str]]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text("select title, source from tasks order by id"))
        return [(str(r[0]), str(r[1])) for r in rows]


async def test_task_in_reply_to_a_message_makes_a_task_with_a_link_back(
    http: tuple[App, Client],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
) -> None:
    app, client = http
    carol = {"key": "@_user_1", "id": "ou_carol", "id_type": "open_id", "name": "Carol"}
    fake.messages["om_q1"] = feishu.stored_message(
        "om_q1", '@_user_1 客户 88 要退款 <at user_id="all"></at>', mentions=[carol]
    )
    assert await _post(client, feishu.message_event("@_user_1 任务", parent_id="om_q1")) == 200
    (call,) = await fake.wait_sent(1)
    [(title, source)] = _tasks(app)
    link = "https://applink.feishu.cn/client/message/link/open?token=om_q1"
    assert title == f'@Carol 客户 88 要退款 <at user_id="all"></at> {link}'
    assert source == "om_q1"
    assert "已创建 #1:@Carol 客户 88 要退款" in json.dumps(call.content, ensure_ascii=False)
    # Plain-text fields show the words as typed; markdown, where <at> would mention, has it inert.
    markdown = [element["content"] for element in feishu.tagged(call.content, "markdown")]
    assert markdown and all("<at " not in text for text in markdown)


async def test_task_from_a_long_quoted_message_keeps_its_link_within_the_title_limit(
    http: tuple[App, Client],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
) -> None:
    app, client = http
    fake.messages["om_long"] = feishu.stored_message("om_long", "退款申请 " + "详细说明" * 500)
    assert await _post(client, feishu.message_event("@_user_1 任务", parent_id="om_long")) == 200
    await fake.wait_sent(1)
    [(title, _)] = _tasks(app)
    link = "https://applink.feishu.cn/client/message/link/open?token=om_long"
    assert title.startswith("退款申请 详细说明") and title.endswith(f" {link}")
    assert len(title) <= 200


async def test_task_in_reply_to_a_message_feishu_will_not_show_says_so(
    http: tuple[App, Client],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
) -> None:
    app, client = http
    assert await _post(client, feishu.message_event("@_user_1 task", parent_id="om_gone")) == 200
    (call,) = await fake.wait_sent(1)
    assert _tasks(app) == []  # no quote to make a task of: the open tasks are listed instead
    assert "task" in json.dumps(call.content).lower()


async def test_voice_and_picture_are_answered_in_the_language_their_sender_writes(
    http: tuple[App, Client],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
) -> None:
    _, client = http
    chinese = feishu.message_event("任务 列表", chat_type="p2p", mentions=[], event_id="e1")
    assert await _post(client, chinese) == 200
    await fake.wait_sent(1)
    audio = {"file_key": "file_v3_00a1", "duration": 3000}
    voice = feishu.message_event(
        "", chat_type="p2p", mentions=[], kind="audio", content=audio, event_id="e2"
    )
    assert await _post(client, voice) == 200
    image = {"image_key": "img_v3_00b2"}
    picture = feishu.message_event(
        "", chat_type="p2p", mentions=[], kind="image", content=image, event_id="e3"
    )
    assert await _post(client, picture) == 200
    _, heard, seen = await fake.wait_sent(3)
    assert heard.content["text"].startswith("我在这里听不了语音消息")
    assert seen.content["text"].startswith("我只能读文字")


async def test_legacy_card_callback_is_handled_and_answered_200(
    http: tuple[App, Client],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
) -> None:
    app, client = http
    await _post(client, feishu.message_event("@_user_1 task add Call DHL"))
    (card,) = await fake.wait_sent(1)
    start = next(
        button["behaviors"][0]["value"]
        for button in feishu.tagged(card.content, "button")
        if button["behaviors"][0]["value"]["a"] == "task.start"
    )
    body = json.dumps(feishu.legacy_card_action("om_sent_1", start)).encode()
    forged = feishu.legacy_signed_headers(body, token="guess")
    assert (await client.post("/feishu/events", data=body, headers=forged)).status == 401
    headers = feishu.legacy_signed_headers(body)
    resp = await client.post("/feishu/events", data=body, headers=headers)
    assert resp.status == 200 and await resp.json() == {}
    resp = await client.post("/feishu/events", data=body, headers=headers)  # Feishu's retry
    assert resp.status == 200
    _, patch = await fake.wait_sent(2)
    assert patch.method == "PATCH" and patch.path.endswith("/om_sent_1")
    assert "#1 moved to doing" in json.dumps(patch.content)
    with app.engine.connect() as conn:
        assert conn.execute(sa.text('select "column" from tasks')).scalar() == "doing"


async def test_unsubscribed_event_gets_200_and_one_debug_line(
    http: tuple[App, Client],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, client = http
    caplog.set_level(logging.DEBUG, logger="adapters.feishu")
    event = feishu.message_event("hi", chat_type="p2p", mentions=[])
    event["header"]["event_type"] = "im.message.reaction.created_v1"
    assert await _post(client, event) == 200
    [line] = [r for r in caplog.records if r.name.startswith(("adapters", "Lark"))]
    assert line.levelno == logging.DEBUG and "im.message.reaction.created_v1" in line.message
    assert not any(r.exc_info for r in caplog.records) and fake.sent() == []


async def test_unsubscribed_event_over_the_long_connection_gets_200_and_a_debug_line(
    ws_app: tuple[App, FeishuAdapter],  # noqa: F811
    fake: feishu.FakeFeishu,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters.feishu")
    event = feishu.message_event("hi", chat_type="p2p", mentions=[])
    event["header"]["event_type"] = "im.chat.member.user.added_v1"
    answer = await asyncio.to_thread(fake.push, event)
    assert answer["code"] == 200
    assert any(
        r.levelno == logging.DEBUG and "im.chat.member.user.added_v1" in r.message
        for r in caplog.records
    )
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)
    assert fake.sent() == []
