"""Reminders: due-soon and overdue task reminders within each person's working hours, ad-hoc and
recurring ``remind`` reminders, and the daily and weekly digests.

The feature's router is composed here, in help order: ad-hoc reminders, the channel's reminder
settings, then digests.
"""

from __future__ import annotations

from bot.feature import Feature, Tick
from bot.routing import Router
from commands.reminders import adhoc, digests, settings, ticks
from commands.reminders.messages import MESSAGES

router = Router("reminders").include(adhoc.router, settings.router, digests.router)

FEATURE = Feature(
    name="reminders",
    router=router,
    messages=MESSAGES,
    ticks=(
        Tick("tasks", ticks.remind_tasks),
        Tick("adhoc", adhoc.fire_adhoc),
        Tick("digests", digests.send_digests),
        Tick("prune", ticks.prune_claims),
    ),
)

__all__ = ["FEATURE"]
