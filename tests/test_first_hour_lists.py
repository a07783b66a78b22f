"""Lists that reach the end: pages, a More button, task find, and the small truths of lists,
history and deleted tasks, in English and Chinese."""

from __future__ import annotations

from storage import tasks
from tests.conftest import Chat


async def add_many(chat: Chat, count: int) -> None:
    for n in range(1, count + 1):
        await chat.say(f"task add Restock SKU-{n:02d} @alice #stock")


async def test_task_list_pages_to_the_end(chat: Chat) -> None:
    await add_many(chat, 45)
    first = await chat.say("task list")
    assert "Open tasks (45): (page 1 of 3)" in first
    assert "…and 25 more: `task list 2`." in first
    assert "[1] More" in first
    second = await chat.say("task list 2")
    assert "(page 2 of 3)" in second and "#21 Restock SKU-21" in second
    third = await chat.type("press 1")  # More, on the second page
    assert "(page 3 of 3)" in third and "#45 Restock SKU-45" in third and "more" not in third
    assert "There is no page 9: the list ends on page 3." in await chat.say("task list 9")
    chinese = await chat.say("任务列表 第2页")
    assert "(第 2 页,共 3 页)" in chinese


async def test_a_channel_with_thousands_of_open_tasks_counts_to_a_thousand(chat: Chat) -> None:
    await add_many(chat, 2)
    with chat.app.engine.begin() as conn:  # 1,100 more, as a busy year leaves them
        first = tasks.get(conn, ws="console:local", number=1)
        assert first is not None
        for n in range(1_100):
            tasks.create(
                conn, ws="console:local", channel=first.channel, source="", title=f"Old {n}",
                column="todo", priority=0, tags=(), creator_id="alice", owner_ids=(),
                due_at=None, now=chat.app.clock.now(),
            )  # fmt: skip
    first_page = await chat.say("task list")
    assert "Open tasks (1000+): (page 1 of 50+)" in first_page
    assert "…and 980+ more: `task list 2`." in first_page
    chinese = await chat.say("任务列表")
    assert "(共 1000+ 个): (第 1 页,共 50+ 页)" in chinese
    assert "……还有 980+ 个:`任务列表 第2页`。" in chinese  # the next page, as typed in Chinese
    assert "(第 2 页,共 50+ 页)" in await chat.say("任务列表 第2页")
    page_50 = await chat.say("task list 50")  # counted further from there: exact again
    assert "Open tasks (1102): (page 50 of 56)" in page_50
    assert "…and 102 more: `task list 51`." in page_50


async def test_my_tasks_and_the_board_say_how_to_see_the_rest(chat: Chat) -> None:
    await add_many(chat, 25)
    mine = await chat.say("my tasks")
    assert "…and 5 more: `my tasks 2`." in mine
    assert "#25 Restock SKU-25" in await chat.say("我的任务 2")
    board = await chat.say("task board")
    assert "todo (25):" in board and "…and 20 more: `task list todo`." in board


async def test_task_find_by_words_in_title_or_tags(chat: Chat) -> None:
    await chat.say("task add Restock SKU-7 #stock")
    await chat.say("task add Call DHL about SKU-7 customs")
    await chat.say("task add 补货 蓝牙耳机")
    await chat.say("task done 1")
    found = await chat.say("task find sku-7")
    assert "Tasks matching “sku-7” (2):" in found
    assert found.index("#2 Call DHL") < found.index("#1 Restock")  # open first, then done
    assert "#2 Call DHL" in await chat.say("task find dhl customs")
    assert "匹配“耳机”的任务(共 1 个)" in await chat.say("查找任务 耳机")
    assert "Tasks matching “nothing-like-this”: none right now." in await chat.say(
        "task find nothing-like-this"
    )


async def test_an_empty_filter_says_there_are_none(chat: Chat) -> None:
    await chat.say("task add Not late yet due:fri")
    assert "Overdue tasks: none right now." in await chat.say("task list overdue")
    assert "已逾期的任务:目前没有。" in await chat.say("任务列表 逾期")
    assert "No tasks here. Create one" in await chat.say("task list", channel="empty")


async def test_history_shows_moments_in_the_readers_zone(chat: Chat) -> None:
    await chat.say("task add Pack orders")
    await chat.say("task due 1 2026-11-26 18:00")
    await chat.say("task snooze 1 tomorrow 9:00")
    await chat.say("tz Asia/Shanghai", user="bob")
    shown = await chat.say("task show 1", user="bob")
    assert "set the due date: 2026-11-27 Fri 02:00" in shown  # 18:00 UTC, read in Shanghai
    assert "snoozed it until 2026-11-25 Wed 17:00" in shown
    assert "T18:00:00" not in shown and "+00:00" not in shown


async def test_a_deleted_tasks_card_says_deleted(chat: Chat) -> None:
    await chat.say("task add Temp")
    await chat.say("task delete 1")
    shown = await chat.say("task show 1")
    assert "Status: deleted (`task restore 1` brings it back)" in shown
    assert "[1]" not in shown  # no buttons on a deleted task
    assert "状态: 已删除" in await chat.say("查看任务 1")


async def test_columns_in_either_language(chat: Chat) -> None:
    await chat.say("任务 添加 打包")
    assert "#1 已移到 doing" in await chat.say("任务 移动 1 进行中")
    assert "#1 已移到 done" in await chat.say("task move 1 已完成")
    assert "Tasks in todo" in await chat.say("task list 待办", user="bob")
    assert "WIP limit for doing is now 3" in await chat.say("task wip 进行中 3", user="boss")
    assert "doing 列中的任务" in await chat.say("任务列表 进行中")  # under its board name


async def test_hostile_and_oversized_searches(chat: Chat) -> None:
    await chat.say('task add Tell <!channel> @all <at user_id="all"></at> about SKU-9')
    found = await chat.say("task find <!channel> @all")
    assert "Tasks matching" in found and "#1 Tell" in found
    assert "<@all>" not in found  # echoed, never a mention token
    huge = await chat.say("task find " + "x" * 5000)
    assert "none right now" in huge and "Reference:" not in huge
    assert "There is no page 100000" in await chat.say("task list 999999999999")
    assert "Use /time" in await chat.type("/time +99999999d")
    assert "Console commands" in await chat.type("/as <!channel>")  # not a name: the list
