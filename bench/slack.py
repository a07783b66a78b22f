"""Slack HTTP benchmark: signed slash commands through the real slack-bolt to a fake Web API.

Sends 200 signed ``/baton help`` commands one after another and times the acknowledgement (the
HTTP answer Slack waits for: target p95 <= 300 ms, Slack's limit is 3 s) and the reply reaching
the command's ``response_url`` (help is for the asker alone; target p95 <= 1 s). Prints JSON.

    .venv/bin/python bench/slack.py
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.slack.adapter import SlackAdapter  # noqa: E402
from bot.http_server import start_http  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from tests.fakes import slack as fake  # noqa: E402
from tests.fakes.intake import connect  # noqa: E402

COMMANDS = 200


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


async def main() -> None:
    platform = fake.FakeSlack(users={"U1": fake.user("U1", "Alice")})
    platform.start()
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
        probe.close()
        app = build_app(fake.settings(Path(tmp) / "bench.db", platform))
        adapter = SlackAdapter(app.settings, app.clock)
        intake = await connect(app, adapter)
        runner = await start_http(adapter.http_routes(), host="127.0.0.1", port=port)
        acks: list[float] = []
        replies: list[float] = []
        async with aiohttp.ClientSession() as session:
            for n in range(COMMANDS):
                body = fake.command_body(
                    "help",
                    user_id="U1",
                    trigger=f"bench.{n}",
                    response_url=platform.respond_url(f"bench.{n}"),
                )
                headers = fake.signed_headers(
                    body, content_type="application/x-www-form-urlencoded"
                )
                start = time.perf_counter()
                async with session.post(
                    f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
                ) as resp:
                    assert resp.status == 200
                acks.append(time.perf_counter() - start)
                await platform.wait_for("response_url", n + 1)
                replies.append(time.perf_counter() - start)
        await runner.cleanup()
        await adapter.stop()
        await intake.stop()
        app.outbox.flush_marks()  # as ``baton run`` does on its way out
        app.engine.dispose()
    print(
        json.dumps(
            {
                "commands": COMMANDS,
                "ack_ms_p50": round(statistics.median(acks) * 1000, 1),
                "ack_ms_p95": round(_p95(acks) * 1000, 1),
                "reply_ms_p50": round(statistics.median(replies) * 1000, 1),
                "reply_ms_p95": round(_p95(replies) * 1000, 1),
                "targets": {"ack_ms_p95": 300, "reply_ms_p95": 1000},
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
