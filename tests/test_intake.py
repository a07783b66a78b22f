"""The durable intake: stored before acknowledged, run once, in order per chat, resumed after a
crash, retried after a failure, set aside when it can never run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import App
from bot.clock import FrozenClock
from bot.events import Platform
from bot.instance import Instance
from bot.intake import MAX_ATTEMPTS, Intake
from bot.sink import RawEvent, StoredEvent, Translation, Unreadable
from tests.conftest import Chat
from tests.fakes.messages import make_inbound
from tests.fakes.reminders import rows


class Script:
    """A translator for console events whose payload says what to type, how long translating
    takes, and whether it fails (``"flaky"``: the first attempts) or can never be read."""

    platform = Platform.CONSOLE

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.failures_left = 0

    async def translate(self, event: StoredEvent) -> Translation | None:
        payload: Mapping[str, Any] = event.payload
        if payload.get("unreadable"):
            raise Unreadable("no text")
        if payload.get("flaky") and self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("the platform did not answer")
        await asyncio.sleep(float(payload.get("delay", 0)))
        self.seen.append(str(payload["text"]))
        text, chat, event_id = str(payload["text"]), str(payload["chat"]), str(payload["id"])
        return Translation(make_inbound(text, channel=chat, event_id=event_id))


def event(n: int, text: str, *, chat: str = "ops", **extra: object) -> RawEvent:
    payload = {"id": f"ev{n}", "text": text, "chat": chat, **extra}
    return RawEvent(Platform.CONSOLE, f"ev{n}", "message", chat, payload)


@pytest.fixture
async def intake(chat: Chat) -> AsyncIterator[tuple[Intake, Script]]:
    script = Script()
    running = Intake(chat.app, workers=8)
    running.register(script)
    await running.start()
    yield running, script
    await running.stop()


def statuses(app: App) -> list[tuple[object, ...]]:
    return rows(app, "SELECT status, attempts FROM inbox WHERE platform = 'console' ORDER BY id")


async def test_a_redelivered_event_is_stored_and_run_once(
    intake: tuple[Intake, Script], chat: Chat
) -> None:
    running, script = intake
    assert running.accept(event(1, "task add Restock SKU-1"))
    assert not running.accept(event(1, "task add Restock SKU-1"))
    await running.settle()
    assert script.seen == ["task add Restock SKU-1"]
    assert rows(chat.app, "SELECT count(*) FROM tasks") == [(1,)]
    assert statuses(chat.app) == [("done", 1)]
    assert rows(chat.app, "SELECT payload FROM inbox") == [(None,)]  # text is not kept


async def test_events_of_one_chat_run_in_the_order_they_came(
    intake: tuple[Intake, Script], chat: Chat
) -> None:
    running, script = intake
    for n in range(6):  # the early ones are the slow ones to translate
        running.accept(event(n, f"task add step {n}", delay=0.06 - n * 0.01))
    running.accept(event(9, "task add elsewhere", chat="dev"))
    await running.settle()
    assert [t for t in script.seen if "step" in t] == [f"task add step {n}" for n in range(6)]
    numbers = rows(chat.app, "SELECT title FROM tasks WHERE title LIKE 'step%' ORDER BY number")
    assert numbers == [(f"step {n}",) for n in range(6)]


async def test_events_ready_together_share_commits_and_each_runs_once(
    intake: tuple[Intake, Script], chat: Chat
) -> None:
    running, _ = intake
    for n in range(24):  # a burst over many chats, as a busy team sends it
        running.accept(event(n, f"task add burst {n}", chat=f"c{n % 12}"))
    commits: list[object] = []
    sa.event.listen(chat.app.engine, "commit", commits.append)
    await running.settle()
    titles = rows(chat.app, "SELECT title FROM tasks ORDER BY title")
    assert sorted(titles) == sorted((f"burst {n}",) for n in range(24))
    assert statuses(chat.app) == [("done", 1)] * 24
    assert len(commits) < 24  # the 24 runs shared transactions


async def test_a_failed_run_is_retried_later_and_set_aside_after_too_many(
    intake: tuple[Intake, Script], chat: Chat, clock: FrozenClock
) -> None:
    running, script = intake
    script.failures_left = 1
    running.accept(event(1, "task add Flaky", flaky=True))
    await running.settle()
    assert statuses(chat.app) == [("pending", 1)]  # released, to be retried after a backoff
    assert running.recover() == 0  # not yet
    clock.advance(timedelta(seconds=6))
    assert running.recover() == 1
    await running.settle()
    assert statuses(chat.app) == [("done", 2)]
    script.failures_left = 100
    running.accept(event(2, "task add Never", flaky=True))
    for _ in range(MAX_ATTEMPTS):
        await running.settle()
        clock.advance(timedelta(minutes=5))
        running.recover()
    await running.settle()
    assert statuses(chat.app)[1] == ("failed", MAX_ATTEMPTS)
    assert rows(chat.app, "SELECT count(*) FROM tasks WHERE title = 'Never'") == [(0,)]


async def test_an_unreadable_event_is_set_aside_at_once_with_its_payload(
    intake: tuple[Intake, Script], chat: Chat
) -> None:
    running, _ = intake
    running.accept(event(1, "?", unreadable=True))
    await running.settle()
    [(status, payload, error)] = rows(chat.app, "SELECT status, payload, last_error FROM inbox")
    assert status == "failed" and "unreadable" in str(payload) and "no text" in str(error)


async def test_events_of_a_process_that_died_are_resumed_at_once_and_a_live_ones_are_not(
    chat: Chat, clock: FrozenClock
) -> None:
    script = Script()
    dead = Intake(chat.app, instance=Instance(pid=2**22 + 7))  # no such pid on this machine
    elsewhere = Intake(chat.app, instance=Instance(host="another-machine", pid=1))
    for source, n in ((dead, 1), (elsewhere, 2)):
        source.hold(event(n, f"task add From {n}"))  # stored, acknowledged, never run
    resumed = Intake(chat.app)
    resumed.register(script)
    await resumed.start()
    assert resumed.recover() == 1  # the dead process's, at once
    await resumed.settle()
    assert script.seen == ["task add From 1"]
    clock.advance(timedelta(seconds=31))  # the other machine's lease runs out
    assert resumed.recover() == 1
    await resumed.settle()
    assert script.seen == ["task add From 1", "task add From 2"]
    assert [s for s, _ in statuses(chat.app)] == ["done", "done"]
    await resumed.stop()


async def test_an_event_taken_over_by_another_process_is_not_committed_twice(
    chat: Chat, clock: FrozenClock
) -> None:
    first = Intake(chat.app, instance=Instance(host="another-machine", pid=1))
    ticket = first.hold(event(1, "task add Only once"))
    assert ticket is not None
    clock.advance(timedelta(seconds=31))
    script = Script()
    second = Intake(chat.app)
    second.register(script)
    await second.start()
    assert second.recover() == 1
    await second.settle()
    late = make_inbound("task add Only once", event_id="ev1")  # the first process wakes up
    answered = await first.answer(late, inline=lambda _reply: True, ticket=ticket)
    assert answered.inline == () and answered.later == ()
    assert rows(chat.app, "SELECT count(*) FROM tasks") == [(1,)]
    await second.stop()
