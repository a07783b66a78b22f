"""Reading people right on day one: zones by city or offset, people Baton cannot resolve named in
the reply, "did you mean" in Chinese, help that starts with the common commands, and the first
person told how to become admin."""

from __future__ import annotations

from pathlib import Path

import pytest
import tzlocal

from bot.clock import FrozenClock
from bot.config import Settings
from bot.wiring import build_app
from tests.conftest import Chat
from tests.fakes.messages import make_actor, make_inbound


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("北京", "Asia/Shanghai"),
        ("Shanghai", "Asia/Shanghai"),
        ("berlin", "Europe/Berlin"),
        ("asia/tokyo", "Asia/Tokyo"),
        ("New York", "America/New_York"),
        ("纽约", "America/New_York"),
        ("UTC+8", "Etc/GMT-8"),
    ],
)
async def test_tz_by_city_name_case_or_offset(chat: Chat, typed: str, zone: str) -> None:
    assert zone in await chat.say(f"tz {typed}")


async def test_tz_unknown_place_gives_examples_in_the_writers_language(chat: Chat) -> None:
    assert "`UTC+8`" in await chat.say("tz Atlantis")
    assert "请写城市" in await chat.say("时区 火星")


def test_team_default_zone_is_the_hosts_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATON_TIMEZONE", raising=False)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    tzlocal.reload_localzone()  # tzlocal remembers the zone it found first
    assert Settings(_env_file=None).timezone == "Asia/Tokyo"  # type: ignore[call-arg]
    monkeypatch.setenv("BATON_TIMEZONE", "Europe/Berlin")
    assert Settings(_env_file=None).timezone == "Europe/Berlin"  # type: ignore[call-arg]
    monkeypatch.undo()
    tzlocal.reload_localzone()


async def test_standup_add_names_who_was_already_in_and_who_is_unknown(chat: Chat) -> None:
    await chat.say("standup setup 09:30 mon-fri", user="boss")
    # What a platform hands over when @bob is a real mention and @小王 stayed plain text.
    added = await chat.send(
        make_inbound(
            "standup add <@bob> @小王 <@boss>",
            mentions=(make_actor("bob"), make_actor("boss")),
            received_at=chat.clock.now(),
            user="boss",
        )
    )
    assert "Added to standup “daily”: @bob." in added
    assert "Already taking part: @boss." in added
    assert "I don't know who @小王 is here, so I left them out." in added
    chinese = await chat.send(
        make_inbound("站会 添加 ＠老李", received_at=chat.clock.now(), user="carol")
    )
    assert "我不知道 @老李 是这里的哪位同事" in chinese


async def test_task_add_with_an_unknown_person_says_so(chat: Chat) -> None:
    reply = await chat.send(make_inbound("task add Call DHL @dave", received_at=chat.clock.now()))
    assert "Created #1: Call DHL @dave" in reply
    assert "I don't know who @dave is here" in reply
    everyone = await chat.send(make_inbound("task add Tell @all", received_at=chat.clock.now()))
    assert "Created #2" in everyone and "I don't know who" not in everyone  # @all is nobody


async def test_did_you_mean_for_chinese_commands(chat: Chat) -> None:
    assert "您是想用 `任务 完成` 吗" in await chat.say("任务 完陈 1")
    assert "您是想用 `站会 设置` 吗" in await chat.say("站会设制 09:30")
    assert "Did you mean `task start`" in await chat.say("task strat 1", user="bob")


async def test_help_lists_common_commands_first_then_by_feature(chat: Chat) -> None:
    english = await chat.say("help")
    common, rest = english.split("\n*Tasks*\n", 1)
    assert "`task add" in common and "`my tasks" in common and "`ask <question>`" in common
    assert "*Standups*" in rest and rest.index("*Standups*") < rest.index("*Your settings*")
    chinese = await chat.say("帮助")
    headings = [line for line in chinese.splitlines() if line.startswith("*")]
    assert headings == [
        "*任务*", "*提醒与摘要*", "*站会*", "*知识库与提问*", "*规则与 Webhook*", "*频道管理员*", "*网页看板*",
        "*个人设置*", "*帮助*",
    ]  # fmt: skip


async def test_first_person_is_told_how_to_become_admin(
    tmp_path: Path, clock: FrozenClock
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'first.db'}",
        timezone="UTC",
    )
    app = build_app(settings, clock=clock)
    chat = Chat(app, clock)
    first = await chat.say("task list", user="mei")
    assert "Nobody is an admin yet" in first and "`BATON_ADMINS=mei`" in first
    assert "Nobody is an admin" not in await chat.say("task list", user="mei")
    assert "Nobody is an admin" not in await chat.say("task list", user="tom")
    app.engine.dispose()
