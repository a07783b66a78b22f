"""Benchmark: one reminder tick over a million tasks, and the outbox draining 10,000 messages.

Seeds N tasks (default 1,000,000; 5 % due or overdue today, the rest done or due later) with
INSERT .. SELECT, then times: the due query (with its query plan), one full reminder tick (query +
claim + enqueue), a second tick that finds everything already claimed, and draining 10,000 queued
messages to a fake adapter with no pacing. Prints JSON.

    python bench/reminders.py [--tasks 1000000] [--drain 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# This folder holds bench/commands.py, which must not shadow the ``commands`` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events import Platform, Target  # noqa: E402
from bot.replies import Reply  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from commands.reminders import ticks as reminder_ticks  # noqa: E402
from storage import reminders as store  # noqa: E402

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Asia/Shanghai
USERS = 2000
CHANNELS = 500


class FakeAdapter:
    """Accepts every message at once, like a platform with no limits."""

    def __init__(self) -> None:
        self.count = 0

    async def send(self, target: Target, reply: Reply) -> str | None:
        self.count += 1
        return f"m{self.count}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(app: App, tasks: int) -> float:
    """Insert ``tasks`` tasks, one owner each, and the owners' profiles; returns seconds taken."""
    started = time.perf_counter()
    today = _stamp(NOW.replace(hour=0))
    with app.engine.begin() as conn:
        conn.exec_driver_sql(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            'INSERT INTO tasks (id, ws, number, channel, source, title, "column", priority, tags,'
            " creator_id, due_at, created_at, updated_at, done_at) "
            "SELECT n, 'console:local', n, 'console:local/c' || (n % ?), '', 'Task ' || n, 'todo',"
            " 0, '', 'u' || ((n + 7) % ?),"
            # 5 %: due today or overdue by up to 6 days; 60 %: done; 35 %: due 5..365 days ahead
            " CASE WHEN n % 20 = 0 THEN strftime('%Y-%m-%d %H:%M:%f', ?, '-' || (n % 7) || ' days',"
            "   '+' || (n % 24) || ' hours')"
            "  WHEN n % 20 < 13 THEN strftime('%Y-%m-%d %H:%M:%f', ?, '-' || (n % 300) || ' days')"
            "  ELSE strftime('%Y-%m-%d %H:%M:%f', ?, '+' || (5 + n % 360) || ' days') END,"
            " ?, ?,"
            " CASE WHEN n % 20 BETWEEN 1 AND 12 THEN ? END "
            "FROM seq",
            (tasks, CHANNELS, USERS, today, today, today, today, today, today),
        )
        conn.exec_driver_sql(
            "INSERT INTO task_owners (task_id, user_id) SELECT id, 'u' || (id % ?) FROM tasks",
            (USERS,),
        )
        conn.exec_driver_sql(
            "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            "INSERT INTO users (ws, user_id, display_name, tz, updated_at) "
            "SELECT 'console:local', 'u' || n, 'User ' || n, 'Asia/Shanghai', ? FROM seq",
            (USERS - 1, today),
        )
    with app.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        # A long-running database has its pages in the main file, not a 300 MB write-ahead log.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def time_query(app: App) -> dict[str, object]:
    """The due query as the tick runs it (first run on a cold cache, then warm), and its plan."""
    horizon = NOW + timedelta(days=5)
    timings = []
    with app.engine.connect() as conn, reminder_ticks.paused_gc():
        for _ in range(2):
            started = time.perf_counter()
            due = store.open_due_tasks(conn, before=horizon)
            timings.append(time.perf_counter() - started)
        plan = []
        for statement in store.due_selects(horizon):
            compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
            plan += [
                str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            ]
    return {
        "due_query_cold_ms": round(timings[0] * 1000, 1),
        "due_query_ms": round(timings[1] * 1000, 1),
        "due_rows": len(due),
        "plan": plan,
    }


async def time_drain(app: App, count: int) -> dict[str, object]:
    """Queue ``count`` messages (on top of what the tick queued, already sent) and drain them."""
    fake = FakeAdapter()
    app.outbox.register(Platform.CONSOLE, fake)
    with app.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE outbox SET status = 'sent'")
        items = [
            (Target(Platform.CONSOLE, "local", f"c{i % CHANNELS}"), Reply(f"message {i}"), f"b{i}")
            for i in range(count)
        ]
        app.outbox.enqueue_many(conn, items)
    started = time.perf_counter()
    sent = await app.outbox.drain(limit=count)
    elapsed = time.perf_counter() - started
    return {
        "drained": sent,
        "drain_seconds": round(elapsed, 2),
        "messages_per_second": round(sent / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--drain", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            timezone="Asia/Shanghai",
        )
        clock = FrozenClock(NOW)
        app = build_app(settings, clock=clock)
        result: dict[str, object] = {
            "tasks": args.tasks,
            "seed_seconds": round(seed(app, args.tasks), 1),
        }
        result.update(time_query(app))
        started = time.perf_counter()
        reminder_ticks.remind_tasks(app.tick_ctx())
        result["tick_seconds"] = round(time.perf_counter() - started, 2)
        result["queued"] = app.outbox.counts().get("pending", 0)
        started = time.perf_counter()
        reminder_ticks.remind_tasks(app.tick_ctx())
        result["repeat_tick_seconds"] = round(time.perf_counter() - started, 2)
        result["queued_after_repeat"] = app.outbox.counts().get("pending", 0)
        result.update(asyncio.run(time_drain(app, args.drain)))
        result["targets"] = {"due_query_ms": 200, "tick_seconds": 5, "messages_per_second": 2000}
        app.engine.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
