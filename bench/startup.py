"""Baton's start-up time and peak RSS with Feishu off and on, each in a fresh subprocess.

"Ready" means: app built (database migrated), adapters constructed and started; with Feishu on, the
long connection is up against a local fake Open API (so no network is needed). Prints JSON.

    .venv/bin/python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.feishu import FakeFeishu

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, json, sys, time
t0 = time.perf_counter()
from bot.wiring import build_app
from bot.config import Settings
from bot.intake import Intake
from bot.wiring import configured_adapters

def peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork/exec.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

async def main() -> dict:
    settings = Settings(_env_file=None, database_url=sys.argv[1], **json.loads(sys.argv[2]))
    app = build_app(settings)
    t_app = time.perf_counter()
    adapters = configured_adapters(app.settings, app.clock)
    t_adapters = time.perf_counter()
    intake = Intake(app)
    await intake.start()
    for adapter in adapters:
        intake.register(adapter)
        await adapter.start(intake)
    t_ready = time.perf_counter()
    figures = {
        "build_app_s": t_app - t0,
        "adapters_import_s": t_adapters - t_app,
        "adapters_start_s": t_ready - t_adapters,
        "ready_s": t_ready - t0,
        "peak_rss_mb": peak_rss_mb(),
    }
    if adapters:
        await asyncio.sleep(1.0)  # let the long connection come up (the parent times it)
    for adapter in adapters:
        await adapter.stop()
    await intake.stop()
    return figures

print(json.dumps(asyncio.run(main())))
"""


def run_child(fake: FakeFeishu, extra: dict[str, str], workdir: Path, n: int) -> dict[str, float]:
    """One fresh interpreter; its own figures plus the wall times seen from outside."""
    db = f"sqlite:///{workdir / f'bench-{n}.db'}"
    fake.connected.clear()
    started = time.perf_counter()
    connected = threading.Thread(target=fake.connected.wait, args=(60,))
    connected.start()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, db, json.dumps(extra)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = time.perf_counter() - started
    if extra:
        connected.join()
        figures["long_connection_up_s"] = fake.connected_at - started
    else:
        fake.connected.set()
        connected.join()
    return figures


def median(samples: list[dict[str, float]]) -> dict[str, float]:
    """Per-figure median over runs, rounded."""
    return {k: round(statistics.median(s[k] for s in samples), 3) for k in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    sys.path.insert(0, str(ROOT))
    from tests.fakes.feishu import FakeFeishu  # the fake lives in this (parent) process

    fake = FakeFeishu().start()
    feishu = {
        "feishu_app_id": "cli_bench",
        "feishu_app_secret": "secret",
        "feishu_domain": fake.url,
    }
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, extra in (("feishu_off", {}), ("feishu_on", feishu)):
            results[name] = median([run_child(fake, extra, work, i) for i in range(runs)])
    fake.stop()
    off, on = results["feishu_off"], results["feishu_on"]
    results["feishu_cost"] = {
        "ready_s": round(on["ready_s"] - off["ready_s"], 3),
        "peak_rss_mb": round(on["peak_rss_mb"] - off["peak_rss_mb"], 1),
    }
    print(json.dumps({"runs": runs, **results}, indent=2))


if __name__ == "__main__":
    main()
