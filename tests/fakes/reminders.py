"""Test helpers for reminders: task rows inserted directly, people with zones, scripted senders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from bot.app import App
from bot.events import Target
from bot.outbox import DeliveryError
from bot.replies import Reply
from storage.models import Task, TaskOwner
from storage.users import UserPrefs, save

CHANNEL = "console:local/ops"
WS = "console:local"


def add_task(
    app: App,
    number: int,
    *,
    due: datetime,
    owners: tuple[str, ...] = ("alice",),
    creator: str = "carol",
    title: str | None = None,
    created: datetime | None = None,
) -> int:
    """Insert an open task (the task commands live in another feature)."""
    at = created or datetime(2026, 11, 1, tzinfo=due.tzinfo)
    with app.engine.begin() as conn:
        task_id = conn.execute(
            Task.__table__.insert().values(  # type: ignore[attr-defined]
                ws=WS, number=number, channel=CHANNEL, title=title or f"Task {number}",
                column="todo", creator_id=creator, due_at=due, created_at=at, updated_at=at,
            )
        ).inserted_primary_key[0]  # fmt: skip
        for owner in owners:
            conn.execute(TaskOwner.__table__.insert().values(task_id=task_id, user_id=owner))  # type: ignore[attr-defined]
    return int(task_id)


def update_task(app: App, task_id: int, **values: object) -> None:
    """Change a task row as the tasks feature would (done_at, deleted_at, snoozed_until...)."""
    table = Task.__table__  # type: ignore[attr-defined]
    with app.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == task_id).values(**values))


def person(app: App, user_id: str, tz: str, locale: str | None = None) -> None:
    """Store someone's own time zone (and language)."""
    with app.engine.begin() as conn:
        save(
            conn,
            ws=WS,
            user_id=user_id,
            prefs=UserPrefs(user_id, tz, locale),
            now=datetime.now().astimezone(),
        )
    app.people.forget()


@dataclass
class Recorder:
    """A sender that records what it was asked to send."""

    sent: list[tuple[Target, Reply]] = field(default_factory=list)

    async def send(self, target: Target, reply: Reply) -> str | None:
        self.sent.append((target, reply))
        return f"ref-{len(self.sent)}"

    def to(self, who: str) -> list[str]:
        """Texts sent to user ``who`` (DM) or channel ``#who``."""
        return [
            r.text
            for t, r in self.sent
            if (t.user == who and not t.channel) or (who.startswith("#") and t.channel == who[1:])
        ]


@dataclass
class Scripted:
    """A sender that fails as scripted (one entry per call), then succeeds."""

    script: list[DeliveryError]
    calls: int = 0
    sent: list[tuple[Target, Reply]] = field(default_factory=list)

    async def send(self, target: Target, reply: Reply) -> str | None:
        self.calls += 1
        if self.script:
            raise self.script.pop(0)
        self.sent.append((target, reply))
        return "msg-1"


def rows(app: App, sql: str) -> list[tuple[object, ...]]:
    """Raw rows for assertions (replies sent so far recorded as sent first)."""
    app.outbox.flush_marks()
    with app.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]
