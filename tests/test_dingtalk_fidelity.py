"""DingTalk messages beyond typed text, with payloads shaped like DingTalk's documented robot
callbacks: a voice message is read as DingTalk's transcript (and says what it heard), a picture
is told what Baton reads in the language its sender writes, and ``任务`` in reply to a message
makes a task of the quoted message. Real dingtalk-stream against the fake DingTalk."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.fakes import dingtalk
from tests.test_dingtalk import Stream, dt_settings, fake, stream  # noqa: F401  (the fixtures)

CARDS = "/v1.0/card/instances/createAndDeliver"


def _tasks(running: Stream) -> list[tuple[str, str]]:
    with running.app.engine.connect() as conn:
        rows = conn.execute(sa.text("select title, source from tasks order by id"))
        return [(str(r[0]), str(r[1])) for r in rows]


async def _push_message(running: Stream, data: dict[str, Any]) -> None:
    ack = await running.push("/v1.0/im/bot/messages/get", data)
    assert ack["code"] == 200


def _said(running: Stream) -> list[str]:
    return [
        call.body.get("text", {}).get("content") or call.body["markdown"]["text"]
        for call in running.fake.made(dingtalk.WEBHOOK)
    ]


async def test_voice_message_creates_the_task_it_heard(stream: Stream) -> None:  # noqa: F811
    heard = "新建任务 联系DHL 补发订单1182"
    await _push_message(stream, dingtalk.voice(stream.message("", group=False), heard))
    assert _tasks(stream)[0][0] == "联系DHL 补发订单1182"
    [said] = _said(stream)
    assert said == f"🎙 听到:“{heard}”"
    [card] = stream.fake.made(CARDS)
    assert "#1 联系DHL 补发订单1182" in card.body["cardData"]["cardParamMap"]["msgTitle"]


async def test_voice_message_without_a_transcript_asks_to_type(stream: Stream) -> None:  # noqa: F811
    await _push_message(stream, dingtalk.voice(stream.message("", group=False), ""))
    [said] = _said(stream)
    assert "can't listen to voice messages" in said
    assert _tasks(stream) == []


async def test_picture_after_chinese_talk_is_answered_in_chinese(stream: Stream) -> None:  # noqa: F811
    await stream.say("任务 列表", group=False)
    await _push_message(stream, dingtalk.picture(stream.message("", group=False)))
    said = _said(stream)
    assert len(said) == 2 and said[1].startswith("我只能读文字")


async def test_task_in_reply_to_a_message_makes_a_task_of_it(stream: Stream) -> None:  # noqa: F811
    quoted = "客户 88 要退款 <@all> @all"
    await _push_message(stream, dingtalk.replying(stream.message(" 任务"), quoted))
    [(title, source)] = _tasks(stream)
    assert title == "客户 88 要退款 <\u2060@all> @all"  # quoted words stay inert: no broadcast
    assert source == "msgQuoted1"
    [card] = stream.fake.made(CARDS)
    assert card.body["imGroupOpenDeliverModel"]["atUserIds"] == {}


async def test_task_add_in_reply_with_an_owner_keeps_the_owner(stream: Stream) -> None:  # noqa: F811
    data = dingtalk.replying(
        stream.message(" task add @Bob due:fri", at=("staff2",)), "Restock SKU-9"
    )
    await _push_message(stream, data)
    [(title, _)] = _tasks(stream)
    assert title == "Restock SKU-9"
    with stream.app.engine.connect() as conn:
        owners = conn.execute(sa.text("select user_id from task_owners")).scalars().all()
    assert owners == ["staff2"]


async def test_task_in_reply_to_a_message_without_words_says_so(stream: Stream) -> None:  # noqa: F811
    await _push_message(stream, dingtalk.replying(stream.message(" task"), ""))
    [said] = _said(stream)
    assert "has no words to make a task of" in said and _tasks(stream) == []


async def test_task_from_a_very_long_quoted_message_keeps_its_start(stream: Stream) -> None:  # noqa: F811
    quoted = "补货 SKU-1 " + "很长的说明" * 2000
    await _push_message(stream, dingtalk.replying(stream.message(" 任务"), quoted))
    [(title, _)] = _tasks(stream)
    assert title.startswith("补货 SKU-1 很长的说明") and len(title) == 150
