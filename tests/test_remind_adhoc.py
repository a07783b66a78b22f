"""Ad-hoc reminders (`remind me|@user <when> <text>`, `提醒`), recurring ones across a DST change,
digests, and a reminder card pressed in a DM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Reply
from bot.routing import Router
from bot.wiring import build_app
from commands import all_features
from storage.models import TaskEvent
from tests.conftest import Chat
from tests.fakes.messages import make_button
from tests.fakes.reminders import add_task, person, rows, update_task


async def _tick(chat: Chat, clock: FrozenClock, moment: datetime) -> str:
    clock.set(moment)
    return await chat.tick()


async def test_remind_me_in_two_hours_then_list_and_cancel(chat: Chat, clock) -> None:
    reply = await chat.say("remind me in 2h stretch your legs")
    assert reply == "OK, I will remind you on Tue 24 Nov 11:00: stretch your legs (reminder 1).\n"
    reply = await chat.say("remind @bob tomorrow 10:00 ship the release")
    assert "I will remind @bob on Wed 25 Nov 10:00: ship the release (reminder 2)" in reply
    listing = await chat.say("remind list")
    assert "1. Tue 24 Nov 11:00 → you: stretch your legs" in listing
    assert "2. Wed 25 Nov 10:00 → @bob: ship the release" in listing
    assert await _tick(chat, clock, datetime(2026, 11, 24, 10, 59, tzinfo=UTC)) == ""
    fired = await _tick(chat, clock, datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    assert fired == "→ DM @alice: ⏰ Reminder: stretch your legs\n"
    assert await _tick(chat, clock, datetime(2026, 11, 24, 11, 1, tzinfo=UTC)) == ""
    assert "Reminder 2 cancelled" in await chat.say("remind cancel 2")
    assert "no active reminder 2" in await chat.say("remind cancel 2")
    assert "no active reminder 1" in await chat.say("remind cancel 1", user="mallory")
    assert await _tick(chat, clock, datetime(2026, 11, 25, 10, 0, tzinfo=UTC)) == ""
    assert "no reminders" in await chat.say("remind list")


async def test_remind_in_chinese_friday_afternoon_and_without_spaces(chat: Chat, clock) -> None:
    await chat.say("tz Asia/Shanghai")
    reply = await chat.say("提醒 我 周五下午3点 交周报")
    assert reply == "好的,我会在 11月27日 周五 15:00 提醒您:交周报(提醒 1)。\n"
    reply = await chat.say("提醒我明天10点开会")
    assert "11月25日 周三 10:00 提醒您:开会" in reply
    fired = await _tick(chat, clock, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert fired == "→ DM @alice: ⏰ 提醒:开会\n"
    assert "1. 11月27日 周五 15:00 → 您:交周报" in await chat.say("提醒 列表")


async def test_remind_refuses_unreadable_time_broadcasts_and_overlong_text(chat: Chat) -> None:
    assert "could not read when" in await chat.say("remind me someday water plants")
    assert "Tell me who" in await chat.say("remind <@all> in 1h party")
    assert "Tell me who" in await chat.say("remind me in 2h")
    assert "too long" in await chat.say("remind me in 2h " + "x" * 600)
    assert "我没看懂时间" in await chat.say("提醒 我 改天 浇花")
    assert rows(chat.app, "SELECT count(*) FROM adhoc_reminders") == [(0,)]


async def test_remind_every_monday_keeps_nine_oclock_across_berlin_dst(chat: Chat, clock) -> None:
    clock.set(datetime(2027, 3, 17, 12, 0, tzinfo=UTC))  # Wed, Berlin still on CET
    await chat.say("tz Europe/Berlin")
    reply = await chat.say("remind me every monday 9:00 plan the week")
    assert "from Mon 22 Mar 09:00 on, repeatedly: plan the week" in reply
    assert await _tick(chat, clock, datetime(2027, 3, 22, 7, 59, tzinfo=UTC)) == ""
    fired = await _tick(chat, clock, datetime(2027, 3, 22, 8, 0, tzinfo=UTC))  # 09:00 CET
    assert fired == "→ DM @alice: ⏰ Reminder: plan the week\nNext time: Mon 29 Mar 09:00.\n"
    assert await _tick(chat, clock, datetime(2027, 3, 29, 6, 59, tzinfo=UTC)) == ""
    fired = await _tick(chat, clock, datetime(2027, 3, 29, 7, 0, tzinfo=UTC))  # 09:00 CEST
    assert "plan the week" in fired
    [(next_at,)] = rows(chat.app, "SELECT next_at FROM adhoc_reminders")
    assert str(next_at).startswith("2027-04-05 07:00:00")  # UTC, as text or as a timestamp


async def test_remind_weekly_in_chinese_for_a_colleague_in_los_angeles(chat: Chat, clock) -> None:
    person(chat.app, "bob", "America/Los_Angeles", "zh")
    clock.set(datetime(2026, 10, 28, 12, 0, tzinfo=UTC))  # PDT until Sun 1 Nov
    reply = await chat.say("提醒 @bob 每周一9点 交周报")
    assert "好的,从 11月2日 周一 17:00 起我会定期提醒@bob:交周报" in reply
    fired = await _tick(chat, clock, datetime(2026, 11, 2, 17, 0, tzinfo=UTC))  # 09:00 PST
    assert fired == "→ DM @bob: ⏰ 来自 @alice 的提醒:交周报\n下次:11月9日 周一 09:00。\n"


async def test_digest_morning_lists_overdue_due_soon_and_open(chat: Chat, clock) -> None:
    assert "every working day at 08:30 (UTC)" in await chat.say("digest on 08:30")
    add_task(chat.app, 1, due=datetime(2026, 11, 20, 17, 0, tzinfo=UTC), title="Late one")
    add_task(chat.app, 2, due=datetime(2026, 11, 26, 17, 0, tzinfo=UTC), title="Soon one")
    add_task(chat.app, 3, due=datetime(2026, 12, 20, 17, 0, tzinfo=UTC), title="Later")
    clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    digest = await _tick(chat, clock, datetime(2026, 11, 25, 8, 30, tzinfo=UTC))
    assert "Your tasks: 1 overdue, 1 due soon, 3 open." in digest
    assert "• #1 Late one (due Fri 20 Nov 17:00)" in digest
    assert "Due soon:\n• #2 Soon one" in digest
    again = await _tick(chat, clock, datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    assert "Your tasks" not in again
    assert "早间摘要" in await chat.say("摘要 开启 8点")
    assert "off" in await chat.say("digest off")


async def test_digest_weekly_done_overdue_and_median_time_per_column(chat: Chat, clock) -> None:
    reply = await chat.say("digest weekly mon 09:00", user="boss")
    assert "every mon at 09:00" in reply
    app = chat.app
    created = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for n, hours in ((1, 2), (2, 4), (3, 6)):
        task = add_task(app, n, due=datetime(2026, 12, 1, tzinfo=UTC), created=created)
        start, done = created + timedelta(hours=hours), created + timedelta(hours=hours * 2)
        update_task(app, task, done_at=done)
        with app.engine.begin() as conn:
            for at, kind, detail in ((start, "start", ""), (done, "done", "")):
                conn.execute(
                    TaskEvent.__table__.insert().values(  # type: ignore[attr-defined]
                        task_id=task, at=at, actor_id="alice", kind=kind, detail=detail
                    )
                )
    add_task(app, 4, due=datetime(2026, 11, 25, tzinfo=UTC))
    digest = await _tick(chat, clock, datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert "Weekly digest: 3 done this week, 1 overdue." in digest
    assert "• todo: 4.0 h" in digest and "• doing: 4.0 h" in digest
    assert "whole task (created → done): 8.0 h" in digest


async def test_reminder_card_pressed_in_a_dm_is_updated_in_place(
    settings: Settings, clock: FrozenClock
) -> None:
    pressed = Router("tasks-stand-in")

    @pressed.action("task.done")
    def done(ctx: Ctx, value: str) -> Reply:
        """Stand-in for the tasks feature's Done button."""
        assert ctx.inbound.action is not None
        return Reply(f"Done by <@{ctx.actor.user_id}>", edit_ref=ctx.inbound.action.message_ref)

    others = [f for f in all_features() if f.name != "tasks"]
    app = build_app(settings, clock=clock, features=[*others, Feature("tasks", pressed, {})])
    chat = Chat(app, clock)
    add_task(app, 5, due=datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    card = await _tick(chat, clock, datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert "→ DM @alice: ⏰ #5 Task 5" in card
    (ref,) = rows(app, "SELECT message_ref FROM outbox WHERE target = 'console:local/@alice'")[0]
    press = make_button(
        "task.done", "5", message_ref=ref, dm=True, event_id="press-1", received_at=clock.now()
    )
    await app.handle(press)
    assert chat.out.getvalue().rstrip().endswith("→ DM @alice: (updated) Done by @alice")
    assert rows(app, "SELECT message_ref FROM outbox ORDER BY id DESC LIMIT 1") == [(ref,)]
    app.engine.dispose()
