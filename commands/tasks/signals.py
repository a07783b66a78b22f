"""What the tasks feature tells other features (:mod:`bot.signals`): a task was created, a task
moved to another column. Raised in the transaction of the change; each carries ``key``, the name
of the change for good, so a listener acts on it once however often it is told."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Target
from storage.tasks import TaskRow


@dataclass(frozen=True, slots=True)
class TaskCreated:
    """``task`` was just created (by a person, a webhook, a series or a rule)."""

    task: TaskRow

    @property
    def key(self) -> str:
        """Names this creation."""
        return f"task:{self.task.id}:created"

    @property
    def ws(self) -> str:
        """The workspace of the task's board."""
        return Target.parse(self.task.channel).ws


@dataclass(frozen=True, slots=True)
class TaskMoved:
    """``task`` (as it is now) was moved out of column ``was``; ``done`` when into its board's
    last column. ``event_id`` is the move's history line."""

    task: TaskRow
    was: str
    done: bool
    event_id: int

    @property
    def key(self) -> str:
        """Names this move."""
        return f"task-event:{self.event_id}"

    @property
    def ws(self) -> str:
        """The workspace of the task's board."""
        return Target.parse(self.task.channel).ws
