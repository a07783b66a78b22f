"""Slack through Socket Mode, and ``baton run`` answering Slack over HTTP and Socket Mode."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest

from adapters.slack.adapter import SlackAdapter
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.wiring import build_app
from tests.fakes import slack as fake
from tests.fakes.intake import connect
from tests.fakes.slack import FakeSlack


def _settings(tmp_path: Path, platform: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'baton.db'}",
        admins_csv="UADMIN",  # a configured team: no first-run welcome
        timezone="UTC",
        slack_bot_token=fake.BOT_TOKEN,
        slack_app_token=fake.APP_TOKEN,
        slack_api_url=platform.api_url,
    )


@pytest.fixture
async def socket_mode(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[tuple[App, FakeSlack]]:
    platform = fake.shared_fake()
    platform.calls.clear()
    app = build_app(_settings(tmp_path, platform), clock=clock)
    adapter = SlackAdapter(app.settings, app.clock)
    assert adapter.http_routes() == []
    intake = await connect(app, adapter)
    yield app, platform
    await adapter.stop()
    await intake.stop()
    app.engine.dispose()


async def test_help_slash_command_over_socket_mode_is_acked_and_answered(
    socket_mode: tuple[App, FakeSlack],
) -> None:
    _app, platform = socket_mode
    assert platform.made("apps.connections.open")[0].token == fake.APP_TOKEN
    body = fake.command_body("help", channel="C3", response_url=platform.respond_url("sock"))
    ack = await platform.push("slash_commands", dict(parse_qsl(body)))
    assert ack["envelope_id"].startswith("env-")
    [answer] = await platform.wait_for("response_url")
    assert answer.args["key"] == "sock" and answer.args["response_type"] == "ephemeral"
    assert "`help task`" in answer.args["text"]


async def test_help_retried_socket_event_is_handled_once(
    socket_mode: tuple[App, FakeSlack],
) -> None:
    _app, platform = socket_mode
    body = fake.event_body(
        fake.app_mention_event("help", channel="C4", ts="8.1"), event_id="EvSock"
    )
    await platform.push("events_api", body)
    await platform.wait_for("chat.postEphemeral")
    await platform.push("events_api", body, retry_attempt=1, retry_reason="timeout")
    await asyncio.sleep(0)  # let bolt's background listener run if it were going to
    await platform.push("events_api", {**body, "event_id": "EvOther"})
    await platform.wait_for("chat.postEphemeral", 2)
    assert len(platform.made("chat.postEphemeral")) == 2


# --- done when: `baton run` answers a signed request and a Socket Mode envelope within 1 s ----


def _baton_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BATON_", "SLACK_", "FEISHU_", "DINGTALK_"))
    }
    clean.update(
        {
            "BATON_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "BATON_LOG_LEVEL": "WARNING",
            "BATON_ADMINS": "UADMIN",
        }
    )
    clean.update(env)
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run"],
        env=clean,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def stop_after() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def _until(check: object, what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_baton_run_answers_a_signed_slash_command_within_a_second(
    tmp_path: Path, stop_after: list[subprocess.Popen[bytes]]
) -> None:
    platform = fake.shared_fake()
    platform.calls.clear()
    port = fake.free_port()
    process = _baton_run(
        tmp_path,
        {
            "SLACK_SIGNING_SECRET": fake.SECRET,
            "SLACK_BOT_TOKEN": fake.BOT_TOKEN,
            "SLACK_API_URL": platform.api_url,
            "BATON_HTTP_PORT": str(port),
            "BATON_HTTP_HOST": "127.0.0.1",
        },
    )
    stop_after.append(process)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:

        async def healthy() -> bool:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                async with session.get(f"{url}/healthz") as resp:
                    return resp.status == 200
            except aiohttp.ClientError:
                return False

        await _until(healthy, "baton run to listen")
        body = fake.command_body("add Restock SKU-1 due:tomorrow", command="/task", channel="C8")
        headers = fake.signed_headers(body, content_type="application/x-www-form-urlencoded")
        started = time.monotonic()
        async with session.post(f"{url}/slack/events", data=body, headers=headers) as resp:
            assert resp.status == 200
        [post] = await platform.wait_for("chat.postMessage", within=1.0)
    assert time.monotonic() - started < 1.0
    assert post.args["channel"] == "C8" and "#1" in post.args["text"]
    assert "task.done" in json.dumps(post.args["blocks"])  # the task card, with its buttons


async def test_baton_run_answers_over_socket_mode_within_a_second(
    tmp_path: Path, stop_after: list[subprocess.Popen[bytes]]
) -> None:
    platform = fake.shared_fake()
    platform.calls.clear()
    opened = platform.opened
    process = _baton_run(
        tmp_path,
        {
            "SLACK_APP_TOKEN": fake.APP_TOKEN,
            "SLACK_BOT_TOKEN": fake.BOT_TOKEN,
            "SLACK_API_URL": platform.api_url,
            "BATON_HTTP_PORT": str(fake.free_port()),
        },
    )
    stop_after.append(process)

    async def connected() -> bool:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        return platform.opened > opened and platform.connected

    await _until(connected, "the Socket Mode connection")
    body = fake.command_body("add Restock SKU-2", command="/task", channel="C9")
    payload = dict(parse_qsl(body))
    started = time.monotonic()
    ack = await platform.push("slash_commands", payload)
    assert "envelope_id" in ack
    [post] = await platform.wait_for("chat.postMessage", within=1.0)
    assert time.monotonic() - started < 1.0
    assert post.args["channel"] == "C9" and "#1" in post.args["text"]
    assert "task.done" in json.dumps(post.args["blocks"])
