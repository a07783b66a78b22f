"""A person's language is remembered from what they write: button presses, messages without words,
direct messages and reminders Baton starts all use it, not the team default or a platform profile
they never chose."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.app import App
from bot.clock import FrozenClock
from bot.events import Platform
from tests.conftest import Chat
from tests.fakes.messages import make_button, make_inbound
from tests.fakes.reminders import Recorder, add_task


async def test_chinese_speaker_pressing_a_button_gets_the_card_in_chinese(chat: Chat) -> None:
    await chat.say("新建任务 修复登录", user="mei")
    await chat.say("任务 列表", user="wang")
    # wang has only ever typed a bare Chinese command: that is enough to know his language.
    pressed = await chat.send(make_button("task.start", "1", user="wang", message_ref="m1"))
    assert "#1 已移到" in pressed and "负责人: 无人" in pressed
    assert "Owner" not in pressed


async def test_english_command_words_alone_do_not_make_anyone_english(chat: Chat) -> None:
    await chat.say("任务 列表", user="wang")
    await chat.say("task list", user="wang")  # typed by everyone: says nothing of wang
    pressed = await chat.send(make_button("task.start", "9", user="wang", message_ref="m1"))
    assert "找不到" in pressed or "没有" in pressed


async def test_a_message_without_words_is_answered_in_the_writers_language(chat: Chat) -> None:
    await chat.say("任务 列表", user="wang")
    empty = await chat.send(make_inbound("", user="wang", dm=True))
    assert "帮助" in empty


async def test_reminder_to_a_chinese_writer_is_in_chinese_whatever_the_profile(
    app: App, clock: FrozenClock
) -> None:
    sent = Recorder()
    app.outbox.register(Platform.CONSOLE, sent)
    # A profile that says English (as Slack's en-US default does for many), and a person who
    # writes to Baton in Chinese.
    message = make_inbound("任务 列表", user="wang", received_at=clock.now())
    await app.handle(replace(message, actor=replace(message.actor, locale="en-US")))
    add_task(app, 1, due=datetime(2026, 11, 25, 17, 0, tzinfo=UTC), owners=("wang",))
    clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    await app.run_ticks()
    [reminder] = sent.to("wang")
    assert reminder.startswith("⏰ #1 Task 1\n还有 1 天到期")
