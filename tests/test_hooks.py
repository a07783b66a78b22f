"""Inbound webhooks: a shop's signed POST becomes a task on the channel's board; the same key
updates it; anything unsigned, forged, stale, malformed, unknown or too fast is refused and
changes nothing; the webhooks are set up, listed, rotated and removed from chat."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest
import sqlalchemy as sa

from bot import mentions
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.events import Platform
from bot.http_server import start_http
from bot.instance import Instance
from bot.intake import Intake
from bot.replies import Reply
from bot.sink import RawEvent
from bot.wiring import build_app, hooks_adapter
from tests.conftest import Chat
from tests.fakes.hooks import Sender, secret_of, signed
from tests.fakes.intake import connect

REVIEW = {
    "title": "Damaged item: order 1001",
    "body": "Buyer: the mug arrived broken. Photo attached in the shop's admin.",
    "key": "review-1001",
    "tags": ["review"],
    "priority": "high",
}


@pytest.fixture
async def hooks(settings: Settings, clock: FrozenClock) -> AsyncIterator[Sender]:
    app = build_app(settings.model_copy(update={"hook_rate_per_minute": 5}), clock=clock)
    chat = Chat(app, clock)
    adapter = hooks_adapter(app)
    intake = await connect(app, adapter)
    runner = await start_http(adapter.http_routes(), host="127.0.0.1", port=0)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as session:
        yield Sender(chat, clock, adapter, intake, session, base)  # type: ignore[arg-type]
    await runner.cleanup()
    await adapter.stop()
    await intake.stop()
    app.engine.dispose()


def count(app: App, table: str) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def posted(app: App, channel: str = "ops") -> list[Reply]:
    """The webhooks' cards Baton queued for the channel's board (the outbox keeps them all)."""
    with app.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT payload FROM outbox WHERE target = :t ORDER BY id"),
            {"t": f"console:local/{channel}"},
        ).scalars()
        replies = [Reply.from_json(str(row)) for row in rows]
    return [reply for reply in replies if reply.text.startswith("📥")]


async def test_a_bad_review_lands_in_its_column_once_and_the_same_key_updates_it(
    hooks: Sender,
) -> None:
    chat = hooks.chat
    await chat.say("看板 模板 订单履约", user="boss")
    path, secret = await hooks.add("待审核 #差评")
    created = await hooks.post(path, REVIEW, secret=secret)
    assert created.status == 201
    assert (
        created.body["task"] == 1
        and "/web/task?c=console%3Alocal%2Fops&n=1" in created.body["url"]
    )
    [card] = posted(chat.app)
    assert "Webhook 1 created #1: Damaged item: order 1001" in card.text
    assert card.card is not None and "mug arrived broken" in card.card.body
    shown = await chat.say("task show 1")
    assert "#差评 #review" in shown and "[待审核]" in shown and "!high" in shown
    assert "Baton (webhook 1) created it" in shown and "noted: Buyer: the mug" in shown
    hooks.clock.advance(timedelta(minutes=3))
    again = await hooks.post(
        path, {**REVIEW, "due": "tomorrow 18:00", "owner": "bob"}, secret=secret
    )
    assert again.status == 200 and again.body["task"] == 1
    assert again.body["updated"] == ["due", "owner"]
    retried = await hooks.post(
        path, {**REVIEW, "due": "tomorrow 18:00", "owner": "bob"}, secret=secret
    )
    assert retried.status == 200 and retried.body["updated"] == []
    assert count(chat.app, "tasks") == 1
    assert "2026-11-25 Wed 18:00" in await chat.say("task show 1")
    assert len(posted(chat.app)) == 2  # created, then updated once: the retry changed nothing


async def test_a_failed_delivery_without_a_key_and_its_exact_replay(hooks: Sender) -> None:
    path, secret = await hooks.add()
    failed = {"title": "Delivery failed: SF1234567890", "body": "Carrier: nobody home",
              "owner": "carol", "due": "2026-11-25T12:00:00+08:00"}  # fmt: skip
    first = await hooks.post(path, failed, secret=secret)
    replay = await hooks.post(path, failed, secret=secret)  # the same signed request again
    assert (first.status, replay.status) == (201, 200)
    assert replay.body["task"] == first.body["task"] == 1
    assert count(hooks.chat.app, "tasks") == 1
    shown = await hooks.chat.say("task show 1")
    assert "@carol" in shown and "2026-11-25 Wed 04:00" in shown  # 12:00 in Shanghai, shown in UTC


BAD_FIELDS: list[tuple[dict[str, object], str]] = [
    ({"body": "no title"}, "title"),
    ({"title": ""}, "title"),
    ({"title": 42}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "Refund", "due": "someday"}, "due"),
    ({"title": "Refund", "due": 1764000000}, "due"),
    ({"title": "Refund", "owner": "@all"}, "owner"),
    ({"title": "Refund", "owner": "Alice Chen Who"}, "owner"),
    ({"title": "Refund", "owner": "客服小李"}, "owner"),
    ({"title": "Refund", "priority": "whenever"}, "priority"),
    ({"title": "Refund", "tags": [1, 2]}, "tags"),
    ({"title": "Refund", "key": ""}, "key"),
    ({"title": "Refund", "body": "b" * 2001}, "body"),
]


async def test_a_bad_field_is_named_and_nothing_is_stored(hooks: Sender) -> None:
    path, secret = await hooks.add()
    for payload, field in BAD_FIELDS:
        hooks.clock.advance(timedelta(seconds=12))  # within the webhook's rate
        answer = await hooks.post(path, payload, secret=secret)
        assert answer.status == 400 and answer.body["field"] == field, (payload, answer.body)
    assert count(hooks.chat.app, "tasks") == 0 and count(hooks.chat.app, "hook_keys") == 0
    assert "used 0×" in await hooks.chat.say("hook list")


async def test_every_refusal_changes_nothing(hooks: Sender) -> None:
    path, secret = await hooks.add()
    now = int(hooks.clock.now().timestamp())
    body = json.dumps({"title": "Refund order 1002"}).encode()
    refusals = [
        (await hooks.post(path, body, secret=secret, headers={}), 401, "unsigned"),
        (await hooks.post(path, body, secret="guessed" * 8), 401, "bad signature"),
        (await hooks.post(path, body, secret=secret, at=now - 301), 401, "stale"),
        (await hooks.post(path, body, secret=secret, at=now + 301), 401, "stale"),
        (await hooks.post(path, body, secret=secret, headers={**signed(secret, now, b"{}")}), 401,
         "bad signature"),
        (await hooks.post("/hooks/0123456789abcdef", body, secret=secret), 404, "no such"),
        (await hooks.post("/hooks/NOT-A-HOOK", body, secret=secret), 404, "no such"),
        (await hooks.post(path, b"not json", secret=secret), 400, "not JSON"),
        (await hooks.post(path, b"\xff\xfe", secret=secret), 400, "not JSON"),
        (await hooks.post(path, b"[1, 2]", secret=secret), 400, "JSON object"),
        (await hooks.post(path, b"{" * 70_000, secret=secret), 413, "over"),
    ]  # fmt: skip
    for answer, status, words in refusals:
        assert answer.status == status and words in answer.body.get("error", ""), answer
    assert count(hooks.chat.app, "tasks") == 0
    assert count(hooks.chat.app, "inbox WHERE platform = 'hooks'") == 0  # none was stored


async def test_over_the_rate_is_429_until_the_minute_refills(hooks: Sender) -> None:
    path, secret = await hooks.add()
    answers = [await hooks.post(path, {"title": f"Alert {n}"}, secret=secret) for n in range(6)]
    assert [a.status for a in answers] == [201] * 5 + [429]
    assert answers[-1].headers["Retry-After"] == "12"
    hooks.clock.advance(timedelta(seconds=12))
    assert (await hooks.post(path, {"title": "Alert 6"}, secret=secret)).status == 201
    assert count(hooks.chat.app, "tasks") == 6


async def test_processes_on_one_postgresql_database_share_a_webhooks_rate(
    hooks: Sender, settings: Settings, clock: FrozenClock
) -> None:
    if hooks.chat.app.engine.dialect.name != "postgresql":
        pytest.skip("a SQLite database is served by one process")
    path, secret = await hooks.add()
    other = build_app(settings.model_copy(update={"hook_rate_per_minute": 5}), clock=clock)
    adapter = hooks_adapter(other)
    intake = await connect(other, adapter)
    runner = await start_http(adapter.http_routes(), host="127.0.0.1", port=0)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    second = replace(hooks, adapter=adapter, intake=intake, base=base)
    try:
        senders = enumerate([hooks, second] * 3)  # taking turns, each with its own alert
        answers = [await s.post(path, {"title": f"Alert {n}"}, secret=secret) for n, s in senders]
    finally:
        await runner.cleanup()
        await adapter.stop()
        await intake.stop()
        other.engine.dispose()
    assert [a.status for a in answers] == [201] * 5 + [429]


async def test_mentions_in_a_delivery_stay_text(hooks: Sender) -> None:
    path, secret = await hooks.add()
    hostile = '<!channel> <@U0ALL> @all <at user_id="all">everyone</at> refund ＠所有人'
    answer = await hooks.post(path, {"title": hostile, "body": hostile}, secret=secret)
    assert answer.status == 201
    for reply in posted(hooks.chat.app):
        assert reply.card is not None
        words = [
            reply.text,
            reply.card.title,
            reply.card.body,
            *(f.value for f in reply.card.fields),
        ]
        assert all(mentions.mentioned_ids(w) == [] for w in words), words


async def test_control_characters_and_broken_unicode_never_reach_the_database(
    hooks: Sender,
) -> None:
    path, secret = await hooks.add()
    sneaky = {
        "title": "Refund\u0000 order\u202e 1003\u200b",
        "key": "k\u0000 1",
        "owner": "bob\u0000",
    }
    assert (await hooks.post(path, sneaky, secret=secret)).status == 201
    broken = b'{"title": "Refund \\ud800 order"}'
    answer = await hooks.post(path, broken, secret=secret)
    assert answer.status == 400 and "not valid Unicode" in answer.body["error"]
    with hooks.chat.app.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT title FROM tasks")).scalars().all()
        keys = conn.execute(sa.text("SELECT key FROM hook_keys")).scalars().all()
    assert stored == ["Refund order 1003"] and keys == ["key:k 1"]
    assert "@bob" in await hooks.chat.say("task show 1")


async def test_set_up_list_rotate_and_remove_from_chat(hooks: Sender) -> None:
    chat = hooks.chat
    assert "managers" in await chat.say("hook add")
    added = await chat.say("hook add doing #ads", user="boss")
    path, secret = secret_of(added)
    assert "Webhook 1 is ready: its tasks land in doing #ads" in added
    assert added.count(secret) == 1  # in the DM only
    listed = await chat.say("hook list")
    assert "1. tasks land in doing #ads" in listed and secret not in listed
    assert (await hooks.post(path, {"title": "Budget alert"}, secret=secret)).status == 201
    assert "used 1×" in await chat.say("hook list")
    rotated = await chat.say("hook rotate 1", user="boss")
    _, fresh = secret_of(rotated)
    assert fresh != secret
    assert (await hooks.post(path, {"title": "Old secret"}, secret=secret)).status == 401
    assert (await hooks.post(path, {"title": "New secret"}, secret=fresh)).status == 201
    assert "已删除 Webhook 1" in await chat.say("钩子 删除 1", user="boss")
    assert (await hooks.post(path, {"title": "Gone"}, secret=fresh)).status == 404
    assert "no webhook 1" in await chat.say("hook rm 1", user="boss")
    assert count(chat.app, "tasks") == 2  # its tasks stay


async def test_a_delivery_stored_but_not_answered_is_run_after_a_restart(
    hooks: Sender,
) -> None:
    path, _ = await hooks.add()
    hook_id = path.rsplit("/", 1)[1]
    data = {"id": "d1", "hook": hook_id, "signature": "ab" * 32, "payload": {"title": "Restock"}}
    assert hooks.intake.hold(RawEvent(Platform.HOOKS, "d1", "post", f"hook:{hook_id}", data))
    successor = Intake(hooks.chat.app, instance=Instance(boot="restarted"))
    successor.register(hooks.adapter)
    await successor.start()
    try:
        assert successor.recover() == 1
        await successor.settle()
    finally:
        await successor.stop()
    assert count(hooks.chat.app, "tasks") == 1
    assert "Webhook 1 created #1: Restock" in posted(hooks.chat.app)[0].text
