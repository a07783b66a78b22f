"""Flow, FAQ and standup metrics over a day of work done in chat, with a frozen clock and the
figures worked out by hand; and the migration that turns old history into move facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.app import App
from bot.clock import FrozenClock
from storage import db
from storage.flow import flow
from storage.metrics import Scope, Spread, faq, quantile
from storage.metrics import standups as participation
from tests.conftest import START, Chat
from tests.fakes.metrics import ask, daily_standup, escalate, run

OPS = "console:local/ops"
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


async def work_a_day(chat: Chat, clock: FrozenClock) -> None:
    """Tuesday 09:00 UTC: #1 and #2 go through the board, #2 bouncing back once; #3 stays open
    past its due date; #4 is deleted; #5 belongs to another channel."""
    for line in ("task add A", "task add B", "task add C due:2026-11-25 12:00", "task add D"):
        await chat.say(line)
    await chat.say("task add Elsewhere", channel="finance")
    await chat.say("task delete 4")
    steps = [
        (2, "task start 1"),  # 11:00, #1 sat 2 h in todo
        (1, "task start 2"),  # 12:00, #2 sat 3 h in todo
        (3, "task done 1"),  # 15:00, #1 sat 4 h in doing: cycle 6 h
        (1, "task move 2 todo"),  # 16:00, back (4 h in doing)
        (2, "task start 2"),  # 18:00, 2 h in todo again
        (6, "task done 2"),  # Wednesday 00:00, 6 h in doing: cycle 15 h
    ]
    for hours, line in steps:
        clock.advance(timedelta(hours=hours))
        assert "#" in await chat.say(line)
    await chat.say("task start 5", channel="finance")
    clock.advance(timedelta(hours=13))  # Wednesday 13:00 UTC, 21:00 in Shanghai


async def test_flow_figures_of_a_channel(chat: Chat, app: App, clock: FrozenClock) -> None:
    await work_a_day(chat, clock)
    now = clock.now()
    with app.engine.connect() as conn:
        figures = flow(
            conn, scope=Scope("console:local", (OPS,)), since=now - timedelta(days=7), now=now,
            tz=SHANGHAI,
        )  # fmt: skip
    assert figures.cycle == Spread(2, 37_800, 50_760)
    assert figures.in_column == [
        ("todo", Spread(3, 7_200, 10_080)),
        ("doing", Spread(3, 14_400, 20_160)),
    ]
    assert (figures.moves, figures.bounces, figures.bounced_tasks) == (6, 1, 1)
    assert figures.overdue == 1
    assert figures.throughput == [(date(2026, 11, 16), 0), (date(2026, 11, 23), 2)]
    # Shanghai days: nothing before Tuesday; 2 open at Tuesday's end (16:00 UTC), 1 now.
    assert figures.wip[-3:] == [
        (date(2026, 11, 23), 0),
        (date(2026, 11, 24), 2),
        (date(2026, 11, 25), 1),
    ]
    assert [d for d, _ in figures.wip][0] == date(2026, 11, 18)


