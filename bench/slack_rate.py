"""Signed Slack ``/task add`` commands at a steady rate into one ``baton run`` process (SQLite).

The client sends on a fixed schedule (open loop: a slow answer does not slow the sender, as with
Slack) and times each acknowledgement, the HTTP answer Slack waits at most 3 s for. Baton runs in
its own process, so the client's work is not counted against it. Each rate is held for
``--seconds``; the line for a rate says whether it met the target (p99 ack <= 1 s, no error), and
the last line names the highest rate whose p99 stayed within Slack's 3 s.

    .venv/bin/python bench/slack_rate.py [--rates 250,500,1000] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes import slack as sl  # noqa: E402
from tests.fakes.processes import Baton, wait_listening  # noqa: E402

CHANNELS = 2000  # replies are paced per channel; spread them so the outbox is not what is timed


async def hold_rate(
    session: aiohttp.ClientSession, port: int, rate: int, seconds: float, first: int
) -> tuple[list[float], int]:
    """Send ``rate`` commands a second for ``seconds``; the ack times and the error count."""
    acks: list[float] = []
    errors = 0
    url = f"http://127.0.0.1:{port}/slack/events"
    timeout = aiohttp.ClientTimeout(total=10)

    async def one(n: int) -> None:
        nonlocal errors
        body = sl.command_body(
            f"add rate {n}", command="/task", user_id=f"U{n % 20}",
            channel=f"C{n % CHANNELS:04d}", trigger=f"r{n}",
        )  # fmt: skip
        headers = sl.signed_headers(body, content_type="application/x-www-form-urlencoded")
        started = time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                ok = resp.status == 200
        except (TimeoutError, aiohttp.ClientError):
            ok = False
        if ok:
            acks.append(time.perf_counter() - started)
        else:
            errors += 1

    total = int(rate * seconds)
    began = time.perf_counter()
    sending: list[asyncio.Task[None]] = []
    for i in range(total):
        delay = began + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sending.append(asyncio.ensure_future(one(first + i)))
    await asyncio.gather(*sending)
    return acks, errors


def percentile(values: list[float], share: float) -> float:
    """The value ``share`` of ``values`` stay within (ms)."""
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * share) - 1)] * 1000, 1) if ordered else -1.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="250,500,1000")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    platform = sl.FakeSlack(users={f"U{i}": sl.user(f"U{i}", f"P{i}") for i in range(20)})
    platform.start()
    port = sl.free_port()
    within_slack = 0
    with tempfile.TemporaryDirectory() as tmp:
        process = Baton(
            {
                "BATON_DATABASE_URL": f"sqlite:///{Path(tmp) / 'rate.db'}",
                "SLACK_SIGNING_SECRET": sl.SECRET,
                "SLACK_BOT_TOKEN": sl.BOT_TOKEN,
                "SLACK_API_URL": platform.api_url,
                "BATON_HTTP_PORT": str(port),
                "BATON_HTTP_HOST": "127.0.0.1",
            }
        )
        process.start()
        first = 0
        try:
            connector = aiohttp.TCPConnector(limit=2000)  # waits for a connection count
            async with aiohttp.ClientSession(connector=connector) as session:
                await wait_listening(session, port, process)
                for rate in (int(r) for r in args.rates.split(",")):
                    acks, errors = await hold_rate(session, port, rate, args.seconds, first)
                    first += int(rate * args.seconds)
                    p99 = percentile(acks, 0.99)
                    figures = {
                        "rate_per_s": rate,
                        "seconds": args.seconds,
                        "acked": len(acks),
                        "errors": errors,
                        "ack_ms_p50": percentile(acks, 0.50),
                        "ack_ms_p99": p99,
                        "target_met": errors == 0 and 0 <= p99 <= 1000,
                        "load_average": round(os.getloadavg()[0], 2),
                    }
                    print(json.dumps(figures), flush=True)
                    if errors == 0 and 0 <= p99 <= 3000:
                        within_slack = max(within_slack, rate)
                    await asyncio.sleep(3)  # let the queue drain between rates
        finally:
            process.stop()
    print(json.dumps({"highest_rate_with_p99_ack_within_3s": within_slack}))


if __name__ == "__main__":
    asyncio.run(main())
