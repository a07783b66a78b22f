"""The console as a newcomer tries Baton without accounts: direct messages to anyone, answering
as someone else, threads, a clock that moves, cards pressed by number, names in any script."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import Chat
from tests.test_cli import ROOT, baton


async def test_direct_messages_to_anyone_are_marked(chat: Chat) -> None:
    reply = await chat.say("task add Restock SKU-1 @bob")
    assert "→ DM @bob: @alice assigned you task #1: Restock SKU-1" in reply


async def bob_is_asked(chat: Chat, setup: str, add: str) -> str:
    """An admin sets up a standup with bob in it; the clock moves to its first prompt and the
    console types as bob in his DM. Returns what the prompt printed."""
    await chat.say(setup, user="boss")
    await chat.say(add, user="boss")
    prompted = await chat.type("/time 2026-11-24 09:30")
    await chat.type("/as bob dm")
    return prompted


async def test_standup_end_to_end_answering_as_another_person_in_their_dm(chat: Chat) -> None:
    await chat.say("standup setup 09:30 mon-fri", user="boss")
    await chat.say("standup add @bob", user="boss")
    prompted = await chat.type("/time 2026-11-24 09:30")
    assert "It is now 2026-11-24 Tue 09:30 (UTC)." in prompted
    assert "→ DM @bob: Good morning! Time for standup “daily” (2026-11-24)" in prompted
    assert "You are now @bob, in your direct messages with Baton." in await chat.type("/as bob dm")
    assert "→ DM @bob: (2/3) What will you do today?" in await chat.type("Shipped the promo")
    assert "(3/3) Anything blocking you?" in await chat.type("help the team with returns")
    assert "Thanks!" in await chat.type("Waiting on the courier")
    summary = await chat.type("/time +3h")
    assert "→ #ops: Standup “daily” — 2026-11-24: 1/2 answered" in summary
    assert "help the team with returns" in summary


async def test_an_unfinished_edit_keeps_the_other_answers_and_the_blocker(chat: Chat) -> None:
    await bob_is_asked(chat, "站会 设置 09:30 周一至周五", "站会 添加 @bob")
    for answer in ("发了促销页", "打包订单", "等快递公司回复"):
        await chat.type(answer)
    editing = await chat.type("站会 修改")
    assert "没有重答的问题保留原来的回答" in editing
    assert "(之前的回答:发了促销页)" in editing
    await chat.type("发了促销页和主图")  # only question 1 again, then nothing more
    summary = await chat.type("/time +3h")
    assert "1/2 人已回答,1 个阻碍" in summary  # boss set it up and takes part too
    assert "等快递公司回复" in summary and "发了促销页和主图" in summary
    assert "打包订单" in summary


async def test_a_slash_runs_a_command_while_a_standup_waits(chat: Chat) -> None:
    await bob_is_asked(chat, "standup setup 09:30 mon-fri", "standup add @bob")
    assert "Commands" in await chat.type("/help")
    assert "(2/3)" in await chat.type("help with the promo page")
    assert "OK, you skip standup “daily” on 2026-11-24." in await chat.type("skip")


async def test_replies_in_a_thread_name_the_message_they_belong_to(chat: Chat) -> None:
    reply = await chat.say("ask where is the customs invoice template?")
    assert "↳ m1 “ask where is the customs”" in reply
    await chat.type("/thread m1")
    assert chat.console.here.thread == "m1"
    assert "#ops ↳m1" in chat.console.prompt()


async def test_press_any_card_of_the_session_by_its_number(chat: Chat) -> None:
    first = await chat.say("task add Pack orders")
    assert "(press <n>; card 1: press 1.<n>)" in first
    await chat.say("task add Label pallets")
    pressed = await chat.type("press 1.2")  # card 1's second button: Done on #1
    assert "(updated) #1 is done" in pressed
    assert "#2 Label pallets" in await chat.say("task list")


async def test_clock_moves_forward_only_and_fires_due_reminders(chat: Chat) -> None:
    await chat.say("task add Ship samples @alice due:tomorrow")
    fired = await chat.type("/time 2026-11-25 09:05")
    assert "→ DM @alice: ⏰ #1 Ship samples" in fired
    refused = await chat.type("/time 2026-11-20 09:00")
    assert "only moves forward" in refused
    assert "Use /time 2026-12-03 09:05" in await chat.type("/time someday")


async def test_names_in_any_script_and_full_width_at(chat: Chat) -> None:
    reply = await chat.say("新建任务 补货 @小王 ＠bob")
    assert "负责人: @小王, @bob" in reply
    await chat.type("/as 小王 dm")
    assert "#1 补货" in await chat.type("我的任务")


async def test_console_commands_are_listed(chat: Chat) -> None:
    listed = await chat.type("/console")
    assert "/as NAME [dm|#channel]" in listed and "/time 2026-12-03 09:05" in listed


def test_empty_channel_or_user_is_a_usage_error(tmp_path: Path) -> None:
    for option in ("--channel", "--user"):
        result = baton("console", option, "", db=tmp_path / "b.db")
        assert result.returncode == 2
        assert "give a name without spaces" in result.stderr
        assert "Traceback" not in result.stderr


def test_console_user_and_non_ascii_names_from_the_command_line(tmp_path: Path) -> None:
    result = baton(
        "console", "--user", "小王", stdin="task add 盘点 @老李\n我的任务\n", db=tmp_path / "b.db"
    )
    assert result.returncode == 0, result.stderr
    assert "→ DM @老李: @小王" in result.stdout


def test_ctrl_c_leaves_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    env.update(
        BATON_DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}",
        BATON_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"tz\n")
        process.stdin.flush()
        assert b"time zone" in process.stdout.readline()  # running, waiting for the next line
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 130
        assert time.monotonic() - started < 5
        assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()


async def test_a_chinese_standup_runs_on_make_up_working_days(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 10, 8, 8, 0, tzinfo=UTC))  # the end of Golden Week, 2026
    await chat.say("站会 设置 09:30 周一至周五", user="boss")
    assert "CN" in await chat.say("站会 节假日 CN", user="boss")
    await chat.say("站会 添加 @bob", user="boss")
    assert "(2026-10-09)" in await chat.type("/time 2026-10-09 09:30")  # Friday
    saturday = await chat.type("/time 2026-10-10 09:30")  # a Saturday worked (调休)
    assert "→ DM @bob:" in saturday and "(2026-10-10)" in saturday
    assert "→ DM @bob:" not in await chat.type("/time 2026-10-11 09:30")  # Sunday: off
