"""Answering in the language people use: their own setting first, then the language they mostly
write in, so a single word of the other language does not switch the reply."""

from __future__ import annotations

from bot.cjk import count_cjk, has_cjk, is_cjk
from bot.people import written_language
from tests.conftest import Chat


def test_a_message_is_in_the_language_most_of_it_is_written_in() -> None:
    assert written_language("task note 1 supplier says 明天 is fine") == "en"
    assert written_language("供应商说明天发货 ok") == "zh"
    assert written_language("<@小王> <@老李>") is None  # names are not words
    assert written_language("task list", args="") is None  # a bare command says nothing
    assert written_language("task list 2", args="2") is None


def test_chinese_characters_are_the_unified_ideographs_extension_a_and_compatibility_blocks() -> (
    None
):
    assert count_cjk("补货 SKU-1 明天") == 4
    assert has_cjk("refund 㐀") and has_cjk("豈") and not has_cjk("refund ｒｅｆｕｎｄ ガ 한")
    assert is_cjk("货") and not is_cjk("a") and not is_cjk("ガ")
    assert count_cjk("") == 0


async def test_one_chinese_word_in_an_english_answer_keeps_english(chat: Chat) -> None:
    await chat.say("task add Restock the warehouse shelves")
    assert "Note added to #1." in await chat.say("task note 1 supplier says 明天 is fine")
    assert "Tasks in todo" in await chat.say("task list 待办", user="bob")


async def test_a_chinese_writer_keeps_chinese_when_typing_english_commands(chat: Chat) -> None:
    await chat.say("新建任务 补货 蓝牙耳机", user="bob")
    await chat.say("任务 备注 1 供应商说明天发货", user="bob")
    assert "未完成的任务" in await chat.say("task list", user="bob")
    assert "#1 已移到 doing" in await chat.say("task start 1", user="bob")


async def test_a_persons_own_setting_wins_over_any_message(chat: Chat) -> None:
    await chat.say("lang en", user="bob")
    assert "No tasks here" in await chat.say("任务列表", user="bob")
    await chat.say("语言 中文", user="carol")
    assert "这里还没有任务" in await chat.say("task list", user="carol")
