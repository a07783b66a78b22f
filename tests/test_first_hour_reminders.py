"""Reminders people will not mute: one message per person per tick, the same figures for the
same task everywhere, zones named where readers differ, plurals as words, the team's calendar."""

from __future__ import annotations

from tests.conftest import Chat


async def test_a_morning_of_overdue_tasks_is_one_message_per_recipient(chat: Chat) -> None:
    for n in range(1, 8):
        await chat.say(f"task add Restock SKU-{n} @bob due:tomorrow")
    printed = await chat.type("/time 2026-11-30 09:30")
    assert printed.count("→ DM @bob:") == 1
    assert "→ DM @bob: ⏰ 7 tasks need you:" in printed
    assert "• ⏰ #1 Restock SKU-1 — Overdue by 5 days (was due Wed 25 Nov 23:59)." in printed
    assert "[1] Done #1  [2] Tomorrow morning #1" in printed  # buttons per task
    assert "Buttons are for the first five" in printed
    # #ops (where the console types), the creator (alice) and the admin: one list each.
    assert printed.count("⏰ 7 tasks are overdue:") == 3
    assert "@bob: #1 Restock SKU-1 is 5 days overdue (was due Wed 25 Nov 23:59 (UTC))." in printed
    assert printed.count("→ DM @boss:") == 1  # the admin gets one list as well
    assert "Tomorrow morning #5" in printed and "Tomorrow morning #6" not in printed
    assert "Overdue by 5 days" not in await chat.type("/time +1h")  # once a morning


async def test_the_same_task_shows_the_same_days_in_every_zone(chat: Chat) -> None:
    await chat.say("tz Asia/Shanghai", user="bob")
    await chat.say("task add Customs papers @bob due:2026-11-26 23:00")
    printed = await chat.type("/time 2026-11-30 09:30")
    assert "→ DM @bob: ⏰ #1 Customs papers\nOverdue by 4 days (was due Fri 27 Nov 07:00)." in (
        printed
    )
    assert "is 4 days overdue (was due Thu 26 Nov 23:00 (UTC))" in printed


async def test_one_day_is_singular_and_chinese_has_no_plural(chat: Chat) -> None:
    await chat.say("lang zh", user="bob")
    await chat.say("task add Call DHL @alice @bob due:2026-11-24 18:00")
    printed = await chat.type("/time 2026-11-25 09:30")
    assert "→ DM @alice: ⏰ #1 Call DHL\nOverdue by 1 day (was due Tue 24 Nov 18:00)." in printed
    assert "→ DM @bob: ⏰ #1 Call DHL\n已逾期 1 天(截止时间 11月24日 周二 18:00)。" in printed


async def test_weekends_follow_the_team_calendar_unless_switched_on(chat: Chat) -> None:
    await chat.say("task add Weekend promo @alice due:2026-11-27 12:00")
    assert "⏰" not in await chat.type("/time 2026-11-28 10:00")  # Saturday: not a working day
    assert "weekends on" in await chat.say("remind settings weekends on", user="boss")
    assert "→ DM @alice: ⏰ #1 Weekend promo" in await chat.type("/time 2026-11-28 10:05")
