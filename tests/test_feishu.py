"""The Feishu/Lark adapter end to end with the real lark-oapi, offline, against a fake Open API.

Long-connection tests push real protobuf frames over a local websocket to the SDK's ``ws.Client``;
HTTP tests post (encrypted and signed, or forged) events to ``/feishu/events``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from adapters.feishu import adapter as feishu_module
from adapters.feishu.adapter import FeishuAdapter, _CardWait
from adapters.feishu.inbound import Profile, message_inbound
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Ctx
from bot.events import Platform
from bot.feature import Feature
from bot.intake import Intake
from bot.replies import Button, Card, Reply
from bot.routing import Router
from bot.sink import RawEvent
from bot.wiring import build_app
from commands import all_features
from storage.models import OutboxMessage
from tests.conftest import START
from tests.fakes.feishu import (
    ENCRYPT_KEY,
    TOKEN,
    FakeFeishu,
    card_action,
    decode_answer,
    encrypted,
    message_event,
    signed_headers,
)
from tests.fakes.intake import connect

board = Router("fstest")


@board.command("fsboard")
def show_board(ctx: Ctx, args: str) -> Reply:
    """Show a test board card."""
    buttons = (Button("Close", "fstest.close", "42", "danger"),)
    return Reply("Board", card=Card("Board", body="status: open", buttons=buttons))


@board.action("fstest.close")
def close_board(ctx: Ctx, value: str) -> Reply:
    """Close it, updating the card in place."""
    assert ctx.inbound.action is not None
    card = Card("Board", body=f"#{value} closed by <@{ctx.actor.user_id}>")
    return Reply(f"Closed #{value}", card=card, edit_ref=ctx.inbound.action.message_ref)


BOARD = Feature(name="fstest", router=board, messages={})


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    server = FakeFeishu(users={"ou_alice": {"name": "Alice", "time_zone": "Asia/Shanghai"}})
    yield server.start()
    server.stop()


def feishu_settings(settings: Settings, fake: FakeFeishu, mode: str) -> Settings:
    return settings.model_copy(
        update={
            "feishu_app_id": "cli_test",
            "feishu_app_secret": SecretStr("secret"),
            "feishu_domain": fake.url,
            "feishu_event_mode": mode,
            "feishu_verification_token": SecretStr(TOKEN),
            "feishu_encrypt_key": SecretStr(ENCRYPT_KEY),
        }
    )


class Running:
    """A Feishu adapter connected to an app through a running intake, stopped together."""

    def __init__(self, adapter: FeishuAdapter, intake: Intake) -> None:
        self.adapter, self.intake = adapter, intake

    async def stop(self) -> None:
        await self.adapter.stop()
        await self.intake.stop()


async def running(app: App) -> Running:
    adapter = FeishuAdapter(app.settings, app.clock)
    return Running(adapter, await connect(app, adapter))


@pytest.fixture
async def ws_app(
    settings: Settings, clock: FrozenClock, fake: FakeFeishu
) -> AsyncIterator[tuple[App, FeishuAdapter]]:
    app = build_app(
        feishu_settings(settings, fake, "ws"), clock=clock, features=[*all_features(), BOARD]
    )
    run = await running(app)
    assert await asyncio.to_thread(fake.connected.wait, 10)
    yield app, run.adapter
    await run.stop()
    app.engine.dispose()


@pytest.fixture
async def http(
    settings: Settings, clock: FrozenClock, fake: FakeFeishu
) -> AsyncIterator[tuple[App, TestClient[Any, Any]]]:
    app = build_app(feishu_settings(settings, fake, "http"), clock=clock)
    run = await running(app)
    application = web.Application()
    application.add_routes(run.adapter.http_routes())
    client: TestClient[Any, Any] = TestClient(TestServer(application))
    await client.start_server()
    yield app, client
    await client.close()
    await run.stop()
    app.engine.dispose()


async def handle_translated(app: App, event: dict[str, Any], clock: FrozenClock) -> None:
    """Translate ``event`` with the adapter's own code and hand it to Baton, past the transport."""
    inbound = message_inbound(
        event, bot_open_id="ou_bot", profile=Profile(), received_at=clock.now()
    )
    assert inbound is not None
    await app.handle(inbound)


def outbox_rows(app: App) -> list[tuple[str, str | None, str]]:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    app.outbox.flush_marks()
    with app.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.status, table.c.message_ref, table.c.target).order_by(table.c.id)
        ).all()
    return [(str(s), r, str(t)) for s, r, t in rows]


