"""Durable delivery: Retry-After, backoff, parking with an admin notice, per-chat pacing, message
ids kept for card updates, inbound ids pruned."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from adapters.dingtalk.adapter import DingTalkAdapter
from adapters.slack.adapter import SlackAdapter
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.events import Platform, Target
from bot.instance import Instance
from bot.outbox import GONE_GRACE, Delivery, DeliveryError, Outbox, current_delivery
from bot.replies import Reply
from bot.wiring import build_app
from storage import inbox
from tests.fakes.reminders import Recorder, Scripted, rows

SLACK_CHANNEL = Target(Platform.SLACK, "T1", "C1")


def _queue(app: App, target: Target, *texts: str) -> list[int]:
    with app.engine.begin() as conn:
        queued = [app.outbox.enqueue(conn, target, Reply(text)) for text in texts]
    return [q.id for q in queued if q]


def _state(app: App, row_id: int) -> tuple[object, ...]:
    return rows(app, f"SELECT status, attempts, next_attempt_at FROM outbox WHERE id={row_id}")[0]


async def test_outbox_honours_retry_after_then_backs_off_on_500s_then_sends(
    app: App, clock: FrozenClock
) -> None:
    sender = Scripted(
        [
            DeliveryError("429 ratelimited", retry_after=30),
            DeliveryError("500 internal error"),
            DeliveryError("502 bad gateway"),
        ]
    )
    app.outbox.register(Platform.SLACK, sender)
    (row_id,) = _queue(app, SLACK_CHANNEL, "hello")
    await app.outbox.drain()
    assert sender.calls == 1 and _state(app, row_id)[:2] == ("pending", 1)
    clock.advance(timedelta(seconds=29))
    await app.outbox.drain()
    assert sender.calls == 1  # Retry-After is honoured
    clock.advance(timedelta(seconds=1))
    await app.outbox.drain()
    assert sender.calls == 2 and _state(app, row_id)[:2] == ("pending", 2)
    clock.advance(timedelta(seconds=9))
    await app.outbox.drain()
    assert sender.calls == 2  # second failure waits 10 s
    clock.advance(timedelta(seconds=1))
    await app.outbox.drain()
    assert sender.calls == 3
    clock.advance(timedelta(seconds=20))  # third failure waits 20 s
    assert await app.outbox.drain() == 1
    assert rows(app, f"SELECT status, message_ref FROM outbox WHERE id={row_id}") == [
        ("sent", "msg-1")
    ]
    assert app.outbox.message_ref(row_id) == "msg-1"


async def test_outbox_parks_after_max_attempts_and_tells_each_admin_once(
    app: App, clock: FrozenClock, settings: Settings
) -> None:
    app.outbox = build_app(
        settings.model_copy(update={"outbox_max_attempts": 3}), clock=clock, migrate=False
    ).outbox
    app.outbox.register(Platform.SLACK, Scripted([DeliveryError("500")] * 10))
    admins = Recorder()
    app.outbox.register(Platform.CONSOLE, admins)
    (row_id,) = _queue(app, Target(Platform.CONSOLE, "local", "ops"), "x")
    app.outbox.register(Platform.CONSOLE, Scripted([DeliveryError("500")] * 3))
    for _ in range(3):
        await app.outbox.drain()
        clock.advance(timedelta(minutes=5))
    assert _state(app, row_id)[:2] == ("parked", 3)
    app.outbox.register(Platform.CONSOLE, admins)
    await app.run_ticks()
    await app.run_ticks()
    notices = admins.to("boss")
    assert len(notices) == 1 and f"message {row_id} to console:local/ops" in notices[0]
    assert app.outbox.counts()["parked"] == 1
    parked = app.outbox.parked()[0]
    assert (parked.id, parked.target) == (row_id, "console:local/ops")
    assert app.outbox.retry_parked() == 1
    await app.outbox.drain()
    assert [r.text for _, r in admins.sent][-1] == "x"


async def test_outbox_paces_a_busy_slack_channel_without_holding_others(
    app: App, clock: FrozenClock
) -> None:
    sender = Recorder()
    app.outbox.register(Platform.SLACK, sender, pace=SlackAdapter.pace)
    _queue(app, SLACK_CHANNEL, "one", "two", "three", "four", "five")
    _queue(app, Target(Platform.SLACK, "T1", "C2"), "elsewhere")
    assert await app.outbox.drain() == 4  # a burst of three, and the other channel
    assert [r.text for _, r in sender.sent] == ["one", "two", "three", "elsewhere"]
    clock.advance(timedelta(milliseconds=500))
    assert await app.outbox.drain() == 0
    clock.advance(timedelta(milliseconds=500))
    assert await app.outbox.drain() == 1
    clock.advance(timedelta(seconds=1))
    assert await app.outbox.drain() == 1
    assert [r.text for _, r in sender.sent][-2:] == ["four", "five"]
    assert app.outbox.counts() == {"sent": 6}


async def test_outbox_dingtalk_robot_gets_a_burst_then_one_message_per_three_seconds(
    app: App, clock: FrozenClock
) -> None:
    sender = Recorder()
    app.outbox.register(Platform.DINGTALK, sender, pace=DingTalkAdapter.pace)
    group = Target(Platform.DINGTALK, "corp", "cid1")
    _queue(app, group, *[f"m{i}" for i in range(25)])
    await app.outbox.drain()
    assert len(sender.sent) == 10
    clock.advance(timedelta(seconds=2))
    await app.outbox.drain()
    assert len(sender.sent) == 10
    clock.advance(timedelta(seconds=1))
    await app.outbox.drain()
    assert len(sender.sent) == 11
    for _ in range(30):  # 30 s later, one more every 3 s
        clock.advance(timedelta(seconds=1))
        await app.outbox.drain()
    assert len(sender.sent) == 21


async def test_outbox_enqueue_with_used_dedupe_key_is_skipped(app: App) -> None:
    with app.engine.begin() as conn:
        first = app.outbox.enqueue(conn, SLACK_CHANNEL, Reply("a"), dedupe_key="k1")
        again = app.outbox.enqueue(conn, SLACK_CHANNEL, Reply("a"), dedupe_key="k1")
        many = app.outbox.enqueue_many(
            conn, [(SLACK_CHANNEL, Reply("b"), "k1"), (SLACK_CHANNEL, Reply("c"), "k2")]
        )
    assert first is not None and again is None
    assert [q.reply.text for q in many] == ["c"]


async def test_housekeeping_prunes_inbound_event_ids_after_seven_days(
    app: App, clock: FrozenClock
) -> None:
    now = clock.now()
    with app.engine.begin() as conn:
        inbox.remember(conn, event_key="slack:old", platform="slack", now=now - timedelta(days=8))
        inbox.remember(conn, event_key="slack:new", platform="slack", now=now - timedelta(days=6))
    await app.run_ticks()
    assert rows(app, "SELECT event_key FROM inbox") == [("slack:new",)]


def test_baton_outbox_lists_parked_and_retry_requeues(tmp_path) -> None:
    import os
    import subprocess
    import sys

    from bot.config import Settings as Config

    db = tmp_path / "team.db"
    app = build_app(Config(_env_file=None, database_url=f"sqlite:///{db}"))  # type: ignore[call-arg]
    _queue(app, SLACK_CHANNEL, "stuck")
    with app.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE outbox SET status = 'parked', attempts = 8, last_error = '500 upstream'"
        )
    app.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env["BATON_DATABASE_URL"] = f"sqlite:///{db}"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)  # this checkout

    def baton(*args: str) -> str:
        command = [sys.executable, "-c", "from bot.cli import main; main()", "outbox", *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    listing = baton()
    assert "parked: 1" in listing and "#1 → slack:T1/C1 after 8 attempts: 500 upstream" in listing
    assert "Re-queued 1 message(s)." in baton("retry")
    assert "pending: 1" in baton() and "parked: 0" in baton()


async def test_healthz_readyz_and_metrics_say_how_baton_is_doing(app: App) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot import operations

    down = "DingTalk Stream not connected"
    connection: list[str | None] = [down]

    async def link() -> str | None:
        return connection[0]

    application = web.Application()
    application.add_routes(operations.routes(app, [("dingtalk", link)]))
    async with TestClient(TestServer(application)) as client:
        assert (await client.get("/healthz")).status == 200
        resp = await client.get("/readyz")
        assert resp.status == 503 and (await resp.json())["problems"] == {"dingtalk": down}
        connection[0] = None
        assert (await client.get("/readyz")).status == 200
        (_row,) = _queue(app, SLACK_CHANNEL, "waiting")
        text = await (await client.get("/metrics")).text()
    assert 'baton_outbox_depth{status="pending"} 1.0' in text
    assert "baton_inbox_depth 0.0" in text and "baton_handler_seconds_bucket" in text


def test_processes_sharing_a_database_share_each_chats_pace(app: App, clock: FrozenClock) -> None:
    from bot.pacing import SharedPacer

    first, second = SharedPacer(app.engine), SharedPacer(app.engine)
    for pacer in (first, second):
        pacer.set_pace(Platform.SLACK, SlackAdapter.pace)  # a burst of 3, then one a second
    now = clock.now()
    taken = [p.busy_until(SLACK_CHANNEL, now) for p in (first, second, first, second)]
    assert taken[:3] == [None, None, None] and taken[3] == now + timedelta(seconds=1)
    assert second.busy_until(Target(Platform.SLACK, "T1", "C2"), now) is None  # another chat
    first.throttled(SLACK_CHANNEL, now + timedelta(seconds=30))  # a 429 seen by one process
    later = now + timedelta(seconds=5)
    assert second.busy_until(SLACK_CHANNEL, later) == now + timedelta(seconds=30)


class _Noting:
    """A platform that notes the delivery each message is sent under, failing first as told."""

    def __init__(self, *failures: Exception) -> None:
        self.deliveries: list[Delivery | None] = []
        self.failures = list(failures)

    async def send(self, target: Target, reply: Reply) -> str | None:
        self.deliveries.append(current_delivery())
        if self.failures:
            raise self.failures.pop(0)
        return "m1"


async def test_a_send_that_got_no_answer_is_retried_as_interrupted_and_a_refused_one_is_not(
    app: App, clock: FrozenClock
) -> None:
    """A timeout or a dropped connection says nothing of whether the platform took the message:
    its retry is an interrupted send (the sender looks for it first), so it is not posted twice.
    A platform's own refusal (a 500 answer) is retried as a fresh send."""
    platform = _Noting(
        DeliveryError("Slack unreachable: TimeoutError()", uncertain=True),
        DeliveryError("Slack error: internal_error"),
    )
    app.outbox.register(Platform.SLACK, platform)
    [no_answer, refused] = _queue(app, SLACK_CHANNEL, "no answer", "refused")
    assert await app.outbox.drain() == 0
    assert [_state(app, no_answer)[0], _state(app, refused)[0]] == ["sending", "pending"]
    assert await app.outbox.drain() == 0  # neither is due before its backoff
    clock.advance(timedelta(seconds=6))
    assert await app.outbox.drain() == 2
    first, second, retry_one, retry_two = platform.deliveries
    assert first is not None and not first.interrupted
    retries = {d.row_id: d.interrupted for d in (retry_one, retry_two) if d is not None}
    assert retries == {no_answer: True, refused: False}
    assert [_state(app, no_answer)[0], _state(app, refused)[0]] == ["sent", "sent"]


