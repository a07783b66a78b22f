"""Benchmark: the web dashboard's board and metrics pages over a large database.

Seeds N tasks (default 100,000) in one workspace of 40 channels over the past year, on a six-column
order board (待审核 → 打单中 → 已拣货 → 已打包 → 待发货 → 已发货), each with its history: created,
then a move per column it went through (one in twenty moved back once on the way). The first
channel holds 500 open tasks. Then it serves the dashboard on 127.0.0.1 and asks, as a signed-in
person, for that channel's board, for its live refresh when nothing changed (what an open board
asks every few seconds), and for the metrics pages (the channel and the whole workspace, 90 days),
reading the server's own time from each response's ``Server-Timing`` header, and the CPU time
each request took in this process (server and client). Prints JSON.

    python bench/web.py [--tasks 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# This folder holds bench/commands.py, which must not shadow the ``commands`` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from bot import weblinks  # noqa: E402
from bot.app import App  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.http_server import start_http  # noqa: E402
from bot.intake import Intake  # noqa: E402
from bot.wiring import build_app, web_adapter  # noqa: E402

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
WS = "console:local"
CHANNELS = 40
OWNERS = 200
COLUMNS = ("待审核", "打单中", "已拣货", "已打包", "待发货", "已发货")
VIEWER = "u1"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _column_case(expression: str) -> str:
    """SQL picking ``COLUMNS[expression]``."""
    whens = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(COLUMNS))
    return f"CASE {expression} {whens} END"


def seed(app: App, count: int) -> float:
    """Insert ``count`` tasks with owners, history and boards; returns seconds taken."""
    started = time.perf_counter()
    now = _stamp(NOW)
    board = json.dumps(list(COLUMNS), ensure_ascii=False)
    with app.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO boards (channel, columns, wip) "
            "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            "SELECT ? || '/c' || n, ?, '{\"打单中\": 120}' FROM seq",
            (CHANNELS - 1, WS, board),
        )
        # Task n was created (count - n) / count of a year ago; the newest 5,000 are open, and
        # in channel c0 the newest 20,000 (500 tasks); open ones sit in one of the first five
        # columns, finished ones in the last, one to ten days after they were created.
        conn.exec_driver_sql(
            "CREATE TEMP TABLE seeded AS "
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            "SELECT n, 'c' || (n % ?) AS channel,"
            " julianday(?) - (? - n) * 365.0 / ? AS created,"
            " CASE WHEN n > ? - 5000 OR (n % ? = 0 AND n > ? - 20000) THEN (n / ?) % 5 ELSE 5 END AS col,"
            " 1 + (n % 9) + (n % 24) / 24.0 AS took FROM seq",
            (count, CHANNELS, now, count, count, count, CHANNELS, count, CHANNELS),
        )
        conn.exec_driver_sql(
            'INSERT INTO tasks (id, ws, number, channel, source, title, "column", priority, tags,'
            " creator_id, due_at, created_at, updated_at, done_at) "
            f"SELECT n, ?, n, ? || '/' || channel, '', '订单 Order ' || n, {_column_case('col')},"
            " (n % 3) - 1, CASE WHEN n % 4 = 0 THEN ' urgent ' ELSE '' END, 'u' || (n % ?),"
            " strftime('%Y-%m-%d %H:%M:%f', created + 7), strftime('%Y-%m-%d %H:%M:%f', created),"
            " strftime('%Y-%m-%d %H:%M:%f', created),"
            " CASE WHEN col = 5 THEN strftime('%Y-%m-%d %H:%M:%f', created + took) END "
            "FROM seeded",
            (WS, WS, OWNERS),
        )
        conn.exec_driver_sql(
            "INSERT INTO task_owners (task_id, user_id) SELECT n, 'u' || (n % ?) FROM seeded",
            (OWNERS,),
        )
        conn.exec_driver_sql(
            "INSERT INTO task_events (task_id, at, actor_id, kind, detail) "
            "SELECT n, strftime('%Y-%m-%d %H:%M:%f', created), 'u1', 'created', 'Order' "
            "FROM seeded"
        )
        # One move per column passed, spread over the time the task took; one task in twenty
        # also went back from the second column to the first and forward again.
        conn.exec_driver_sql(
            "INSERT INTO task_events (task_id, at, actor_id, kind, detail) "
            "WITH RECURSIVE step(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM step WHERE k < 5) "
            "SELECT n, strftime('%Y-%m-%d %H:%M:%f', created + took * k / 6.0), 'u1', 'moved',"
            f" {_column_case('k - 1')} || ' → ' || {_column_case('k')} "
            "FROM seeded JOIN step ON k <= col ORDER BY n, k"
        )
        for detail, offset in (
            (f"{COLUMNS[1]} → {COLUMNS[0]}", 0.25),
            (f"{COLUMNS[0]} → {COLUMNS[1]}", 0.3),
        ):
            conn.exec_driver_sql(
                "INSERT INTO task_events (task_id, at, actor_id, kind, detail) "
                "SELECT n, strftime('%Y-%m-%d %H:%M:%f', created + took * ?), 'u1', 'moved', ? "
                "FROM seeded WHERE n % 20 = 0 AND col >= 2",
                (offset, detail),
            )
        # The flow facts of those moves, as the migration derives them from history.
        conn.exec_driver_sql(
            "INSERT INTO task_moves (task_id, channel, at, from_column, to_column, seconds,"
            " backward) "
            "SELECT task_id, channel, at, substr(detail, 1, instr(detail, ' → ') - 1),"
            " substr(detail, instr(detail, ' → ') + 3),"
            " CAST(round((julianday(at) - julianday(entered)) * 86400) AS INTEGER), detail = ? "
            "FROM (SELECT e.task_id, t.channel, e.at, e.kind, e.detail,"
            "  LAG(e.at) OVER (PARTITION BY e.task_id ORDER BY e.at) AS entered"
            "  FROM task_events e JOIN tasks t ON t.id = e.task_id) "
            "WHERE kind = 'moved' ORDER BY task_id, at",
            (f"{COLUMNS[1]} → {COLUMNS[0]}",),
        )
        conn.exec_driver_sql(
            "INSERT INTO users (ws, user_id, display_name, tz, updated_at) "
            "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            "SELECT ?, 'u' || n, '用户 ' || n, 'Asia/Shanghai', ? FROM seq",
            (OWNERS - 1, WS, now),
        )
        conn.exec_driver_sql(
            "INSERT INTO channel_members (ws, user_id, channel, first_seen_at) "
            "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            "SELECT ?, ?, ? || '/c' || n, ? FROM seq",
            (CHANNELS - 1, WS, VIEWER, WS, now),
        )
    with app.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def _server_ms(response: aiohttp.ClientResponse) -> float:
    """The server's own time for a response, from its ``Server-Timing: app;dur=…`` header."""
    return float(response.headers["Server-Timing"].split("dur=")[1])


