"""When-then rules on a board: each fires exactly once per change (however often the change is
delivered or the tick runs), in English and Chinese, in the transaction of the change; a rule's
own changes fire rules one level further and no more, so rules cannot loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.wiring import build_app
from tests.conftest import START, Chat
from tests.fakes.messages import make_inbound


def fired(app: App) -> dict[int, int]:
    """How often each rule (by number) has fired."""
    with app.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT number, fired FROM rules ORDER BY number"))
        return {int(number): int(times) for number, times in rows}


def column_of(app: App, number: int) -> str:
    with app.engine.connect() as conn:
        found = conn.execute(
            sa.text('SELECT "column" FROM tasks WHERE number = :n'), {"n": number}
        ).scalar_one()
        return str(found)


async def test_moved_to_shipped_notifies_once_per_move_even_when_redelivered(
    chat: Chat, app: App
) -> None:
    await chat.say("task board template order fulfilment", user="boss")
    added = await chat.say("rule add when moved to shipped notify @cs", user="boss")
    assert "Rule 1 added: when a task is moved to shipped → notify @cs." in added
    await chat.say("task add Reship order 1001")
    move = make_inbound("task move 1 已发货", event_id="evt-move-1")
    said = await chat.send(move)
    assert "→ DM @cs: 🔔 Rule 1: #1 “Reship order 1001” moved to shipped." in said
    assert await chat.send(move) == ""  # the platform delivered the same event again
    assert fired(app) == {1: 1}
    await chat.say("task move 1 to ship")
    again = await chat.say("task move 1 shipped")
    assert again.count("→ DM @cs") == 1 and fired(app) == {1: 2}  # a new move, a new notice
    listed = await chat.say("rule list")
    assert "1. when a task is moved to shipped → notify @cs · fired 2×" in listed


async def test_a_refused_change_fires_nothing(chat: Chat, app: App) -> None:
    await chat.say("rule add when moved to doing notify @lead", user="boss")
    await chat.say("task wip doing 1", user="boss")
    await chat.say("task add First")
    await chat.say("task add Second")
    await chat.say("task start 1")
    refused = await chat.say("task start 2")
    assert "WIP limit" in refused and "@lead" not in refused
    assert fired(app) == {1: 1}


async def test_chinese_rules_notify_in_the_readers_language(chat: Chat, app: App) -> None:
    await chat.say("lang zh", user="客服")
    await chat.say("看板 模板 订单履约", user="boss")
    added = await chat.say("规则 添加 移到 已发货 时 通知 @客服", user="boss")
    assert "已添加规则 1:任务移到 已发货 时 → 通知 @客服。" in added
    await chat.say("新建任务 订单 1002 补发")
    said = await chat.say("任务 移动 1 已发货")
    assert "→ DM @客服: 🔔 规则 1:#1“订单 1002 补发”已移到 已发货。" in said
    assert "状态: 已发货" in said
    assert "1. 任务移到 已发货 时 → 通知 @客服 · 已触发 1 次" in await chat.say("规则 列表")


async def test_rules_cannot_loop(chat: Chat, app: App) -> None:
    await chat.say("task columns todo,doing,review,done", user="boss")
    await chat.say("rule add when moved to doing move to review", user="boss")
    await chat.say("rule add when moved to review move to doing", user="boss")
    await chat.say("task add Ping pong")
    await chat.say("task start 1")
    # alice: todo → doing; rule 1: doing → review; rule 2: review → doing; then nothing more
    assert column_of(app, 1) == "doing"
    assert fired(app) == {1: 1, 2: 1}
    history = await chat.say("task show 1")
    assert history.count("moved it") == 3
    assert "Baton (rule 1) moved it doing → review" in history
    assert "Baton (rule 2) moved it review → doing" in history


async def test_created_with_a_tag_acts_and_a_follow_up_is_linked_both_ways(
    chat: Chat, app: App
) -> None:
    named = await chat.say("频道 命名 仓库", user="boss", channel="warehouse")
    assert "本频道现在叫 #仓库" in named
    await chat.say("task columns 待处理,紧急处理,已完成", user="boss")
    await chat.say("规则 添加 新建 #差评 时 移到 紧急处理", user="boss")
    await chat.say("规则 添加 新建 #差评 时 指派 @客服", user="boss")
    await chat.say("rule add when created with #差评 tag urgent", user="boss")
    await chat.say("rule add when done follow up in #仓库 Check the returned mug", user="boss")
    said = await chat.say("新建任务 差评:杯子破损 #差评")
    assert "→ DM @客服:" in said and "Baton(规则 2)" not in said
    assert column_of(app, 1) == "紧急处理"
    shown = await chat.say("task show 1")
    assert "@客服" in shown and "#差评 #urgent" in shown
    done = await chat.say("task done 1", user="客服")
    assert "→ #warehouse: 🔗 Rule 4: follow-up #2 of #1: “Check the returned mug”" in done
    assert "关联任务: 跟进自 #1" in await chat.say("task show 2", channel="warehouse")
    assert "关联任务: 跟进任务:#2" in await chat.say("task show 1")
    assert fired(app) == {1: 1, 2: 1, 3: 1, 4: 1}


async def test_overdue_fires_once_across_ticks_and_processes(
    chat: Chat, app: App, settings: Settings, clock: FrozenClock
) -> None:
    await chat.say("rule add when overdue notify here", user="boss")
    await chat.say("task add Count stock due:today 17:00")
    clock.set(START.replace(hour=16, minute=59))
    assert "Rule 1" not in await chat.tick()
    clock.set(START.replace(hour=17, minute=1))
    other = build_app(settings, clock=clock)  # a second process ticking at the same moment
    other.outbox.register(chat.console.platform, chat.console)  # whichever claims it sends it
    before = len(chat.out.getvalue())
    try:
        await asyncio.gather(chat.tick(), other.run_ticks())
    finally:
        other.engine.dispose()
    printed = chat.out.getvalue()[before:]
    assert printed.count("🔔 Rule 1: #1 “Count stock” is overdue (due 2026-11-24 Tue 17:00).") == 1
    assert "Rule 1" not in await chat.tick()
    assert fired(app) == {1: 1}
    await chat.say("task due 1 today 18:00")  # re-dated, and overdue again later: a new occasion
    clock.set(START.replace(hour=18, minute=1))
    assert "Rule 1" in await chat.tick()
    assert fired(app) == {1: 2}


async def test_an_escalation_past_its_sla_notifies_and_becomes_a_task(
    chat: Chat, app: App, clock: FrozenClock
) -> None:
    await chat.say("rule add when escalation overdue notify @lead", user="boss")
    await chat.say("规则 添加 问答超时 时 跟进 本频道", user="boss")
    await chat.say("ask which courier for Germany?", user="alice")
    clock.set(START + timedelta(hours=24))
    said = await chat.tick()
    assert "→ DM @lead: 🔔 Rule 1: @alice's question has had no answer by its deadline" in said
    assert "“Unanswered question: which courier for Germany?”" in said
    clock.set(START + timedelta(hours=25))
    assert "Rule" not in await chat.tick()
    assert fired(app) == {1: 1, 2: 1}


async def test_managing_rules_and_what_is_refused(chat: Chat, app: App) -> None:
    assert "managers" in await chat.say("rule add when done notify @bob")
    cases = {
        "rule add when moved to nowhere notify @bob": "no column “nowhere”",
        "rule add when done": "Then say what it does",
        "rule add notify @bob": "Start with what the rule waits for",
        "rule add when done notify #cs": "don't know a channel called #cs",
        "rule add when escalation overdue assign @bob": "has no task to assign",
        "rule add when done assign": "Assign to whom?",
        "rule add when done notify @all": "Notify whom?",
        "rule add when moved to doing move to doing": "would move tasks into doing",
        "rule add when done soon notify @bob": "more than this trigger takes",
        "rule rm 9": "no rule 9",
        "rule pause x": "Which rule?",
    }
    for typed, expected in cases.items():
        said = await chat.say(typed, user="boss")
        assert any(part in said for part in expected.split("|")), (typed, said)
    assert fired(app) == {}
    await chat.say("rule add when done notify @bob", user="boss")
    assert "paused" in await chat.say("rule pause 1", user="boss")
    await chat.say("task add Quiet")
    assert "@bob" not in await chat.say("task done 1")
    assert "规则 1 已恢复运行" in await chat.say("规则 恢复 1", user="boss")
    await chat.say("task add Loud")
    assert "→ DM @bob" in await chat.say("task done 2")
    assert "removed" in await chat.say("rule rm 1", user="boss")
    assert "No rules on this board yet" in await chat.say("rule list")
