"""APScheduler drives short periodic ticks; all business rules live in the features' ticks.

Nothing live is pickled: jobs are plain intervals rebuilt at start-up, and each tick asks the database
what is due, so a restart or a late tick loses nothing.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App

OUTBOX_SECONDS = 5.0
CHECKPOINT_SECONDS = 1.0


def build_scheduler(app: App) -> AsyncIOScheduler:
    """A scheduler with the feature tick, the database's log checkpoint and the outbox retry loop
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
    return scheduler
