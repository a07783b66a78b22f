"""Tasks as people use them through the console, in English and Chinese."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.wiring import build_app
from tests.conftest import Chat
from tests.fakes.messages import make_button


def count(app: App, table: str) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


async def press(chat: Chat, action: str, value: str, *, user: str = "alice") -> str:
    """Press a button as ``user`` (what a platform adapter sends for a click)."""
    click = make_button(
        action, value, message_ref="console-1", user=user, received_at=chat.clock.now()
    )
    return await chat.send(click)


async def test_task_add_with_owner_due_priority_and_tags(chat: Chat) -> None:
    reply = await chat.say('task add "Restock SKU-1" @bob due:tomorrow 3pm !high #stock')
    assert "Created #1: Restock SKU-1" in reply
    assert "Owner: @bob" in reply
    assert "Due: 2026-11-25 Wed 15:00" in reply  # 15:00 in the team zone (UTC)
    assert "Priority: high" in reply and "Tags: #stock" in reply
    assert "→ DM @bob: @alice assigned you task #1: Restock SKU-1" in reply
    listing = await chat.say("task list")
    assert "#1 Restock SKU-1 · @bob" in listing


async def test_task_add_in_chinese_answers_in_chinese(chat: Chat) -> None:
    reply = await chat.say("新建任务 补货 SKU-2 @bob 截止:明天下午3点")
    assert "已创建 #1:补货 SKU-2" in reply
    assert "截止: 2026-11-25 周三 15:00" in reply
    assert "给您指派了任务" not in reply  # bob has no language set: the DM is in the team default
    listing = await chat.say("任务列表")
    assert "未完成的任务(共 1 个)" in listing


async def test_task_numbers_are_short_and_per_workspace(chat: Chat) -> None:
    for title in ("one", "two", "three"):
        await chat.say(f"task add {title}")
    assert "#3 three" in await chat.say("task list")


async def test_task_add_unreadable_date_creates_nothing(chat: Chat, app: App) -> None:
    reply = await chat.say("task add Ship it due:someday")
    assert "can't read the date" in reply and "tomorrow 3pm" in reply
    assert count(app, "tasks") == 0 and count(app, "task_counters") == 0


async def test_task_add_title_limit_and_note_limit(chat: Chat, app: App) -> None:
    assert "the limit is 200" in await chat.say("task add " + "x" * 201)
    assert count(app, "tasks") == 0
    await chat.say("task add fine")
    assert "the limit is 2000" in await chat.say("task note 1 " + "y" * 2001)
    assert count(app, "task_events") == 1


async def test_task_board_wip_limit_refuses_unless_forced(chat: Chat) -> None:
    await chat.say("task add a")
    await chat.say("task add b")
    assert "WIP limit for doing is now 1" in await chat.say("task wip doing 1", user="boss")
    assert "#1 moved to doing" in await chat.say("task start 1")
    refused = await chat.say("task move 2 doing")
    assert "WIP limit (1/1)" in refused
    assert "#2 moved to doing" in await chat.say("task move 2 doing --force", user="boss")
    board = await chat.say("task board")
    assert "doing (2/1):" in board and "  #2 b" in board


async def test_task_columns_custom_board_and_done_is_last(chat: Chat) -> None:
    columns = await chat.say("task columns todo,doing,review,done", user="boss")
    assert "todo → doing → review → done" in columns
    await chat.say("task add review me")
    assert "#1 moved to review" in await chat.say("task move 1 review")
    assert "no column “qa”" in await chat.say("task move 1 qa")
    assert "is done" in await chat.say("task done 1")
    assert "No tasks here" in await chat.say("task list")
    assert "#1 review me" in await chat.say("task list done")


async def test_task_show_has_checklist_notes_and_history_in_readers_zone(chat: Chat) -> None:
    await chat.say("tz Asia/Shanghai")
    await chat.say("task add Pack orders due:2026-11-26 18:00")
    await chat.say("task check add 1 Print labels")
    assert "Ticked item 1 of #1: Print labels" in await chat.say("task check 1 1")
    await chat.say("task note 1 Courier booked")
    await chat.say("task start 1", user="bob")
    shown = await chat.say("task show 1")
    assert "Due: 2026-11-26 Thu 18:00" in shown
    assert "☑ 1. Print labels" in shown
    assert "2026-11-24 Tue 17:00 @alice created it" in shown  # 09:00 UTC is 17:00 in Shanghai
    assert "@alice noted: Courier booked" in shown
    assert "@bob moved it todo → doing" in shown


async def test_task_assign_permissions_and_dm(chat: Chat) -> None:
    await chat.say("task add Invoice run", user="alice")
    refused = await chat.say("task assign 1 @carol", user="bob")
    assert (
        "Only the creator, an owner, a manager of its channel or an admin may reassign" in refused
    )
    reply = await chat.say("task assign 1 @bob", user="alice")
    assert "#1 is now owned by @bob" in reply
    assert "→ DM @bob: @alice assigned you task #1" in reply
    assert "now owned by @carol" in await chat.say("task assign 1 @carol", user="boss")


async def test_task_delete_and_restore(chat: Chat) -> None:
    await chat.say("task add Temp", user="alice")
    assert "may delete task #1" in await chat.say("task delete 1", user="bob")
    assert "Deleted #1" in await chat.say("task delete 1", user="alice")
    assert "task restore 1" in await chat.say("task start 1")
    assert "已恢复 #1" in await chat.say("任务 恢复 1", user="alice")


async def test_task_buttons_update_the_card_in_place(chat: Chat) -> None:
    await chat.say("task add Label pallets")
    started = await chat.say("press 1")
    assert started.startswith("(updated) #1 moved to doing")
    done = await chat.say("press 1")
    assert "(updated) #1 is done" in done and "Done by @alice" in done
    snoozed = await press(chat, "task.snooze", "1|1h")
    assert "snoozed until 2026-11-24 Tue 10:00" in snoozed


async def test_task_quickadd_button_from_another_feature(chat: Chat) -> None:
    value = json.dumps(
        {"title": "Blocked on <@all> supplier", "owner": "bob", "due": None, "link": None}
    )
    reply = await press(chat, "task.quickadd", value)
    assert "Created #1: Blocked on @all supplier" in reply
    assert "Owner: @bob" in reply
    assert "A task needs a title" in await press(chat, "task.quickadd", "not json")


async def test_task_hostile_mentions_are_stored_verbatim_and_never_rendered(
    chat: Chat, app: App
) -> None:
    reply = await chat.say('task add <!channel> @all <at user_id="all"></at> restock')
    assert "Created #1" in reply
    with app.engine.connect() as conn:
        title = conn.execute(sa.text("SELECT title FROM tasks")).scalar_one()
    assert "<!channel>" in title and '<at user_id="all"></at>' in title
    owners = count(app, "task_owners")
    assert owners == 0


async def test_task_unknown_subcommand_suggests(chat: Chat) -> None:
    assert "Did you mean `task start`" in await chat.say("task strat 1")
    assert "task list" in await chat.say("help task")
    assert "新建任务" in await chat.say("帮助 任务")


async def test_my_tasks_in_chinese(chat: Chat) -> None:
    await chat.say("task add Mine @alice")
    await chat.say("task add Theirs @bob")
    mine = await chat.say("我的任务")
    assert "#1 Mine" in mine and "Theirs" not in mine


async def test_tasks_survive_restart(settings: Settings, clock: FrozenClock, app: App) -> None:
    chat = Chat(app, clock)
    await chat.say("task add Persist me due:fri")
    app.engine.dispose()
    again = build_app(settings, clock=clock)
    listing = await Chat(again, clock).say("task list")
    assert "#1 Persist me" in listing
    again.engine.dispose()


async def test_overdue_list(chat: Chat, clock: FrozenClock) -> None:
    await chat.say("task add Late one due:today")
    await chat.say("task add Later due:next mon")
    clock.advance(timedelta(days=2))
    overdue = await chat.say("task list overdue")
    assert "#1 Late one" in overdue and "Later" not in overdue and "overdue" in overdue


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
async def test_task_add_never_raises_nor_half_stores(chat: Chat, app: App, text: str) -> None:
    reply = await chat.say("task add " + text.replace("\n", " "))
    assert "Reference:" not in reply
    with app.engine.connect() as conn:
        tasks = conn.execute(sa.text("SELECT count(*) FROM tasks")).scalar_one()
        created = conn.execute(
            sa.text("SELECT count(*) FROM task_events WHERE kind = 'created'")
        ).scalar_one()
        last = conn.execute(
            sa.text("SELECT coalesce(max(last_number), 0) FROM task_counters")
        ).scalar_one()
    assert tasks == created == last
