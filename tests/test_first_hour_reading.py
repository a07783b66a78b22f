"""The first hour, as a team types it: dates, times and spacing read the way people mean them."""

from __future__ import annotations

from bot.app import App
from tests.conftest import Chat
from tests.test_tasks import count


async def test_chinese_evening_due_dates_are_in_the_evening(chat: Chat) -> None:
    tonight = await chat.say("新建任务 发货 截止:今晚8点")
    assert "截止: 2026-11-24 周二 20:00" in tonight
    assert "已逾期" not in tonight
    tomorrow = await chat.say("新建任务 对账 截止:明晚8点")
    assert "截止: 2026-11-25 周三 20:00" in tomorrow


async def test_noon_and_month_names_in_english(chat: Chat) -> None:
    noon = await chat.say("task add Call supplier due:tomorrow noon")
    assert "Due: 2026-11-25 Wed 12:00" in noon
    month = await chat.say("task add Stocktake due:Dec 5 3pm")
    assert "Due: 2026-12-05 Sat 15:00" in month
    numeric = await chat.say("task add Count pallets due:12/5")
    assert "Due: 2026-12-05 Sat" in numeric


async def test_month_end_next_week_and_before_friday_in_chinese(chat: Chat) -> None:
    assert "截止: 2026-11-30 周一" in await chat.say("新建任务 月结 截止:月底")
    assert "截止: 2026-11-30 周一" in await chat.say("新建任务 盘点 截止:下周")
    assert "截止: 2026-11-27 周五" in await chat.say("新建任务 报关 截止:周五前")


async def test_due_without_colon_is_a_due_date(chat: Chat) -> None:
    english = await chat.say("task add Ship samples due 5pm")
    assert "Created #1: Ship samples" in english
    assert "Due: 2026-11-24 Tue 17:00" in english
    chinese = await chat.say("新建任务 报价单 截止 周五")
    assert "已创建 #2:报价单" in chinese and "截止: 2026-11-27 周五" in chinese
    glued = await chat.say("新建任务 备货 截止周五")
    assert "已创建 #3:备货" in glued and "截止: 2026-11-27 周五" in glued


async def test_due_words_that_are_not_a_date_stay_in_the_title_and_the_reply_says_so(
    chat: Chat,
) -> None:
    english = await chat.say("task add Review due diligence pack")
    assert "Created #1: Review due diligence pack" in english
    assert "“due diligence” is not a date I can read, so it stayed in the title" in english
    chinese = await chat.say("新建任务 核对 截止 时间表")
    assert "已创建 #2:核对 截止 时间表" in chinese
    assert "“截止 时间表”不是我能看懂的日期" in chinese


async def test_double_spaces_and_tabs_are_one_space(chat: Chat, app: App) -> None:
    await chat.say("task  add\tLabel   pallets")
    assert count(app, "tasks") == 1
    listing = await chat.say("task  list")
    assert "#1 Label pallets" in listing
    assert "#1 Label pallets" in await chat.say("任务\t列表")