async def test_help_mention_in_group_over_long_connection_answers_in_chat(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    answer = await asyncio.to_thread(fake.push, message_event("@_user_1 help"))
    assert answer["code"] == 200
    (call,) = await fake.wait_sent(1)
    assert call.query == {"receive_id_type": "chat_id"}
    assert call.body["receive_id"] == "oc_ops" and call.body["msg_type"] == "text"
    assert call.body["uuid"].startswith("baton-1-")
    assert call.authorization == "Bearer t-fake"
    assert "Commands" in call.content["text"]
    await ws_app[1].settle()
    # Help is meant for Alice alone; Feishu has no such message for text, so the chat sees it.
    assert outbox_rows(ws_app[0]) == [("sent", "om_sent_1", "feishu:tk1/oc_ops?ou_alice")]


async def test_tenant_manager_manages_the_chat_they_write_in(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu, clock: FrozenClock
) -> None:
    fake.users["ou_alice"]["is_tenant_manager"] = True
    await asyncio.to_thread(fake.push, message_event("@_user_1 task columns todo,doing,done"))
    (call,) = await fake.wait_sent(1)
    assert "Columns here are now: todo → doing → done" in call.content["text"]
    member = message_inbound(
        message_event("@_user_1 help"),
        bot_open_id="ou_bot",
        profile=Profile(),
        received_at=clock.now(),
    )
    assert member is not None and not member.actor.platform_admin


async def test_group_message_without_mention_is_not_answered(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    await asyncio.to_thread(fake.push, message_event("help", mentions=[]))
    await asyncio.to_thread(fake.push, message_event("@_user_1 help", event_id="ev2"))
    await ws_app[1].settle()
    assert len(fake.sent()) == 1 and len(outbox_rows(ws_app[0])) == 1


async def test_card_button_click_updates_card_in_callback_answer(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    app, _ = ws_app
    await asyncio.to_thread(fake.push, message_event("@_user_1 fsboard"))
    (call,) = await fake.wait_sent(1)
    assert call.body["msg_type"] == "interactive"
    card = call.content
    assert card["schema"] == "2.0" and card["header"]["title"]["content"] == "Board"
    button = card["body"]["elements"][-1]["columns"][0]["elements"][0]
    value = button["behaviors"][0]["value"]
    assert value == {"a": "fstest.close", "v": "42"} and button["type"] == "danger"

    answer = await asyncio.to_thread(fake.push, card_action("om_sent_1", value))
    result = decode_answer(answer)
    assert result["toast"] == {"type": "success", "content": "Closed #42"}
    updated = result["card"]["data"]
    assert updated["body"]["elements"][1]["content"] == "&#35;42 closed by <at id=ou_alice></at>"
    await ws_app[1].settle()
    assert len(fake.sent()) == 1  # the card came back inline: no patch call
    assert outbox_rows(app)[-1][:2] == ("sent", "om_sent_1")


async def test_late_card_answer_is_patched_by_the_outbox(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    _, adapter = ws_app
    wait = _CardWait()
    assert wait.give_up()  # the callback already answered "working…"
    event = card_action("om_card", {"a": "fstest.close", "v": "7"}, event_id="evlate")
    ticket = adapter._core.hold(RawEvent(Platform.FEISHU, "evlate", "card", "oc_1", event))
    assert ticket is not None
    assert await adapter._answer_card(event, wait, ticket) == {}
    (call,) = await fake.wait_sent(1)
    assert call.method == "PATCH" and call.path.endswith("/om_card")
    assert "closed by" in json.dumps(call.content)


def test_card_callback_past_deadline_answers_working_toast(monkeypatch) -> None:
    import concurrent.futures

    monkeypatch.setattr(feishu_module, "CARD_DEADLINE", 0.0)
    never: concurrent.futures.Future[Any] = concurrent.futures.Future()
    answer = feishu_module._answer_within(never, _CardWait())
    assert answer["toast"]["content"] == "Working…"
    assert answer["toast"]["i18n"]["zh_cn"] == "处理中…"


async def test_redelivered_event_is_handled_once(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    await asyncio.to_thread(fake.push, message_event("@_user_1 help", event_id="same"))
    await asyncio.to_thread(fake.push, message_event("@_user_1 help", event_id="same"))
    await asyncio.to_thread(fake.push, message_event("@_user_1 tz", event_id="other"))
    await ws_app[1].settle()
    calls = fake.sent()
    assert "Commands" in calls[0].content["text"] and "Asia/Shanghai" in calls[1].content["text"]
    assert len(outbox_rows(ws_app[0])) == 2
    assert fake.user_lookups == 1  # the profile (name, time zone) is cached


async def test_thread_message_is_answered_in_thread(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    await asyncio.to_thread(fake.push, message_event("@_user_1 tz", thread=True))
    (call,) = await fake.wait_sent(1)
    assert call.path == "/open-apis/im/v1/messages/om_root/reply"
    assert call.body["reply_in_thread"] is True and call.body["uuid"].startswith("baton-")


async def test_mention_injection_is_escaped_in_text_and_card(
    ws_app: tuple[App, FeishuAdapter], fake: FakeFeishu
) -> None:
    hostile = '@_user_1 tz <at user_id="all"></at>@_all <@ou_eve>'
    await asyncio.to_thread(fake.push, message_event(hostile))
    (call,) = await fake.wait_sent(1)
    text = call.content["text"]
    assert "<at" not in text and "<@" not in text
    assert "<\u2060at" in text and "@all" in text


async def test_p2p_message_over_http_encrypted_and_signed(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu
) -> None:
    app, client = http
    body = encrypted(message_event("tz Asia/Tokyo", chat_type="p2p", mentions=[]))
    resp = await client.post("/feishu/events", data=body, headers=signed_headers(body))
    assert resp.status == 200
    (call,) = await fake.wait_sent(1)
    assert call.query == {"receive_id_type": "open_id"} and call.body["receive_id"] == "ou_alice"
    assert "Asia/Tokyo" in call.content["text"]
    assert outbox_rows(app)[0][2] == "feishu:tk1/@ou_alice"


async def test_http_forged_signature_token_or_garbage_is_refused(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu, caplog: pytest.LogCaptureFixture
) -> None:
    app, client = http
    body = encrypted(message_event("tz", chat_type="p2p", mentions=[]))
    forged = signed_headers(body, key="guess")
    assert (await client.post("/feishu/events", data=body, headers=forged)).status == 401
    wrong_key = encrypted(message_event("tz", chat_type="p2p", mentions=[]), key="guess")
    headers = signed_headers(wrong_key)
    assert (await client.post("/feishu/events", data=wrong_key, headers=headers)).status == 400
    event = message_event("tz", chat_type="p2p", mentions=[], token="forged")
    plain = json.dumps(event).encode()
    headers = signed_headers(plain)
    assert (await client.post("/feishu/events", data=plain, headers=headers)).status == 401
    garbage = b'{"encrypt": "not base64 at all"'
    resp = await client.post("/feishu/events", data=garbage)
    assert resp.status == 400 and len(await resp.read()) < 100
    unsigned = encrypted(message_event("tz", chat_type="p2p", mentions=[]))
    assert (await client.post("/feishu/events", data=unsigned)).status == 401
    assert fake.sent() == [] and outbox_rows(app) == []
    refusals = [r for r in caplog.records if r.name.startswith(("adapters", "Lark"))]
    assert len(refusals) == 5 and all(r.levelname == "WARNING" for r in refusals)
    assert not any(r.exc_info for r in caplog.records)


async def test_http_stale_signed_request_is_refused_and_a_replay_runs_once(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu
) -> None:
    app, client = http
    body = encrypted(message_event("tz", chat_type="p2p", mentions=[], event_id="replayed"))
    old = signed_headers(body, at=START - timedelta(minutes=6))
    assert (await client.post("/feishu/events", data=body, headers=old)).status == 401
    fresh = signed_headers(body)
    assert (await client.post("/feishu/events", data=body, headers=fresh)).status == 200
    assert (await client.post("/feishu/events", data=body, headers=fresh)).status == 200
    (call,) = await fake.wait_sent(1)
    await asyncio.sleep(0.05)
    assert len(fake.sent()) == 1 and len(outbox_rows(app)) == 1


async def test_http_event_types_baton_does_not_subscribe_to_get_a_bare_200(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu
) -> None:
    app, client = http
    event = message_event("tz", chat_type="p2p", mentions=[])
    event["header"]["event_type"] = "im.chat.member.bot.added_v1"
    body = encrypted(event)
    resp = await client.post("/feishu/events", data=body, headers=signed_headers(body))
    assert resp.status == 200
    assert fake.sent() == [] and outbox_rows(app) == []


async def test_http_url_verification_checks_token(
    http: tuple[App, TestClient[Any, Any]],
) -> None:
    _, client = http
    challenge = {"type": "url_verification", "challenge": "abc", "token": TOKEN}
    resp = await client.post("/feishu/events", data=encrypted(challenge))
    assert resp.status == 200 and await resp.json() == {"challenge": "abc"}
    challenge["token"] = "forged"
    resp = await client.post("/feishu/events", data=encrypted(challenge))
    assert resp.status == 401


async def test_rate_limited_send_retries_after_reset_with_same_uuid(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu, clock: FrozenClock
) -> None:
    app, _ = http
    fake.fail_next(429, 99991400, reset="7")
    await handle_translated(app, message_event("tz", chat_type="p2p"), clock)
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    app.outbox.flush_marks()
    with app.engine.connect() as conn:
        status, next_at, error = conn.execute(
            sa.select(table.c.status, table.c.next_attempt_at, table.c.last_error)
        ).one()
    assert status == "pending" and "99991400" in error
    assert next_at.replace(tzinfo=clock.now().tzinfo) == clock.now() + timedelta(seconds=7)
    clock.advance(timedelta(seconds=8))
    assert await app.outbox.drain() == 1
    (call,) = fake.sent()
    assert call.body["uuid"].startswith("baton-1-")


async def test_contact_scope_missing_still_answers(
    settings: Settings, clock: FrozenClock, fake: FakeFeishu
) -> None:
    fake.contact_denied = True
    app = build_app(feishu_settings(settings, fake, "ws"), clock=clock)
    run = await running(app)
    try:
        assert await asyncio.to_thread(fake.connected.wait, 10)
        post = {
            "title": "",
            "content": [
                [{"tag": "at", "user_id": "@_user_1", "user_name": "Baton"}],
                [{"tag": "text", "text": "tz"}],
            ],
        }
        event = message_event("", kind="post", content=post)
        await asyncio.to_thread(fake.push, event)
        (call,) = await fake.wait_sent(1)
        assert "UTC" in call.content["text"]  # no profile zone: the team default
    finally:
        await run.stop()
        app.engine.dispose()


async def test_group_limit_retries_soon_and_bad_request_is_parked(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu, clock: FrozenClock
) -> None:
    app, _ = http
    fake.fail_next(400, 230020)  # this group's 5 msg/s limit, no reset header
    fake.fail_next(400, 230002)  # the bot is not in the chat: retrying cannot help
    # Two chats: a rate-limited chat holds back its own later messages, not other chats'.
    for event_id, chat in (("g1", "oc_ops"), ("g2", "oc_other")):
        event = message_event("@_user_1 tz", event_id=event_id, chat_id=chat)
        await handle_translated(app, event, clock)
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    app.outbox.flush_marks()
    with app.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.status, table.c.next_attempt_at).order_by(table.c.id)
        ).all()
    (limited, limited_at), (parked, _) = rows
    assert limited == "pending" and parked == "parked"
    assert limited_at.replace(tzinfo=clock.now().tzinfo) == clock.now() + timedelta(seconds=1)


async def test_card_click_over_http_with_unknown_action_answers_in_chat(
    http: tuple[App, TestClient[Any, Any]], fake: FakeFeishu
) -> None:
    _, client = http
    body = json.dumps(card_action("om_old", {"a": "gone.action", "v": "1"})).encode()
    resp = await client.post("/feishu/events", data=body, headers=signed_headers(body))
    assert resp.status == 200 and await resp.json() == {}
    (call,) = await fake.wait_sent(1)
    assert "no longer works" in call.content["text"]


async def test_http_without_encrypt_key_checks_the_token(
    settings: Settings, clock: FrozenClock, fake: FakeFeishu
) -> None:
    plain_settings = feishu_settings(settings, fake, "http").model_copy(
        update={"feishu_encrypt_key": SecretStr(""), "feishu_allow_unsigned": True}
    )
    app = build_app(plain_settings, clock=clock)
    run = await running(app)
    application = web.Application()
    application.add_routes(run.adapter.http_routes())
    client: TestClient[Any, Any] = TestClient(TestServer(application))
    await client.start_server()
    try:
        forged = message_event("tz", chat_type="p2p", mentions=[], event_id="f1", token="forged")
        assert (await client.post("/feishu/events", json=forged)).status == 401
        good = message_event("tz", chat_type="p2p", mentions=[], event_id="g1")
        assert (await client.post("/feishu/events", json=good)).status == 200
        (call,) = await fake.wait_sent(1)
        assert "Asia/Shanghai" in call.content["text"]
    finally:
        await client.close()
        await run.stop()
        app.engine.dispose()


def test_http_mode_without_an_encrypt_key_needs_an_explicit_opt_out(
    settings: Settings, fake: FakeFeishu, caplog: pytest.LogCaptureFixture
) -> None:
    unsigned = feishu_settings(settings, fake, "http").model_copy(
        update={"feishu_encrypt_key": SecretStr("")}
    )
    with pytest.raises(ValueError, match="FEISHU_ENCRYPT_KEY"):
        FeishuAdapter(unsigned, FrozenClock(START))
    FeishuAdapter(unsigned.model_copy(update={"feishu_allow_unsigned": True}), FrozenClock(START))
    [warning] = [r for r in caplog.records if "not signed" in r.getMessage()]
    assert warning.levelname == "WARNING"
