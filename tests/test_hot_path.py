"""What a task command costs the database: a handful of statements, every read through an index
(nothing that grows with the number of tasks), and one commit per message, the outbox's "sent"
marks riding along in the next one (the plans checked are SQLite's); and the handler's savepoint,
said to the driver directly, still undoes a handler that fails in the database."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.app import App, Job
from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Reply
from bot.routing import Router
from bot.wiring import build_app
from commands import all_features
from storage import tasks
from tests.conftest import Chat

half_done = Router("half_done")


@half_done.command("half", usage="half")
def write_then_break(ctx: Ctx, args: str) -> Reply:
    """Write a row, then fail in the database the way a bug would (a duplicate key).
    zh: 写一行,然后出错。
    """
    insert = "INSERT INTO task_counters (ws, last_number) VALUES ('half', 1)"
    ctx.conn.exec_driver_sql(insert)
    ctx.conn.exec_driver_sql(insert)
    return Reply("unreachable")


# Tables whose size grows with a team's history: a full scan of any of them is a bug.
_GROWING = ("tasks", "task_owners", "task_events", "task_checklist", "outbox", "inbox", "boards")
_SCAN = re.compile(r"^SCAN (\w+)")


@pytest.fixture
def traced(app: App) -> list[str]:
    """Every statement SQLite runs from here on, with its values (connections are re-opened so
    each one is traced)."""
    if app.engine.dialect.name != "sqlite":
        pytest.skip("query plans are SQLite's")
    statements: list[str] = []

    def trace(connection: sqlite3.Connection, _record: Any) -> None:
        connection.set_trace_callback(statements.append)

    app.engine.dispose()
    sa.event.listen(app.engine, "connect", trace)
    return statements


def scans(app: App, statements: list[str]) -> list[str]:
    """The statements among ``statements`` whose plan scans a growing table."""
    found = []
    assert app.engine.url.database
    with contextlib.closing(sqlite3.connect(app.engine.url.database)) as raw:  # untraced
        for statement in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
                continue
            for *_, detail in raw.execute(f"EXPLAIN QUERY PLAN {statement}"):
                scanned = _SCAN.match(detail)
                if scanned and scanned.group(1) in _GROWING:
                    found.append(f"{detail}: {statement[:200]}")
    return found


async def test_task_commands_read_through_indexes_and_commit_once(
    chat: Chat, app: App, traced: list[str]
) -> None:
    for n in range(40):  # a few boards' worth of tasks, some owned, some done
        await chat.say(f"task add Seeded {n} @bob due:fri #stock", channel=f"c{n % 4}")
    await chat.say("task done 3", channel="c3")
    script = (
        ("alice", "task add Restock SKU-1 @bob due:fri #stock"),
        ("alice", "task list"),
        ("alice", "task move 41 doing"),
        ("alice", "task show 41"),
        ("bob", "my tasks"),
        ("alice", "task list doing"),
        ("alice", "task find restock"),
    )
    for user, line in script:
        traced.clear()
        printed = await chat.say(line, user=user, channel="c1")
        assert re.search(r"#\d+ ", printed), (line, printed)
        assert not scans(app, list(traced)), line
        commits = sum(1 for s in traced if s.strip().upper() == "COMMIT")
        assert commits <= 2, (line, commits)  # the message's own, and at most one for marks
        work = [s for s in traced if s.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE"))]
        assert 3 <= len(work) <= 12, (line, work)


async def test_a_reply_is_recorded_sent_with_the_next_message(chat: Chat, app: App) -> None:
    await chat.say("task add Count the pallets")
    with app.engine.connect() as conn:
        statuses = conn.execute(sa.text("SELECT status FROM outbox")).scalars().all()
    assert statuses == ["sending"]  # sent, its mark waiting for the next commit
    await chat.say("task list")
    with app.engine.connect() as conn:
        statuses = conn.execute(sa.text("SELECT status FROM outbox ORDER BY id")).scalars().all()
    assert statuses[0] == "sent"
    app.outbox.flush_marks()
    assert app.outbox.counts() == {"sent": 2}


async def test_a_handler_failing_in_the_database_leaves_nothing_half_written(
    settings: Settings, clock: FrozenClock
) -> None:
    feature = Feature(name="half_done", router=half_done, messages={})
    app = build_app(settings, clock=clock, features=[*all_features(), feature])
    chat = Chat(app, clock)
    try:
        assert "something went wrong on my side" in await chat.say("half")
        assert "Created #1" in await chat.say("task add Still works")  # the transaction went on
        with app.engine.connect() as conn:
            counters = conn.execute(sa.text("SELECT ws FROM task_counters")).scalars().all()
            events = conn.execute(sa.text("SELECT status FROM inbox")).scalars().all()
        assert counters == ["console:local"]  # the broken handler's row is gone
        assert events == ["done", "done"]  # both messages ran once, the failure answered
    finally:
        app.engine.dispose()


unsendable = Router("unsendable")


@unsendable.command("unsendable", usage="unsendable")
def write_then_answer_badly(ctx: Ctx, args: str) -> Reply:
    """Write a task, then answer with what no outbox can store (a bug found only when storing).
    zh: 写一个任务,然后给出无法保存的回复。
    """
    ctx.conn.exec_driver_sql(
        "INSERT INTO task_counters (ws, last_number) VALUES ('unsendable', 1)"
    )
    return Reply(b"not text")  # type: ignore[arg-type]


def test_messages_stored_together_share_one_commit_and_a_failing_one_is_undone_alone(
    settings: Settings, clock: FrozenClock
) -> None:
    feature = Feature(name="unsendable", router=unsendable, messages={})
    app = build_app(settings, clock=clock, features=[*all_features(), feature])
    console = ConsoleAdapter(clock, user="alice", channel="ops")
    commits: list[object] = []
    sa.event.listen(app.engine, "commit", commits.append)
    try:
        lines = ("task add First", "unsendable", "task add Third")
        stored = app.store_together([Job(console.to_inbound(line)) for line in lines])
        assert len(commits) == 1
        first, broken, third = stored
        assert isinstance(broken, TypeError)
        assert isinstance(first, list) and isinstance(third, list)
        assert ["Created #1" in q.reply.text for q in first] == [True]
        assert ["Created #2" in q.reply.text for q in third] == [True]
        with app.engine.connect() as conn:
            titles = conn.execute(sa.text("SELECT title FROM tasks ORDER BY number")).all()
            counters = conn.execute(sa.text("SELECT ws FROM task_counters")).scalars().all()
            seen = conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one()
        assert titles == [("First",), ("Third",)]
        assert counters == ["console:local"]  # the failing message's own write is undone…
        assert seen == 2  # …and so is its de-duplication row: a redelivery runs it again
    finally:
        app.engine.dispose()


async def test_the_log_is_folded_into_the_database_off_the_message_path(
    chat: Chat, app: App
) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite write-ahead log")
    assert app.engine.url.database
    file_only = f"file:{app.engine.url.database}?immutable=1"  # the database file, not its log

    def titles_in_the_file() -> list[str]:
        with contextlib.closing(sqlite3.connect(file_only, uri=True)) as raw:
            return [title for (title,) in raw.execute("SELECT title FROM tasks")]

    await app.checkpoint()  # the tables, as migrations left them
    await chat.say("task add Count the pallets")
    assert titles_in_the_file() == []  # committed to the log: no message waited for the copy
    await app.checkpoint()
    assert titles_in_the_file() == ["Count the pallets"]


racing = Router("racing")


@racing.command("race", usage="race")
def lose_the_first_race(ctx: Ctx, args: str) -> Reply:
    """The first time, collide with another writer the way a busy database does; then succeed.
    zh: 第一次与另一个写入者冲突,之后成功。
    """
    attempts: list[int] = ctx.memo.get("race-attempts", 0, list)
    attempts.append(1)
    if len(attempts) == 1:
        path = ctx.conn.engine.url.database
        assert path is not None
        with contextlib.closing(sqlite3.connect(path, timeout=0)) as other:
            other.execute("INSERT INTO task_counters (ws, last_number) VALUES ('race', 1)")
    return Reply(f"ran {len(attempts)} times")


def test_a_message_that_lost_a_race_runs_again_instead_of_answering_an_error(
    settings: Settings, clock: FrozenClock
) -> None:
    feature = Feature(name="racing", router=racing, messages={})
    app = build_app(settings, clock=clock, features=[*all_features(), feature])
    if app.engine.dialect.name != "sqlite":
        app.engine.dispose()
        pytest.skip("SQLite's busy writer")
    console = ConsoleAdapter(clock, user="alice", channel="ops")
    try:
        lines = ("task add Before", "race")
        before, raced = app.store_together([Job(console.to_inbound(line)) for line in lines])
        assert isinstance(before, list) and isinstance(raced, list)
        assert [q.reply.text for q in raced] == ["ran 2 times"]
        app.memo.get("race-attempts", 0, list).clear()
        alone = app.process(console.to_inbound("race"))  # in a transaction of its own
        assert [q.reply.text for q in alone] == ["ran 2 times"]
        with app.engine.connect() as conn:
            seen = conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one()
        assert seen == 3
    finally:
        app.engine.dispose()


def test_open_tasks_page_in_urgency_order_across_dated_and_undated(app: App) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    channel = "console:local/ops"
    expected: list[tuple[bool, datetime | None, int, int]] = []
    with app.engine.begin() as conn:
        for n in range(1, 24):
            due = None if n % 4 == 0 else start + timedelta(days=n % 5)
            priority = n % 3 - 1
            made = tasks.create(
                conn, ws="console:local", channel=channel, source="", title=f"t{n}",
                column="todo", priority=priority, tags=[], creator_id="a", owner_ids=[],
                due_at=due, now=start,
            )  # fmt: skip
            expected.append((due is None, due, -priority, made.number))
    expected.sort(key=lambda k: (k[0], k[1] or start, k[2], k[3]))
    seen: list[int] = []
    with app.engine.connect() as conn:
        for offset in range(0, 27, 3):  # pages of 3, the last one empty
            rows, total = tasks.search(
                conn, ws="console:local", channel=channel, limit=3, offset=offset
            )
            assert total == 23
            seen += [row.number for row in rows]
    assert seen == [number for *_, number in expected]


def test_prepared_statements_store_and_read_times_as_sqlalchemy_does(tmp_path: Any) -> None:
    """The prepared path's own time conversion writes the text SQLAlchemy writes (stored times
    compare as text, whichever path wrote them) and reads back the same aware UTC time."""
    from zoneinfo import ZoneInfo

    from storage.db import build_engine
    from storage.prepared import Prepared, insert_values
    from storage.types import UtcDateTime

    engine = build_engine(f"sqlite:///{tmp_path / 'times.db'}")
    table = sa.Table(
        "times",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.String(10)),
        sa.Column("at", UtcDateTime()),
    )
    table.metadata.create_all(engine)
    insert = Prepared(insert_values(table, ["path", "at"]))
    read = Prepared(sa.select(table.c.at).where(table.c.path == sa.bindparam("path")))
    moments = [
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 1, 2, 3, 4, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("America/Los_Angeles")),
        datetime(1, 1, 2, tzinfo=UTC),
    ]
    for moment in moments:
        with engine.begin() as conn:
            conn.execute(table.delete())
            conn.execute(table.insert().values(path="alchemy", at=moment))
            insert.count(conn, {"path": "prepared", "at": moment})
            stored = dict(conn.exec_driver_sql("SELECT path, at FROM times").fetchall())
            assert stored["prepared"] == stored["alchemy"]
            back = read.first(conn, {"path": "prepared"})
            alchemy = conn.execute(sa.select(table.c.at).where(table.c.path == "alchemy"))
        assert back is not None and back[0] == moment == alchemy.scalar_one()
        assert back[0].tzinfo is UTC
    engine.dispose()


def test_each_transaction_takes_the_sqlite_connection_used_last(tmp_path: Any) -> None:
    """A connection whose page cache is valid is the one that wrote last: after another thread's
    connection (the checkpoint's) was in use at the same time, messages go on with the one they
    used before instead of alternating (which made each re-read the pages the other wrote)."""
    from storage.db import build_engine

    engine = build_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    with engine.connect() as messages, engine.connect() as checkpoint:
        used_by_messages = messages.connection.driver_connection
        used_by_checkpoint = checkpoint.connection.driver_connection
    # the checkpoint's connection went back first, the messages' last
    for _ in range(3):
        with engine.begin() as conn:
            assert conn.connection.driver_connection is used_by_messages
    assert used_by_checkpoint is not used_by_messages
    engine.dispose()
