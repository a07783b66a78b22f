"""Nothing acknowledged is lost, nothing is sent twice: ``baton run`` killed with SIGKILL in the middle
of a burst, against the fake platforms answering every API call in 300 ms, then restarted.

Every request a platform saw acknowledged must produce its task exactly once and its reply exactly
once (DingTalk has no way to check a send, so there a reply cut short by the kill may go out again:
at most the messages in flight are doubled, and the test says how many were). The figures (how many
were acknowledged, how long the restart took to finish the work) are printed for the record.

SQLite pass only: on PostgreSQL, ``tests/test_scale.py`` kills one of three processes mid-burst and
checks the same (and the pass stays within the test budget).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
from datetime import UTC, datetime

import aiohttp
import pytest

from tests.fakes import dingtalk as dt
from tests.fakes import feishu as fs
from tests.fakes import slack as sl
from tests.fakes.processes import (
    Baton,
    seed_due_tasks,
    send_task_commands,
    slack_env,
    titles,
    until,
    wait_listening,
)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("BATON_TEST_POSTGRES")),
    reason="SQLite pass only (tests/test_scale.py kills a process on PostgreSQL)",
)
LATENCY = 0.3


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
    env = slack_env(database_url, platform, port)
    first = Baton(env)
    baton.append(first)
    first.start()
    acked: set[int] = set()
    async with aiohttp.ClientSession() as session:
        await wait_listening(session, port, first)
        # A few commands a channel: within Slack's burst, so replies are not paced.
        burst = send_task_commands(session, [port], 300, channels=100, acked=acked)
        sending = asyncio.ensure_future(burst)
        await until(lambda: len(acked) >= 150, "half the burst to be acknowledged", 60)
        first.kill()
        await sending
        killed_with = len(acked)
        second = Baton(env)
        baton.append(second)
        second.start()
        await wait_listening(session, port, second)

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


async def test_due_reminders_killed_during_delivery_are_sent_once(
    database_url: str, baton: list[Baton]
) -> None:
    seed_due_tasks(database_url, 600)
    platform = sl.FakeSlack()
    platform.start()
    platform.latency = LATENCY
    env = {**slack_env(database_url, platform, sl.free_port()), "BATON_TICK_SECONDS": "1"}
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
