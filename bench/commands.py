"""Throughput and latency of task commands through Baton's whole message path.

Each command is one user message handled by ``App.handle``: de-duplication, routing, the handler's
reads and writes, reply rendering, the outbox row, its claim and its "sent" mark, on a real SQLite
file in WAL mode with ``EXISTING`` tasks already stored; and, in the same run, the same workload as a
bare asyncio loop over ``sqlite3`` (the floor any framework sits on) and on opsdroid (the framework
a team would otherwise pick; ``bench/opsdroid_tasks.py``, when ``make bench-opsdroid`` has made its
virtualenv). Prints one JSON line.

    python bench/commands.py [--messages 5000] [--existing 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workload import per_message, script  # noqa: E402  (bench/, this script's folder)

from adapters.console import ConsoleAdapter  # noqa: E402
from bot.app import App  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events import Target  # noqa: E402
from bot.replies import Reply  # noqa: E402
from bot.scheduler import CHECKPOINT_SECONDS  # noqa: E402
from bot.wiring import build_app  # noqa: E402

OPSDROID_PYTHON = Path(__file__).resolve().parent.parent / ".venv-opsdroid" / "bin" / "python"


class NullSender:
    """A platform that accepts everything instantly, so the figure is Baton's own cost."""

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Render nothing, return a message id."""
        return "m"


def seed(app: App, existing: int, now: datetime) -> None:
    """Store ``existing`` tasks in a few channels with bulk inserts."""
    if existing <= 0:
        return
    chunk = 50_000  # rows per insert, so seeding does not swell the peak RSS measured after it
    for first in range(1, existing + 1, chunk):
        _seed_rows(app, range(first, min(first + chunk, existing + 1)), now)
    from storage.models import TaskCounter

    with app.engine.begin() as conn:
        conn.execute(
            TaskCounter.__table__.insert().values(ws="console:local", last_number=existing)  # type: ignore[attr-defined]
        )


def _seed_rows(app: App, numbers: range, now: datetime) -> None:
    """One bulk insert of the tasks numbered ``numbers``."""
    rows = [
        {
            "ws": "console:local",
            "number": n,
            "channel": f"console:local/ch{n % 20}",
            "source": "",
            "title": f"Seeded task {n}",
            "column": ("todo", "doing", "done")[n % 3],
            "priority": 0,
            "tags": "",
            "creator_id": "seed",
            "due_at": now + timedelta(days=n % 30),
            "created_at": now,
            "updated_at": now,
        }
        for n in numbers
    ]
    from storage.models import Task

    with app.engine.begin() as conn:
        conn.execute(Task.__table__.insert(), rows)  # type: ignore[attr-defined]


async def checkpoints(app: App) -> None:
    """The database checkpoint ``baton run`` schedules, on the same interval (its CPU counts)."""
    while True:
        await asyncio.sleep(CHECKPOINT_SECONDS)
        await app.checkpoint()


async def run(messages: int, existing: int) -> dict[str, float]:
    """Time ``messages`` commands; returns the figures."""
    started = time.perf_counter()
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    folder = Path(tempfile.mkdtemp(prefix="baton-bench-"))
    settings = Settings(_env_file=None, database_url=f"sqlite:///{folder / 'bench.db'}")  # type: ignore[call-arg]
    app = build_app(settings, clock=clock)
    console = ConsoleAdapter(clock, user="alice", channel="ch1")
    app.outbox.register(console.platform, NullSender())
    startup = time.perf_counter() - started
    seed(app, existing, now)
    latencies: list[float] = []
    keeper = asyncio.create_task(checkpoints(app))
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    for i in range(messages):
        inbound = console.to_inbound(script(i, existing + 1))
        t0 = time.perf_counter()
        await app.handle(inbound)
        latencies.append(time.perf_counter() - t0)
        clock.advance(timedelta(milliseconds=1))
        await asyncio.sleep(0)  # the loop's turn for the checkpoint, as in ``baton run``
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    keeper.cancel()
    latencies.sort()
    app.engine.dispose()
    return {
        "messages": messages,
        "existing_tasks": existing,
        **per_message(messages, wall, cpu, latencies),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "startup_s": round(startup, 3),
    }


async def bare(messages: int, existing: int) -> dict[str, float]:
    """The floor, in the same run: the same workload as a bare asyncio loop over ``sqlite3``
    (parse the words, one statement, commit) with none of Baton's work (no de-duplication,
    permissions, history, replies or outbox)."""
    folder = Path(tempfile.mkdtemp(prefix="baton-bare-"))
    db = sqlite3.connect(folder / "bare.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, channel TEXT, title TEXT, col TEXT)")
    db.execute("CREATE INDEX t_channel ON t (channel, col)")
    seeded = ((n, f"ch{n % 20}", f"Seeded task {n}", "todo") for n in range(1, existing + 1))
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", seeded)
    db.commit()
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    for i in range(messages):
        words = script(i, existing + 1).split()
        if words[1] == "add":
            db.execute("INSERT INTO t (channel, title, col) VALUES ('ch1', ?, 'todo')", words[2:3])
        elif words[1] == "list":
            db.execute("SELECT * FROM t WHERE channel = 'ch1' ORDER BY n LIMIT 20").fetchall()
        elif words[1] == "move":
            db.execute("UPDATE t SET col = ? WHERE n = ?", (words[3], int(words[2])))
        else:
            db.execute("SELECT * FROM t WHERE n = ?", (int(words[2]),)).fetchone()
        db.commit()
        await asyncio.sleep(0)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    db.close()
    return {
        "msgs_per_s": round(messages / wall, 1),
        "cpu_us_per_msg": round(cpu / messages * 1e6, 1),
    }


def opsdroid(python: Path, messages: int, existing: int) -> dict[str, object] | None:
    """The same workload on opsdroid (``bench/opsdroid_tasks.py``), in the same run, with the
    interpreter of its own virtualenv (``make bench-opsdroid`` makes it); None without one."""
    if not python.exists():
        return None
    peer = Path(__file__).resolve().parent / "opsdroid_tasks.py"
    command = [str(python), str(peer), "--messages", str(messages), "--existing", str(existing)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Parse arguments, run Baton, the bare loop and opsdroid, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--existing", type=int, default=10_000)
    parser.add_argument("--opsdroid-python", type=Path, default=OPSDROID_PYTHON)
    args = parser.parse_args()
    figures: dict[str, object] = dict(asyncio.run(run(args.messages, args.existing)))
    floor = asyncio.run(bare(args.messages, args.existing))
    figures["bare_loop"] = floor
    peer = opsdroid(args.opsdroid_python, args.messages, args.existing)
    figures["opsdroid"] = peer or "not installed: make bench-opsdroid"
    if peer is not None:
        figures["times_opsdroid_throughput"] = round(
            float(figures["msgs_per_s"]) / float(peer["msgs_per_s"]),  # type: ignore[arg-type]
            2,
        )
    figures["times_the_bare_loop_cpu"] = round(
        float(figures["cpu_us_per_msg"]) / max(floor["cpu_us_per_msg"], 0.1),
        1,  # type: ignore[arg-type]
    )
    figures["targets"] = {"msgs_per_s": 9000, "cpu_us_per_msg": 110, "p99_ms": 2, "rss_mb": 120}
    figures["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
