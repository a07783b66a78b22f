"""The Slack adapter with the real slack-bolt and slack-sdk against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack import SlackAdapter
from adapters.slack_render import to_mrkdwn, to_neutral
from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.config import Settings
from bot.events import Platform, Target
from bot.outbox import DeliveryError
from bot.replies import Reply
from tests.fakes.slack import BOT_USER, TEAM, FakeSlack, sign

SECRET = "shh-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(users={"W1": {"id": "W1", "tz": "Asia/Shanghai", "locale": "zh-CN",
                                      "profile": {"display_name": "Mei"}}})  # fmt: skip
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def slack(
    tmp_path: Path, clock: FrozenClock, fake: FakeSlack
) -> AsyncIterator[tuple[App, SlackAdapter, TestClient[Any, Any]]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'slack.db'}",
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )
    app = build_app(settings, clock=clock)
    adapter = SlackAdapter(app)
    app.outbox.register(Platform.SLACK, adapter)
    await adapter.start(app)
    web_app = web.Application()
    web_app.add_routes(adapter.http_routes())
    client = TestClient(TestServer(web_app))
    await client.start_server()
    yield app, adapter, client
    await client.close()
    await adapter.stop()
    app.engine.dispose()


async def post_form(client: TestClient[Any, Any], fields: dict[str, str], **kw: Any) -> Any:
    body = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body, **kw)}
    return await client.post("/slack/events", data=body, headers=headers)


async def post_json(client: TestClient[Any, Any], payload: dict[str, Any], **headers: str) -> Any:
    body = json.dumps(payload)
    return await client.post(
        "/slack/events",
        data=body,
        headers={"Content-Type": "application/json", **sign(SECRET, body), **headers},
    )


def command(
    text: str, name: str = "/task", user: str = "W1", trigger: str = "111.222"
) -> dict[str, str]:
    return {"token": "x", "team_id": TEAM, "channel_id": "C111", "user_id": user, "command": name,
            "text": text, "response_url": "https://hooks.slack.com/commands/T111/1/x",
            "trigger_id": trigger}  # fmt: skip


def event(inner: dict[str, Any], event_id: str = "Ev1") -> dict[str, Any]:
    return {"type": "event_callback", "event_id": event_id, "event_time": 1595926230,
            "team_id": TEAM, "api_app_id": "A111", "event": inner}  # fmt: skip


async def test_slash_command_creates_task_card_with_buttons(slack: Any, fake: FakeSlack) -> None:
    app, adapter, client = slack
    response = await post_form(client, command('add "Restock SKU-1" due:tomorrow'))
    assert response.status == 200
    await adapter.settle()
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["channel"] == "C111"
    assert "已创建 #1" in posted["text"]  # the user's Slack locale is zh-CN
    buttons = posted["blocks"][-1]["elements"]
    assert [json.loads(b["value"])["a"] for b in buttons] == [
        "task.start",
        "task.done",
        "task.snooze",
    ]


async def test_forged_and_stale_signatures_are_rejected(slack: Any, fake: FakeSlack) -> None:
    _, adapter, client = slack
    body = urlencode(command("list"))
    forged = {"Content-Type": "application/x-www-form-urlencoded", **sign("wrong", body)}
    assert (await client.post("/slack/events", data=body, headers=forged)).status == 401
    stale = await post_form(client, command("list"), timestamp=int(time.time()) - 600)
    assert stale.status == 401
    await adapter.settle()
    assert fake.named("chat.postMessage") == []


async def test_mention_answers_in_channel_and_retry_is_handled_once(
    slack: Any, fake: FakeSlack
) -> None:
    _, adapter, client = slack
    inner = {"type": "app_mention", "text": f"<@{BOT_USER}> help", "user": "W2",
             "ts": "1595926230.009600", "channel": "C111", "event_ts": "1595926230.009600"}  # fmt: skip
    assert (await post_json(client, event(inner))).status == 200
    retried = await post_json(
        client, event(inner), **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retried.status == 200
    await adapter.settle()
    posted = fake.wait_for("chat.postMessage")
    assert len(posted) == 1 and "Commands" in posted[0]["text"]


async def test_dm_is_answered_in_the_dm(slack: Any, fake: FakeSlack) -> None:
    _, adapter, client = slack
    inner = {"type": "message", "channel_type": "im", "text": "tz", "user": "W2",
             "ts": "1.2", "channel": "D222"}  # fmt: skip
    await post_json(client, event(inner, "Ev2"))
    await adapter.settle()
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["channel"] == "D222" and "UTC" in posted["text"]


async def test_button_click_updates_the_card(slack: Any, fake: FakeSlack) -> None:
    _, adapter, client = slack
    await post_form(client, command("add Label pallets", user="W2"))
    await adapter.settle()
    (posted,) = fake.wait_for("chat.postMessage")
    done = next(
        b for b in posted["blocks"][-1]["elements"] if json.loads(b["value"])["a"] == "task.done"
    )
    payload = {"type": "block_actions", "user": {"id": "W2", "team_id": TEAM}, "team": {"id": TEAM},
               "api_app_id": "A111", "trigger_id": "1.2", "container": {"type": "message",
               "message_ts": "1700000000.000001", "channel_id": "C111"}, "channel": {"id": "C111"},
               "actions": [{"action_id": done["action_id"], "block_id": "b", "type": "button",
                            "value": done["value"], "action_ts": "1596530385.194939"}]}  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
    assert (await client.post("/slack/events", data=body, headers=headers)).status == 200
    await adapter.settle()
    (updated,) = fake.wait_for("chat.update")
    assert updated["ts"] == "1700000000.000001" and "is done" in updated["text"]


async def test_message_shortcut_creates_task_in_thread(slack: Any, fake: FakeSlack) -> None:
    _, adapter, client = slack
    payload = {"type": "message_action", "callback_id": "create_task_from_message",
               "trigger_id": "9.9", "team": {"id": TEAM}, "user": {"id": "W2"},
               "channel": {"id": "C111"}, "message": {"text": "Supplier asks <!here> for PO &amp; invoice",
               "ts": "1600000000.000100", "user": "W3"}}  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
    assert (await client.post("/slack/events", data=body, headers=headers)).status == 200
    await adapter.settle()
    (posted,) = fake.wait_for("chat.postMessage")
    assert posted["thread_ts"] == "1600000000.000100"
    assert "Supplier asks @here for PO &amp; invoice" in posted["text"]
    assert "<!here>" not in json.dumps(posted)


async def test_app_home_lists_my_tasks(slack: Any, fake: FakeSlack) -> None:
    _, adapter, client = slack
    await post_form(client, command("add Count stock <@W2|bob>", user="W2"))
    await adapter.settle()
    await post_json(
        client,
        event({"type": "app_home_opened", "user": "W2", "channel": "D1", "tab": "home"}, "Ev9"),
    )
    await adapter.settle()
    (published,) = fake.wait_for("views.publish")
    assert published["user_id"] == "W2"
    assert "Count stock" in json.dumps(published["view"])


async def test_mention_injection_never_pings(slack: Any, fake: FakeSlack) -> None:
    _, adapter, client = slack
    await post_form(client, command("add <!channel> <!here> @all <@W9> restock"))
    await adapter.settle()
    posts = fake.wait_for("chat.postMessage", 2)  # the card here, and a DM to the new owner W9
    everything = json.dumps(posts)
    assert "<!channel>" not in everything and "<!here>" not in everything
    card = next(p for p in posts if p["channel"] == "C111")
    assert "@channel @here @all" in card["text"] and "<@W9>" in json.dumps(card["blocks"])


def test_render_escapes_everything_but_real_mentions() -> None:
    assert (
        to_mrkdwn("a <@U1> & <!channel> <@all>")
        == "a <@U1> &amp; &lt;!channel&gt; &lt;\u2060@all&gt;"
    )
    text, people = to_neutral(
        "<@UBOT> assign <@U2|bob> &lt;@U3&gt; <!everyone>", bot_user_id="UBOT"
    )
    assert people == ["U2"]
    assert text == "assign <@U2> <\u2060@U3> @everyone"


async def test_429_becomes_retry_after(slack: Any, fake: FakeSlack) -> None:
    _, adapter, _ = slack
    fake.ratelimit_next = 2  # the SDK retries once itself, then Baton's outbox takes over
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Target(Platform.SLACK, TEAM, "C111"), Reply("hello"))
    assert caught.value.retry_after == 1.0
    assert len(fake.named("chat.postMessage:429")) == 2


async def test_socket_mode_slash_command_is_acked_and_answered(
    tmp_path: Path, clock: FrozenClock, fake: FakeSlack
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'sm.db'}",
        slack_bot_token="xoxb-test", slack_app_token="xapp-test", slack_api_url=fake.api_url,
    )  # fmt: skip
    app = build_app(settings, clock=clock)
    adapter = SlackAdapter(app)
    app.outbox.register(Platform.SLACK, adapter)
    assert adapter.http_routes() == []
    await adapter.start(app)
    try:
        envelope = {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                    "payload": command("help", name="/baton")}  # fmt: skip
        await asyncio.to_thread(fake.push, envelope)
        assert (await asyncio.to_thread(fake.wait_ack, "env-1"))["envelope_id"] == "env-1"
        posted = await asyncio.to_thread(fake.wait_for, "chat.postMessage")
        assert "命令列表" in posted[0]["text"]
    finally:
        await adapter.stop()
        app.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_baton_run_answers_a_signed_slash_command_within_a_second(
    tmp_path: Path, fake: FakeSlack
) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATON_", "SLACK_", "FEISHU_", "DINGTALK_"))
    }
    env.update(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake.api_url,
               BATON_HTTP_PORT=str(port), BATON_HTTP_HOST="127.0.0.1",
               BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", BATON_LOG_LEVEL="WARNING")  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        import urllib.request

        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr
                time.sleep(0.1)
        body = urlencode(command("add Restock SKU-9"))
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
        )
        sent_at = time.monotonic()
        assert urllib.request.urlopen(request, timeout=5).status == 200
        (posted,) = fake.wait_for("chat.postMessage", timeout=1.0)
        assert time.monotonic() - sent_at < 1.0
        assert "#1" in posted["text"]
    finally:
        proc.terminate()
        proc.wait(10)
