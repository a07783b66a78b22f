"""Stopping Baton while a scheduled job runs: the job finishes (bounded), nothing is logged as a
failure. APScheduler's own shutdown cancels such a job and logs it with a traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler import Schedule


def _schedule_of(job: object) -> Schedule:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(job, "interval", seconds=0.05, max_instances=1, coalesce=True)
    return Schedule(scheduler)


async def test_a_job_running_when_baton_stops_finishes_and_nothing_is_logged_as_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def fold_the_log() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()

    schedule = _schedule_of(fold_the_log)
    schedule.start()
    await asyncio.wait_for(started.wait(), 5)
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        await schedule.stop()
    assert finished.is_set()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_stopping_waits_for_a_long_job_no_longer_than_its_bound() -> None:
    started = asyncio.Event()

    async def sweep() -> None:
        started.set()
        await asyncio.sleep(30)

    schedule = _schedule_of(sweep)
    schedule.start()
    await asyncio.wait_for(started.wait(), 5)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await schedule.stop(within=0.2)
    assert loop.time() - began < 2
