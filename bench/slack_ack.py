"""The Slack acknowledgement path alone: CPU per signed ``/task add`` from request to ack.

What Slack waits for (at most 3 s) is the signature check, reading the form body and storing the
event in the inbox; the command runs after the ack. This times exactly that, in-process, for
``--commands`` requests made like Slack's (aiohttp's own request objects, no network, no workers
running the commands), so the figure is the ack path's own cost. Prints one JSON line.

    .venv/bin/python bench/slack_ack.py [--commands 3000]
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

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workload import latency_ms  # noqa: E402  (bench/, this script's folder)

from adapters.slack.adapter import SlackAdapter  # noqa: E402
from bot.intake import Intake  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from tests.fakes import slack as fake  # noqa: E402

WARM_UP = 200


def signed_request(n: int) -> web.Request:
    """Slash command ``n`` as Slack posts it: form-encoded, signed, its own trigger id."""
    body = fake.command_body(f"add Restock SKU-{n}", command="/task", trigger=f"ack-{n}")
    headers = fake.signed_headers(body, content_type="application/x-www-form-urlencoded")
    request = make_mocked_request("POST", "/slack/events", headers=headers)
    data = body.encode()

    async def read() -> bytes:
        return data

    request.read = read  # type: ignore[method-assign]
    return request


async def run(commands: int) -> dict[str, object]:
    """Ack ``commands`` requests after a warm-up; the CPU and wall time per ack."""
    platform = fake.FakeSlack(users={"U1": fake.user("U1", "Alice")})
    platform.start()
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(fake.settings(Path(folder) / "bench.db", platform))
        adapter = SlackAdapter(app.settings, app.clock)
        intake = Intake(app, workers=0)  # stored and queued, never run: only the ack is timed
        intake.register(adapter)
        await intake.start()
        await adapter.start(intake)
        [route] = adapter.http_routes()  # POST /slack/events, as the HTTP server calls it
        requests = [signed_request(n) for n in range(WARM_UP + commands)]
        for request in requests[:WARM_UP]:
            await route.handler(request)
        latencies: list[float] = []
        cpu_start = time.process_time()
        for request in requests[WARM_UP:]:
            began = time.perf_counter()
            response = await route.handler(request)
            latencies.append(time.perf_counter() - began)
            assert response.status == 200
        cpu = time.process_time() - cpu_start
        await intake.stop()
        app.engine.dispose()
    latencies.sort()
    return {
        "commands": commands,
        "cpu_us_per_ack": round(cpu / commands * 1e6, 1),
        **latency_ms(latencies),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Parse arguments, time the acks, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=3000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.commands))))


if __name__ == "__main__":
    main()