def _figures(times: list[float], cpu: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "requests": len(ordered),
        "first_ms": round(times[0], 1),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(ordered[-1], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


async def _time(
    http: aiohttp.ClientSession, url: str, count: int, *, status: int = 200
) -> dict[str, float]:
    """Server times of ``count`` requests, and the CPU each took: the server's and this client's
    (one process), which other programs on a busy machine stretch far less than wall time."""
    times, cpu = [], []
    for _ in range(count):
        started = time.process_time()
        async with http.get(url) as response:
            assert response.status == status, (url, response.status)
            await response.read()
            times.append(_server_ms(response))
        cpu.append((time.process_time() - started) * 1000)
    return _figures(times, cpu)


async def measure(app: App, requests: int) -> dict[str, object]:
    """Serve the dashboard and time its pages as a signed-in member of every channel."""
    dashboard = web_adapter(app)
    assert dashboard is not None
    await dashboard.start(Intake(app))
    runner = await start_http(dashboard.http_routes(), host="127.0.0.1", port=0)
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    with app.engine.begin() as conn:
        link = weblinks.issue(conn, ws=WS, user_id=VIEWER, now=NOW, base_url=base, limited=False)
    assert link is not None
    jar = aiohttp.CookieJar(unsafe=True)
    try:
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            token = link.split("token=")[1]
            async with http.post(f"{base}/web/login", data={"token": token}) as response:
                assert response.status == 200
            board = f"{base}/web/board?c={WS}/c0"
            async with http.get(board) as response:
                page = await response.text()
            poll = page.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            return {
                "board_page": await _time(http, board, requests),
                "board_refresh_unchanged": await _time(
                    http, f"{base}{poll}", requests, status=204
                ),
                "metrics_channel_90d": await _time(
                    http, f"{base}/web/metrics?c={WS}/c0&days=90", 20
                ),
                "metrics_team_90d": await _time(http, f"{base}/web/metrics?days=90", 20),
            }
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            timezone="Asia/Shanghai",
        )
        app = build_app(settings, clock=FrozenClock(NOW))
        result: dict[str, object] = {
            "tasks": args.tasks,
            "seed_seconds": round(seed(app, args.tasks), 1),
        }
        with app.engine.connect() as conn:
            counts = conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM tasks WHERE channel = ? AND done_at IS NULL),"
                " (SELECT count(*) FROM task_moves), (SELECT count(*) FROM task_moves WHERE at >= ?)",
                (f"{WS}/c0", _stamp(NOW - timedelta(days=90))),
            ).one()
        result |= {"open_in_channel": counts[0], "moves": counts[1], "moves_in_90_days": counts[2]}
        result |= asyncio.run(measure(app, args.requests))
        result["targets"] = {"board_page_p99_ms": 50, "metrics_90d_ms": 300}
        # Other programs' load stretches wall times (1, 5 and 15 minutes; 2.0 fills two cores).
        result["load_average"] = [round(n, 1) for n in os.getloadavg()]
        app.engine.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
