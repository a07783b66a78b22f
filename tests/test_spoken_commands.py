"""Commands as people say and type them: Chinese commands without their spaces (voice transcripts
never have them) and a group's name followed by help."""

from __future__ import annotations

from tests.conftest import Chat


async def test_chinese_command_without_its_spaces_runs(chat: Chat) -> None:
    said = await chat.say("任务添加 联系DHL 补发", user="wang")
    assert "已创建 #1:联系DHL 补发" in said


async def test_group_name_then_help_is_that_groups_help(chat: Chat) -> None:
    english = await chat.say("task help")
    assert english.startswith("(only you) Commands for `task`:") and "`standup" not in english
    chinese = await chat.say("任务 帮助")
    assert chinese.startswith("(only you) `task` 相关命令:") and "`standup" not in chinese
