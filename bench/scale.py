"""Scale-out benchmark: signed Slack ``/task add`` commands per second with 1, 2 and 4 ``baton run``
processes on one PostgreSQL database (and one process on SQLite), behind a round-robin client.

For each setup, the client keeps 64 requests in flight for ``--seconds`` and reports the commands
acknowledged per second with the 50th and 99th percentile of the acknowledgement time (what Slack
waits for: at most 3 s), then how long the processes took to finish the work (every acknowledged
command stored as a task; replies are paced per channel by design, so they are not what is timed),
and the commands handled per second overall. Prints one JSON line per setup and a
table. Needs a PostgreSQL server Baton may create databases on:

    .ci/with-postgres .venv/bin/python bench/scale.py [--seconds 15]

(``BATON_TEST_POSTGRES`` names the server; without it only the SQLite line is measured.)
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
import uuid
from pathlib import Path

import aiohttp
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes import slack as sl  # noqa: E402
from tests.fakes.processes import Baton, wait_listening  # noqa: E402

IN_FLIGHT = 64


def database(admin_url: str | None, workdir: Path) -> str:
    """A fresh database: on the PostgreSQL server, or a SQLite file."""
    if not admin_url:
        return f"sqlite:///{workdir / f'scale-{uuid.uuid4().hex[:8]}.db'}"
    name = f"baton_scale_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def tasks_in(url: str) -> int:
    """How many tasks the processes have created so far."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM tasks").scalar_one())
    finally:
        engine.dispose()


async def measure(url: str, processes: int, seconds: float) -> dict[str, object]:
    """One setup: start the processes, load them, wait for every reply, stop them."""
    platform = sl.FakeSlack(users={f"U{i}": sl.user(f"U{i}", f"P{i}") for i in range(20)})
    platform.start()
    ports = [sl.free_port() for _ in range(processes)]
    running: list[Baton] = []
    for port in ports:
        process = Baton(
            {
                "BATON_DATABASE_URL": url,
                "SLACK_SIGNING_SECRET": sl.SECRET,
                "SLACK_BOT_TOKEN": sl.BOT_TOKEN,
                "SLACK_API_URL": platform.api_url,
                "BATON_HTTP_PORT": str(port),
                "BATON_HTTP_HOST": "127.0.0.1",
            }
        )
        running.append(process)
        process.start()
        await asyncio.sleep(0.5)  # the first one migrates; the others find it done
    acks: list[float] = []
    errors = 0
    try:
        async with aiohttp.ClientSession() as session:
            for port, process in zip(ports, running, strict=True):
                await wait_listening(session, port, process)
            counter = iter(range(10**9))
            stop_at = time.perf_counter() + seconds

            async def client() -> None:
                nonlocal errors
                while time.perf_counter() < stop_at:
                    n = next(counter)
                    body = sl.command_body(
                        f"add bench {n}", command="/task", user_id=f"U{n % 20}",
                        channel=f"C{n % 500:03d}", trigger=f"t{n}",
                    )  # fmt: skip
                    headers = sl.signed_headers(
                        body, content_type="application/x-www-form-urlencoded"
                    )
                    port = ports[n % processes]
                    started = time.perf_counter()
                    try:
                        async with session.post(
                            f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
                        ) as resp:
                            ok = resp.status == 200
                    except aiohttp.ClientError:
                        ok = False
                    if ok:
                        acks.append(time.perf_counter() - started)
                    else:
                        errors += 1

            began = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))
            loaded = time.perf_counter() - began
            for _ in range(3000):  # every acknowledged command has become a task
                if tasks_in(url) >= len(acks):
                    break
                await asyncio.sleep(0.1)
            finished = time.perf_counter() - began
    finally:
        for process in running:
            process.stop()
    ordered = sorted(acks)
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "processes": processes,
        "commands": len(acks),
        "errors": errors,
        "acked_per_s": round(len(acks) / loaded, 1),
        "ack_ms_p50": round(statistics.median(ordered) * 1000, 1),
        "ack_ms_p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
        "handled_per_s": round(len(acks) / finished, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    admin = os.environ.get("BATON_TEST_POSTGRES")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        setups = [(database(None, Path(tmp)), 1)]
        if admin:
            setups += [(database(admin, Path(tmp)), n) for n in (1, 2, 4)]
        for url, processes in setups:
            figures = await measure(url, processes, args.seconds)
            print(json.dumps(figures))
            results.append(figures)
    print("\n| database | processes | acked/s | ack p50 ms | ack p99 ms | handled/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['database']} | {r['processes']} | {r['acked_per_s']} | {r['ack_ms_p50']} | "
            f"{r['ack_ms_p99']} | {r['handled_per_s']} |"
        )
    postgres = [r for r in results if r["database"] == "postgresql"]
    if len(postgres) >= 2:
        one, two = (float(str(r["handled_per_s"])) for r in postgres[:2])
        print(f"\n2 processes / 1 process on PostgreSQL: {two / one:.2f}x (target >= 1.7x)")


if __name__ == "__main__":
    asyncio.run(main())