async def test_a_dead_processs_rows_are_taken_over_after_a_grace_and_checked_first(
    app: App, clock: FrozenClock
) -> None:
    """A process of this machine that died mid-send leaves its rows "sending". They are not taken
    over the moment it is seen gone: the request it had on its way may still be landing on the
    platform, and the check made before sending again has to see it. After ``GONE_GRACE`` they are
    sent, marked as interrupted (so the sender looks first)."""
    dead = Instance(pid=_a_finished_pid())
    with app.engine.begin() as conn:
        held = Outbox(app.engine, clock, instance=dead).enqueue(
            conn, SLACK_CHANNEL, Reply("on its way when the process died"), claimed=True
        )
    assert held is not None
    platform = _Noting()
    app.outbox.register(Platform.SLACK, platform)
    assert await app.outbox.drain() == 0  # seen gone just now
    clock.advance(GONE_GRACE - timedelta(seconds=1))
    assert await app.outbox.drain() == 0
    clock.advance(timedelta(seconds=1))
    assert await app.outbox.drain() == 1
    [delivery] = platform.deliveries
    assert delivery is not None and delivery.row_id == held.id and delivery.interrupted
    assert _state(app, held.id)[0] == "sent"


def _a_finished_pid() -> int:
    """The pid of a process that has exited (a holder known gone)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
