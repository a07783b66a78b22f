"""Recurring tasks: ``task add "周报" every fri 17:00`` puts a new task on the board at each
occurrence, on the creator's wall clock (across a daylight-saving change), once (across doubled
ticks, two processes and a restart), and not while the previous one is still open unless asked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.wiring import build_app
from commands.recurrence import describe, next_occurrence, parse_every
from tests.conftest import Chat


def titles(app: App) -> list[str]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT title FROM tasks ORDER BY number")).scalars()
        return [str(title) for title in rows]


def created_at(app: App) -> list[datetime]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT created_at FROM tasks ORDER BY number")).scalars()
        stamps = [r if isinstance(r, datetime) else datetime.fromisoformat(str(r)) for r in rows]
        return [s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps]


async def test_weekly_task_comes_on_friday_at_the_creators_time_once(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    await chat.say("tz Asia/Shanghai")
    added = await chat.say('task add "Weekly report" every fri 17:00 #report @bob')
    assert "R1" in added and "every Fri 17:00 (Asia/Shanghai)" in added
    assert "Fri 27 Nov 17:00" in added
    clock.set(datetime(2026, 11, 27, 8, 59, tzinfo=UTC))  # 16:59 in Shanghai
    await chat.tick()
    assert titles(app) == []
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    posted = await chat.tick()
    assert "R1: #1 “Weekly report” is on the board" in posted
    assert "→ DM @bob" in posted and "assigned you task #1" in posted
    assert await chat.tick() == ""  # the same occurrence, ticked again
    assert titles(app) == ["Weekly report"]
    shown = await chat.say("task show 1")
    assert "#report" in shown and "@bob" in shown


async def test_doubled_ticks_in_two_processes_create_one_task(
    chat: Chat, app: App, settings: Settings, clock: FrozenClock
) -> None:
    await chat.say("task add Stock count every day 08:00")
    other = build_app(settings, clock=clock)
    try:
        clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
        await asyncio.gather(app.run_ticks(), asyncio.to_thread(_tick_rows, other))
    finally:
        other.engine.dispose()
    assert titles(app) == ["Stock count"]


def _tick_rows(app: App) -> None:
    """One pass of another process's tasks ticks (queueing only: it has no adapter)."""
    ctx = app.tick_ctx()
    for tick in app.ticks:
        if tick.name == "tasks.recurring":
            tick.run(ctx)


async def test_a_restart_neither_repeats_nor_loses_an_occurrence(
    chat: Chat, app: App, settings: Settings, clock: FrozenClock
) -> None:
    await chat.say("task add Ad budget review every weekday 10:00")
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    await chat.tick()
    await chat.say("task done 1")
    restarted = build_app(settings, clock=clock)
    try:
        restarted.outbox.register(chat.console.platform, chat.console)
        await restarted.run_ticks()  # the same moment again, after the restart: nothing new
        assert titles(restarted) == ["Ad budget review"]
        clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))  # down over the weekend until Monday
        await restarted.run_ticks()
        await restarted.run_ticks()
        assert titles(restarted) == ["Ad budget review"] * 2  # Thursday and Friday missed: one
    finally:
        restarted.engine.dispose()


async def test_daily_task_keeps_its_wall_clock_time_across_daylight_saving(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    clock.set(datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    await chat.say("tz Europe/Berlin")
    await chat.say("task add Open the shop every day 9:00")
    await chat.say("task recur R1 always")
    for day in (27, 28, 29):  # the clocks go forward in the night to Sunday the 28th
        clock.set(datetime(2027, 3, day, 9, 0, tzinfo=berlin).astimezone(UTC))
        await chat.tick()
    local = [moment.astimezone(berlin) for moment in created_at(app)]
    assert [(m.day, m.hour, m.minute) for m in local] == [(27, 9, 0), (28, 9, 0), (29, 9, 0)]
    assert [m.utcoffset() for m in local] == [timedelta(hours=1), *[timedelta(hours=2)] * 2]


async def test_a_new_one_waits_while_the_last_is_open_unless_always(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    await chat.say("task add Reply to reviews every day 9:00")
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    await chat.tick()
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    await chat.tick()
    assert titles(app) == ["Reply to reviews"]  # #1 is still open
    await chat.say("task done 1")
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    await chat.tick()
    assert len(titles(app)) == 2
    assert "a new task every time" in await chat.say("task recur R1 always") + await chat.say(
        "task recur"
    )
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    await chat.tick()
    assert len(titles(app)) == 3


async def test_recurring_in_chinese_and_turned_off_by_a_task_of_it(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    added = await chat.say("新建任务 周报 每周五 17点")
    assert "重复任务 R1:“周报”,每周五 17:00(UTC)" in added
    clock.set(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    assert "R1:#1“周报”已加入看板" in await chat.tick()
    assert "已关闭" in await chat.say("任务 重复 #1 关")
    listed = await chat.say("任务 重复")
    assert "R1“周报”" in listed and "已关闭" in listed
    clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    await chat.tick()
    assert titles(app) == ["周报"]
    resumed = await chat.say("任务 重复 R1 开")
    assert "12月11日 周五 17:00" in resumed


async def test_monthly_on_the_first_and_on_a_day_some_months_lack(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    assert "Tue 1 Dec 09:00" in await chat.say("task add Pay suppliers every month 1st")
    assert "11月30日 周一 18:00" in await chat.say("新建任务 对账 每月31号 18点")  # its last day
    utc = ZoneInfo("UTC")
    every = parse_every("每月31号 18点")
    assert every is not None and every.every == "monthly:31" and every.at == time(18)
    january = datetime(2027, 1, 31, 18, 0, tzinfo=UTC)
    assert next_occurrence(every.every, every.at, after=january, tz=utc) == datetime(
        2027, 2, 28, 18, 0, tzinfo=UTC
    )
    assert describe("monthly:1", time(9), "en") == "every month on the 1st 09:00"
    assert describe("weekdays", time(9), "zh") == "每个工作日 09:00"


async def test_bad_recurring_requests_change_nothing(chat: Chat, app: App) -> None:
    assert "needs a title" in await chat.say("task add every fri 17:00")
    assert "can't have one fixed due date" in await chat.say("task add Report every fri due:mon")
    assert "no recurring task “R9”" in await chat.say("task recur R9 off")
    assert "Try `task recur`" in await chat.say("task recur R1 sideways")
    await chat.say("task add Check ads every mon")
    assert "Only whoever set up" in await chat.say("task recur R1 off", user="bob")
    assert "did not come from a recurring task" in await chat.say(
        "task add One-off"
    ) + await chat.say("task recur #1 off")
    assert "next:" in await chat.say("task recur")
    with app.engine.connect() as conn:
        stopped = conn.execute(sa.text("SELECT stopped_at FROM task_series")).scalar()
    assert stopped is None


async def test_a_title_that_only_starts_like_a_recurrence_stays_a_title(
    chat: Chat, app: App
) -> None:
    await chat.say("新建任务 每日销售报表 截止:周五")
    await chat.say("task add Check every SKU price")
    assert titles(app) == ["每日销售报表", "Check every SKU price"]
