"""Automation: work finding people. When-then rules on a board (``rule add when moved to shipped
notify @cs``), fired once per change in the change's own transaction; inbound webhooks that create
tasks (``hook add``), verified and stored by the hooks adapter; and the names channels go by in
rules (``channel name``).

Rules hear the tasks feature and the FAQ through signals (:mod:`bot.signals`): neither imports
automation. The feature's router is composed here, in help order: rules, then webhooks.
"""

from __future__ import annotations

from bot.feature import Feature, Tick
from bot.routing import Router
from bot.signals import Listen
from commands.automation import engine, hooks, rules, webhook
from commands.automation.messages import MESSAGES
from commands.faq.signals import EscalationOverdue
from commands.tasks.signals import TaskCreated, TaskMoved

router = Router("automation").include(rules.router, hooks.router, webhook.router)

FEATURE = Feature(
    name="automation",
    router=router,
    messages=MESSAGES,
    ticks=(Tick("overdue", engine.fire_overdue),),
    listens=(
        Listen(TaskCreated, engine.on_created),
        Listen(TaskMoved, engine.on_moved),
        Listen(EscalationOverdue, engine.on_escalation),
    ),
)

__all__ = ["FEATURE"]
