"""Tasks: a chat message becomes a tracked task with owners, a due date, a board column, a
checklist and a history; anyone in the channel can list, move and close them, and who may do more
is decided by ``commands.access.rules``. Recurring tasks come back on their own; boards can be set
from templates. Creations and moves are told to the other features (:mod:`commands.tasks.signals`).

The feature's router is composed here, in help order: creating, showing, changing, the board's
layout, recurring tasks, then the card buttons and the bare ``task`` command.
"""

from __future__ import annotations

from bot.feature import Feature, Tick
from bot.routing import Router
from commands.tasks import board, buttons, create, edit, recurring, views
from commands.tasks.messages import MESSAGES

router = Router("tasks").include(
    create.router, views.router, edit.router, board.router, recurring.router, buttons.router
)

FEATURE = Feature(
    name="tasks",
    router=router,
    messages=MESSAGES,
    ticks=(Tick("recurring", recurring.make_occurrences),),
)

__all__ = ["FEATURE"]
