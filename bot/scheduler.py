"""APScheduler drives short periodic ticks; all business rules live in the features' ticks.

Nothing live is pickled: jobs are plain intervals rebuilt at start-up, and each tick asks the database
what is due, so a restart or a late tick loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App

OUTBOX_SECONDS = 5.0
CHECKPOINT_SECONDS = 1.0
STOP_SECONDS = 5.0  # how long stopping waits for a job already running


class Schedule:
    """A started scheduler that stops cleanly: a job running (or just handed to the loop) when
    Baton stops is let finish, up to ``STOP_SECONDS``. APScheduler's own shutdown cancels it
    instead, and logs each such job as failed, with a traceback."""

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self._scheduler = scheduler
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(
            self._ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
        )

    def _submitted(self, _event: JobEvent) -> None:
        self._running += 1
        self._idle.clear()

    def _ended(self, _event: JobEvent) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    def start(self) -> None:
        """Run the jobs from now on."""
        self._scheduler.start()

    async def stop(self, *, within: float = STOP_SECONDS) -> None:
        """Start no more jobs, let the running ones finish (for at most ``within`` seconds), then
        shut the scheduler down."""
        self._scheduler.pause()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within)
        self._scheduler.shutdown(wait=False)


def build_scheduler(app: App) -> Schedule:
    """The feature tick, the database's log checkpoint and the outbox retry loop, on a schedule
    (not started)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        app.run_ticks,
        "interval",
        seconds=app.settings.tick_seconds,
        id="ticks",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        app.checkpoint,
        "interval",
        seconds=CHECKPOINT_SECONDS,
        id="checkpoint",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        app.outbox.drain,
        "interval",
        seconds=OUTBOX_SECONDS,
        id="outbox",
        max_instances=1,
        coalesce=True,
    )
    return Schedule(scheduler)
