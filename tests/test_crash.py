"""Nothing acknowledged is lost, nothing is sent twice: ``baton run`` killed with SIGKILL in the middle
of a burst, against the fake platforms answering every API call in 300 ms, then restarted.

Every request a platform saw acknowledged must produce its task exactly once and its reply exactly
once (DingTalk has no way to check a send, so there a reply cut short by the kill may go out again:
at most the messages in flight are doubled, and the test says how many were). The figures (how many
were acknowledged, how long the restart took to finish the work) are printed for the record.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.wiring import build_app
from storage import reminders
from storage.models import Task, TaskCounter, TaskOwner
from storage.types import table
from tests.fakes import dingtalk as dt
from tests.fakes import feishu as fs
from tests.fakes import slack as sl

LATENCY = 0.3
ROOT = Path(__file__).resolve().parent.parent


class Baton:
    """``baton run`` as a process of its own, started (and restarted) with one environment."""

    def __init__(self, env: dict[str, str]) -> None:
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BATON_", "SLACK_", "FEISHU_", "DINGTALK_"))
        }
        self.env = {**clean, "BATON_LOG_LEVEL": "WARNING", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "run"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as when a machine loses power."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def baton() -> Iterator[list[Baton]]:
    started: list[Baton] = []
    yield started
    for process in started:
        process.stop()


async def until(check: Callable[[], Awaitable[bool] | bool], what: str, within: float) -> float:
    """Wait until ``check`` holds; returns how long that took."""
    began = time.monotonic()
    while True:
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return time.monotonic() - began
        if time.monotonic() - began > within:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def titles(database_url: str) -> collections.Counter[str]:
    """How many tasks carry each title (and that every task number is unique)."""
    engine = sa.create_engine(database_url)
    tasks = table(Task)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tasks.c.title, tasks.c.number)).all()
            conn.execute(sa.select(table(TaskCounter))).all()
    finally:
        engine.dispose()
    assert len({number for _, number in rows}) == len(rows)
    return collections.Counter(title for title, _ in rows)


def once_each(acked: set[int], tasks: collections.Counter[str], replies: list[str]) -> None:
    """Every acknowledged request: one task, one reply; nothing else twice."""
    replied = collections.Counter(
        n for text in replies for n in range(1000) if f"crash-{n:03d}" in text
    )
    for n in acked:
        assert tasks[f"crash-{n:03d}"] == 1, f"task crash-{n:03d}: {tasks[f'crash-{n:03d}']}"
        assert replied[n] == 1, f"reply to crash-{n:03d}: {replied[n]}"
    assert max(tasks.values(), default=1) == 1 and max(replied.values(), default=1) == 1


async def test_slack_http_commands_survive_a_kill(database_url: str, baton: list[Baton]) -> None:
    platform = sl.FakeSlack(users={f"U{i}": sl.user(f"U{i}", f"P{i}") for i in range(10)})
    platform.start()
    platform.latency = LATENCY
    port = sl.free_port()
    env = {
        "BATON_DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": sl.SECRET,
        "SLACK_BOT_TOKEN": sl.BOT_TOKEN,
        "SLACK_API_URL": platform.api_url,
        "BATON_HTTP_PORT": str(port),
        "BATON_HTTP_HOST": "127.0.0.1",
    }
    first = Baton(env)
    baton.append(first)
    first.start()
    url = f"http://127.0.0.1:{port}"
    acked: set[int] = set()
    async with aiohttp.ClientSession() as session:

        async def healthy() -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/healthz") as resp:
                    return resp.status == 200
            return False

        await until(healthy, "baton run to listen", 30)
        gate = asyncio.Semaphore(50)

        async def command(n: int) -> None:
            body = sl.command_body(
                f"add crash-{n:03d}",
                command="/task",
                user_id=f"U{n % 10}",
                channel=f"C{n % 100:03d}",  # a few commands a channel: within Slack's burst
                trigger=f"trigger-{n}",
            )
            headers = sl.signed_headers(body, content_type="application/x-www-form-urlencoded")
            async with gate:
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    timeout = aiohttp.ClientTimeout(total=5)
                    async with session.post(
                        f"{url}/slack/events", data=body, headers=headers, timeout=timeout
                    ) as resp:
                        if resp.status == 200:
                            acked.add(n)

        burst = asyncio.gather(*(command(n) for n in range(300)))
        await until(lambda: len(acked) >= 150, "half the burst to be acknowledged", 60)
        first.kill()
        await burst
        killed_with = len(acked)
        second = Baton(env)
        baton.append(second)
        second.start()
        await until(healthy, "the restarted baton run to listen", 30)

        def replies() -> list[str]:
            return [c.args.get("text", "") for c in platform.made("chat.postMessage")]

        def finished() -> bool:
            done = titles(database_url)
            texts = "\n".join(replies())
            return all(done[f"crash-{n:03d}"] and f"crash-{n:03d}" in texts for n in acked)

        recovered = await until(finished, "every acknowledged command to be answered", 120)
        await asyncio.sleep(2 * LATENCY)  # anything doubled would have arrived by now
    once_each(acked, titles(database_url), replies())
    figures = f"{killed_with}/300 acknowledged, restart finished the work in {recovered:.1f} s"
    print(f"\nslack: {figures}")  # noqa: T201


def feishu_message(n: int) -> dict[str, object]:
    event = fs.message_event(
        f"@_user_1 task add crash-{n:03d}", event_id=f"ev-crash-{n}", chat_id=f"oc_{n % 50}"
    )
    event["event"]["message"]["message_id"] = f"om_crash_{n}"  # type: ignore[index]
    return event


async def test_feishu_long_connection_events_survive_a_kill(
    database_url: str, baton: list[Baton]
) -> None:
    platform = fs.FakeFeishu(users={"ou_alice": {"name": "Alice", "time_zone": "Asia/Shanghai"}})
    platform.start()
    platform.latency = LATENCY
    env = {
        "BATON_DATABASE_URL": database_url,
        "FEISHU_APP_ID": "cli_test",
        "FEISHU_APP_SECRET": "secret",
        "FEISHU_DOMAIN": platform.url,
        "BATON_HTTP_PORT": str(sl.free_port()),
    }
    first = Baton(env)
    baton.append(first)
    first.start()
    await until(platform.connected.is_set, "the long connection", 60)
    acked: set[int] = set()

    def push_all() -> None:
        for n in range(200):
            try:
                platform.push(feishu_message(n), timeout=5)
            except Exception:  # the connection went with the process
                return
            acked.add(n)

    pushing = asyncio.create_task(asyncio.to_thread(push_all))
    await until(lambda: len(acked) >= 100, "half the events to be acknowledged", 60)
    platform.connected.clear()
    first.kill()
    await pushing
    second = Baton(env)
    baton.append(second)
    second.start()
    await until(platform.connected.is_set, "the restarted long connection", 60)

    def replies() -> list[str]:
        return [str(call.content) for call in platform.sent()]

    def finished() -> bool:
        done, texts = titles(database_url), "\n".join(replies())
        return all(done[f"crash-{n:03d}"] and f"crash-{n:03d}" in texts for n in acked)

    recovered = await until(finished, "every acknowledged event to be answered", 120)
    await asyncio.sleep(2 * LATENCY)
    once_each(acked, titles(database_url), replies())
    second.stop()
    platform.stop()
    figures = f"{len(acked)}/200 acknowledged, restart finished the work in {recovered:.1f} s"
    print(f"\nfeishu: {figures}")  # noqa: T201


async def test_dingtalk_stream_messages_survive_a_kill(
    database_url: str, baton: list[Baton]
) -> None:
    platform = dt.FakeDingTalk(names={"staff1": "Alice"})
    platform.start()
    platform.latency = LATENCY
    env = {
        "BATON_DATABASE_URL": database_url,
        "DINGTALK_CLIENT_ID": "dingrobot",
        "DINGTALK_CLIENT_SECRET": "s3cret",
        "DINGTALK_API_URL": platform.url,
        "BATON_HTTP_PORT": str(sl.free_port()),
    }
    first = Baton(env)
    baton.append(first)
    first.start()
    await until(lambda: platform.connected, "the Stream connection", 60)
    acked: set[int] = set()
    now_ms = int(datetime.now(UTC).timestamp() * 1000)

    async def push_all() -> None:
        for n in range(200):
            data = dt.robot_message(platform, now_ms, f" task add crash-{n:03d}")
            data["conversationId"] = f"cid{n % 50}"
            frame = {
                "specVersion": "1.0",
                "type": "CALLBACK",
                "headers": {"topic": "/v1.0/im/bot/messages/get", "messageId": f"f{n}"},
                "data": json.dumps(data),
            }
            try:
                ack = await platform.push(frame)
            except Exception:  # the connection went with the process
                return
            if ack.get("code") == 200:
                acked.add(n)

    pushing = asyncio.create_task(push_all())
    await until(lambda: len(acked) >= 100, "half the messages to be acknowledged", 60)
    first.kill()
    await pushing
    second = Baton(env)
    baton.append(second)
    second.start()

    def replies() -> list[str]:  # by the session webhook, or as a card with buttons
        paths = (dt.WEBHOOK, "/v1.0/card/instances/createAndDeliver")
        return [str(call.body) for path in paths for call in platform.made(path)]

    def finished() -> bool:
        done, texts = titles(database_url), "\n".join(replies())
        return all(done[f"crash-{n:03d}"] and f"crash-{n:03d}" in texts for n in acked)

    recovered = await until(finished, "every acknowledged message to be answered", 120)
    await asyncio.sleep(2 * LATENCY)
    tasks = titles(database_url)
    replied = collections.Counter(
        n for text in replies() for n in range(200) if f"crash-{n:03d}" in text
    )
    assert all(tasks[f"crash-{n:03d}"] == 1 for n in acked) and max(tasks.values()) == 1
    assert all(replied[n] >= 1 for n in acked)
    doubled = sum(count - 1 for count in replied.values())
    assert doubled <= 16  # at most the replies in flight when the process died
    second.stop()
    figures = f"{len(acked)}/200 acknowledged, restart finished the work in {recovered:.1f} s"
    print(f"\ndingtalk: {figures}; {doubled} replies sent twice")  # noqa: T201


def seed_due_tasks(database_url: str, count: int) -> None:
    """``count`` open tasks due tomorrow in one Slack channel, each with an owner of its own, and
    reminders allowed at any hour of any day (the test runs whenever CI does)."""
    app = build_app(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]
    now = datetime.now(UTC)
    tasks, owners = table(Task), table(TaskOwner)
    with app.engine.begin() as conn:
        for n in range(count):
            task_id = conn.execute(
                tasks.insert().values(
                    ws=f"slack:{sl.TEAM}",
                    number=n + 1,
                    channel=f"slack:{sl.TEAM}/C001",
                    title=f"crash-{n:03d}",
                    column="todo",
                    creator_id="U0",
                    due_at=now + timedelta(days=1),
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key
            assert task_id is not None
            conn.execute(owners.insert().values(task_id=task_id[0], user_id=f"W{n:03d}"))
        reminders.save_setting(
            conn, scope=f"slack:{sl.TEAM}", now=now, quiet="00:00-00:00", weekends=True
        )
    app.engine.dispose()


async def test_due_reminders_killed_during_delivery_are_sent_once(
    database_url: str, baton: list[Baton]
) -> None:
    seed_due_tasks(database_url, 600)
    platform = sl.FakeSlack()
    platform.start()
    platform.latency = LATENCY
    env = {
        "BATON_DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": sl.SECRET,
        "SLACK_BOT_TOKEN": sl.BOT_TOKEN,
        "SLACK_API_URL": platform.api_url,
        "BATON_HTTP_PORT": str(sl.free_port()),
        "BATON_HTTP_HOST": "127.0.0.1",
        "BATON_TICK_SECONDS": "1",
    }
    first = Baton(env)
    baton.append(first)
    first.start()

    def posted() -> list[str]:
        return [c.args.get("text", "") for c in platform.made("chat.postMessage")]

    await until(lambda: len(posted()) >= 250, "the reminders to be on their way", 90)
    first.kill()
    before = len(posted())
    second = Baton(env)
    baton.append(second)
    second.start()

    def finished() -> bool:
        return len({text for text in posted() if "crash-" in text}) >= 600

    recovered = await until(finished, "every reminder to be sent", 120)
    await asyncio.sleep(2 * LATENCY)
    sent = collections.Counter(
        n for text in posted() for n in range(600) if f"crash-{n:03d}" in text
    )
    assert sorted(sent) == list(range(600)) and max(sent.values()) == 1
    looked = len(platform.made("conversations.history"))
    second.stop()
    figures = f"{before}/600 sent before the kill, the rest in {recovered:.1f} s after a restart"
    print(f"\nreminders: {figures}; {looked} sends checked against Slack first")  # noqa: T201
