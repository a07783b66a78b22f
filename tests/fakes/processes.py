"""``baton run`` as a process of its own, for tests that kill, restart or multiply it, and what such
tests look at in the database."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.config import Settings
from bot.wiring import build_app
from storage import reminders
from storage.models import Task, TaskCounter, TaskOwner
from storage.types import table
from tests.fakes import slack as sl

ROOT = Path(__file__).resolve().parent.parent.parent


class Baton:
    """``baton run`` as a process of its own, started (and restarted) with one environment."""

    def __init__(self, env: dict[str, str]) -> None:
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BATON_", "SLACK_", "FEISHU_", "DINGTALK_"))
        }
        self.env = {**clean, "BATON_LOG_LEVEL": "WARNING", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (kept as long as the process runs)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "run"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def tail(self) -> str:
        """The end of what the process wrote to stderr (its log), to say why it stopped."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as when a machine loses power."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def until(check: Callable[[], Awaitable[bool] | bool], what: str, within: float) -> float:
    """Wait until ``check`` holds; returns how long that took."""
    began = time.monotonic()
    while True:
        result = check()
        if await result if isinstance(result, Awaitable) else result:
            return time.monotonic() - began
        if time.monotonic() - began > within:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def titles(database_url: str) -> collections.Counter[str]:
    """How many tasks carry each title (and that every task number is unique)."""
    engine = sa.create_engine(database_url)
    tasks = table(Task)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tasks.c.title, tasks.c.number)).all()
            conn.execute(sa.select(table(TaskCounter))).all()
    finally:
        engine.dispose()
    assert len({number for _, number in rows}) == len(rows)
    return collections.Counter(title for title, _ in rows)


def seed_due_tasks(database_url: str, count: int) -> None:
    """``count`` open tasks due tomorrow in one Slack channel, each with an owner of its own, and
    reminders allowed at any hour of any day (the test runs whenever CI does)."""
    app = build_app(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]
    now = datetime.now(UTC)
    tasks, owners = table(Task), table(TaskOwner)
    with app.engine.begin() as conn:
        for n in range(count):
            task_id = conn.execute(
                tasks.insert().values(
                    ws=f"slack:{sl.TEAM}",
                    number=n + 1,
                    channel=f"slack:{sl.TEAM}/C001",
                    title=f"crash-{n:03d}",
                    column="todo",
                    creator_id="U0",
                    due_at=now + timedelta(days=1),
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key
            assert task_id is not None
            conn.execute(owners.insert().values(task_id=task_id[0], user_id=f"W{n:03d}"))
        reminders.save_setting(
            conn, scope=f"slack:{sl.TEAM}", now=now, quiet="00:00-00:00", weekends=True
        )
    app.engine.dispose()


def slack_env(database_url: str, platform: sl.FakeSlack, port: int) -> dict[str, str]:
    """The environment of a ``baton run`` that answers the fake Slack over HTTP on ``port``."""
    return {
        "BATON_DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": sl.SECRET,
        "SLACK_BOT_TOKEN": sl.BOT_TOKEN,
        "SLACK_API_URL": platform.api_url,
        "BATON_HTTP_PORT": str(port),
        "BATON_HTTP_HOST": "127.0.0.1",
    }


async def wait_listening(
    session: aiohttp.ClientSession, port: int, process: Baton, within: float = 60
) -> None:
    """Wait until ``process`` answers ``/healthz`` on ``port`` (failing with its log if it died)."""

    async def healthy() -> bool:
        assert process.alive(), process.tail()
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                return resp.status == 200
        return False

    await until(healthy, f"baton run on port {port}", within)


async def send_task_commands(
    session: aiohttp.ClientSession,
    ports: list[int],
    count: int,
    *,
    channels: int,
    acked: set[int],
    in_flight: int = 50,
) -> None:
    """``count`` signed ``/task add crash-NNN`` commands, round-robin over ``ports``, from ten
    people over ``channels`` channels; ``acked`` collects the numbers Baton acknowledged (a
    request to a process that has died just fails)."""
    gate = asyncio.Semaphore(in_flight)

    async def command(n: int) -> None:
        body = sl.command_body(
            f"add crash-{n:03d}",
            command="/task",
            user_id=f"U{n % 10}",
            channel=f"C{n % channels:03d}",
            trigger=f"trigger-{n}",
        )
        headers = sl.signed_headers(body, content_type="application/x-www-form-urlencoded")
        url = f"http://127.0.0.1:{ports[n % len(ports)]}/slack/events"
        async with gate:
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                timeout = aiohttp.ClientTimeout(total=5)
                async with session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                    if resp.status == 200:
                        acked.add(n)

    await asyncio.gather(*(command(n) for n in range(count)))
