"""The personal home page: my open tasks, overdue and due soon first, and my standups."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from adapters.slack.inbound import home_for
from bot.app import App
from bot.clock import FrozenClock
from bot.events import Platform
from storage.models import Task, TaskOwner
from tests.fakes.messages import make_actor


def _task(
    app: App, clock: FrozenClock, number: int, title: str, owner: str, **extra: object
) -> None:
    now = clock.now()
    with app.engine.begin() as conn:
        task_id = conn.execute(
            sa.insert(Task.__table__).values(  # type: ignore[attr-defined]
                ws="slack:T1",
                number=number,
                channel="slack:T1/C1",
                title=title,
                column="todo",
                creator_id=owner,
                created_at=now + timedelta(minutes=number),
                updated_at=now,
                **extra,
            )
        ).inserted_primary_key[0]
        conn.execute(sa.insert(TaskOwner.__table__).values(task_id=task_id, user_id=owner))  # type: ignore[attr-defined]


def _open(app: App, clock: FrozenClock, user: str, locale: str = "en-US", key: str = "h1") -> list:
    actor = make_actor(
        user, platform=Platform.SLACK, workspace="T1", tz="Asia/Shanghai", locale=locale
    )
    return app.process(home_for(actor, key, clock.now()))


def test_home_lists_overdue_then_due_soon_then_undated_with_buttons(
    app: App, clock: FrozenClock
) -> None:
    now = clock.now()
    _task(app, clock, 1, "Undated", "U1")
    _task(app, clock, 2, "Due soon", "U1", due_at=now + timedelta(hours=3))
    _task(app, clock, 3, "Overdue", "U1", due_at=now - timedelta(days=1))
    _task(app, clock, 4, "Done already", "U1", done_at=now)
    _task(app, clock, 5, "Someone else's", "U2")
    [queued] = _open(app, clock, "U1")
    card = queued.reply.card
    assert card is not None and card.title == "My tasks"
    assert [f.label for f in card.fields] == ["#3 Overdue", "#2 Due soon", "#1 Undated"]
    assert "overdue since 2026-11-23 17:00" in card.fields[0].value  # shown in the reader's zone
    assert [(b.action, b.value) for b in card.buttons[:2]] == [
        ("task.done", "3"),
        ("task.start", "3"),
    ]


def test_home_is_empty_and_chinese_for_a_chinese_profile(app: App, clock: FrozenClock) -> None:
    [queued] = _open(app, clock, "U9", locale="zh-CN")
    card = queued.reply.card
    assert card is not None and card.title == "我的任务" and "没有未完成的任务" in card.body