async def test_a_window_that_starts_after_the_work_and_a_team_of_channels(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    await work_a_day(chat, clock)
    now = clock.now()
    team = Scope("console:local", (OPS, "console:local/finance"))
    with app.engine.connect() as conn:
        late = flow(conn, scope=team, since=START + timedelta(hours=14), now=now, tz=UTC)
        everyone = flow(conn, scope=team, since=now - timedelta(days=7), now=now, tz=UTC)
        nobody = flow(conn, scope=Scope("console:local", ()), since=START, now=now, tz=UTC)
    # From 23:00 UTC on: #2 finishing after 6 h in doing, and #5 started after 15 h in todo.
    assert late.cycle == Spread(1, 15 * HOUR, 15 * HOUR)
    assert late.in_column == [
        ("todo", Spread(1, 15 * HOUR, 15 * HOUR)),
        ("doing", Spread(1, 6 * HOUR, 6 * HOUR)),
    ]
    assert late.overdue == 1
    assert everyone.moves == 7 and everyone.wip[-1] == (date(2026, 11, 25), 2)
    assert nobody.cycle == Spread(0, None, None) and nobody.moves == 0


async def test_faq_figures_count_threads_of_the_channel_and_nothing_else(app: App) -> None:
    now = START + timedelta(days=2)
    with app.engine.begin() as conn:
        ask(conn, place=OPS, decision="answer", at=START, text="question 0")  # it helped
        ask(conn, place=f"{OPS}/1700.1", decision="answer", at=START + timedelta(hours=1),
            text="question 1", unhelpful=True)  # fmt: skip
        ask(conn, place=OPS, decision="escalate", at=START + timedelta(hours=2), text="question 2")
        ask(conn, place=OPS, decision="suggest", at=START + timedelta(hours=3), text="question 3")
        ask(conn, place="console:local/finance", decision="answer", at=START)  # elsewhere
        for answered_after, place in ((1, f"{OPS}/1700.2"), (30, f"{OPS}/1700.3"), (None, OPS)):
            after = None if answered_after is None else timedelta(hours=answered_after)
            escalate(conn, place=place, at=START, sla=timedelta(hours=24), answered_after=after)
    with app.engine.connect() as conn:
        figures = faq(
            conn, scope=Scope("console:local", (OPS,)), since=START - timedelta(days=7), now=now,
            tz=UTC,
        )  # fmt: skip
    assert (figures.questions, figures.answered) == (4, 1)
    assert figures.weekly == [(date(2026, 11, 16), 0, 0), (date(2026, 11, 23), 4, 1)]
    assert sorted(figures.unanswered) == ["question 1", "question 2"]
    assert figures.escalations == 3
    assert figures.first_response == Spread(2, 55_800, 97_560)
    assert figures.breaches == 2  # answered after 30 h, and never answered within 24 h


async def test_standup_participation_leaves_out_time_off_and_open_runs(app: App) -> None:
    now = START + timedelta(days=1)
    with app.engine.begin() as conn:
        standup = daily_standup(conn, channel=OPS, at=START - timedelta(days=3))
        runs = [
            ("alice", "2026-11-23", "answered", 0),
            ("bob", "2026-11-23", "unanswered", 0),
            ("carol", "2026-11-23", "away", 0),
            ("alice", "2026-11-24", "answered", 1),
            ("bob", "2026-11-24", "skipped", 1),
            ("carol", "2026-11-24", "prompted", 1),  # its window is still open
        ]
        for user, day, status, days_in in runs:
            prompt = START - timedelta(days=1) + timedelta(days=days_in)
            closes = (
                now + timedelta(hours=1) if status == "prompted" else prompt + timedelta(hours=3)
            )
            run(conn, standup=standup, user=user, day=day, status=status, prompt_at=prompt,
                closes_at=closes)  # fmt: skip
    with app.engine.connect() as conn:
        figures = participation(
            conn, scope=Scope("console:local", (OPS,)), since=START - timedelta(days=2), now=now,
            tz=UTC,
        )  # fmt: skip
    assert (figures.answered, figures.expected) == (2, 4)
    assert figures.daily[-3:] == [
        (date(2026, 11, 23), 1, 2),
        (date(2026, 11, 24), 1, 2),
        (date(2026, 11, 25), 0, 0),
    ]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([5.0], 0.9, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([0.0, 10.0], 0.9, 9.0),
    ],
)
def test_quantiles_interpolate_between_ranks(
    values: list[float], q: float, expected: float | None
) -> None:
    assert quantile(values, q) == expected


def test_the_migration_turns_history_into_move_facts_and_creators_into_members(
    database_url: str,
) -> None:
    engine = db.build_engine(database_url)
    from alembic import command

    command.upgrade(db.alembic_config(engine), "0001_foundation")
    created = datetime(2026, 11, 1, 8, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO boards (channel, columns, wip) VALUES (:c, :cols, '{}')"),
            {"c": OPS, "cols": '["todo", "doing", "review", "done"]'},
        )
        conn.execute(
            sa.text(
                'INSERT INTO tasks (id, ws, number, channel, source, title, "column", priority,'
                " tags, creator_id, created_at, updated_at) VALUES (1, 'console:local', 1, :c,"
                " '', 'Old task', 'review', 0, '', 'alice', :at, :at)"
            ),
            {"c": OPS, "at": created.replace(tzinfo=None)},
        )
        history = [("created", "Old task", 0), ("moved", "todo → doing", 2), ("note", "n", 3),
                   ("moved", "doing → review", 5), ("moved", "review → doing", 6),
                   ("moved", "doing → review", 10)]  # fmt: skip
        for kind, detail, hours in history:
            conn.execute(
                sa.text(
                    "INSERT INTO task_events (task_id, at, actor_id, kind, detail) "
                    "VALUES (1, :at, 'alice', :kind, :detail)"
                ),
                {"at": (created + timedelta(hours=hours)).replace(tzinfo=None), "kind": kind,
                 "detail": detail},
            )  # fmt: skip
    db.upgrade(engine)
    with engine.connect() as conn:
        facts = conn.execute(
            sa.text("SELECT from_column, to_column, seconds, backward FROM task_moves ORDER BY at")
        ).all()
    engine.dispose()
    assert [tuple(f) for f in facts] == [
        ("todo", "doing", 2 * HOUR, False),
        ("doing", "review", 3 * HOUR, False),
        ("review", "doing", 1 * HOUR, True),
        ("doing", "review", 4 * HOUR, False),
    ]
