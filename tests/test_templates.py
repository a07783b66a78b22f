"""Board templates: a channel's columns and suggested WIP limits from a template, named in the
language of whoever sets it up, with columns then addressed by their English or Chinese names."""

from __future__ import annotations

import sqlalchemy as sa

from bot.app import App
from tests.conftest import Chat

ORDERS_ZH = "待审核 → 打单中 → 已拣货 → 已打包 → 待发货 → 已发货 → 交付成功"
ORDERS_EN = "review → printing → picked → packed → to ship → shipped → delivered"


def columns(app: App) -> dict[int, str]:
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text('SELECT number, "column" FROM tasks ORDER BY number'))
        return {int(number): str(column) for number, column in rows}


async def test_order_fulfilment_in_chinese_takes_english_column_names(
    chat: Chat, app: App
) -> None:
    set_up = await chat.say("看板 模板 订单履约", user="boss")
    assert f"本看板现在是“订单履约”:{ORDERS_ZH}" in set_up
    assert "打单中 30" in set_up
    await chat.say("新建任务 订单 #1001 补发")
    assert "#1 moved to 已发货" in await chat.say("task move 1 shipped")
    assert "#1 is done" in await chat.say("task done 1")
    assert columns(app) == {1: "交付成功"}
    board = await chat.say("看板")
    assert "打单中(0/30)" in board and "交付成功(1)" in board


async def test_order_fulfilment_in_english_takes_chinese_column_names(
    chat: Chat, app: App
) -> None:
    set_up = await chat.say("task board template order fulfilment", user="boss")
    assert f"This board is now “order fulfilment”: {ORDERS_EN}" in set_up
    await chat.say("task add Reship order 1001")
    assert "#1 已移到 to ship" in await chat.say("任务 移动 1 待发货")
    assert "#1 moved to shipped" in await chat.say("task move 1 已发货")
    listed = await chat.say("task list 已发货")
    assert "Tasks in shipped (1)" in listed


async def test_a_template_in_the_other_language_and_tasks_carried_over(
    chat: Chat, app: App
) -> None:
    for title in ("Refund 1001", "Return 1002", "Call buyer 1003"):
        await chat.say(f"task add {title}")
    await chat.say("task start 2")
    await chat.say("task done 3")
    set_up = await chat.say("task board template after-sales zh", user="boss")
    assert "待处理 → 联系买家 → 退换货 → 待退款 → 已解决" in set_up
    assert "3 tasks were in columns the new board doesn't have" in set_up
    # todo is 待处理 in either language; doing has no match here (the first column); done is done
    assert columns(app) == {1: "待处理", 2: "待处理", 3: "已解决"}
    assert "#2 is already in 待处理" in await chat.say("task move 2 new")


async def test_product_launch_by_its_chinese_name_ends_in_a_done_column(
    chat: Chat, app: App
) -> None:
    set_up = await chat.say("看板 模板 新品上架", user="boss")
    assert "新品开发 → 采购 → 上架 → 推广 → 已上线" in set_up
    await chat.say("新建任务 新款保温杯")
    await chat.say("任务 移动 1 listing")
    assert columns(app) == {1: "上架"}
    assert "完成" in await chat.say("完成任务 1")
    assert columns(app) == {1: "已上线"}


async def test_templates_listed_refused_and_unknown(chat: Chat, app: App) -> None:
    listed = await chat.say("task board template")
    assert "order fulfilment, product launch, after-sales, default" in listed
    assert "订单履约, 产品上新, 售后, 默认" in await chat.say("看板 模板")
    refused = await chat.say("task board template orders")
    assert "managers" in refused
    unknown = await chat.say("task board template spaceship", user="boss")
    assert "no board template “spaceship”" in unknown
    back = await chat.say("task board template default", user="boss")
    assert "todo → doing → done" in back and "WIP limits: -" in back
    with app.engine.connect() as conn:
        boards = conn.execute(sa.text("SELECT columns FROM boards")).scalars().all()
    assert boards == ['["todo", "doing", "done"]']
