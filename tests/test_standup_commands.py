"""Standup commands in English and Chinese: setup, list, membership, permissions, questions,
time off, reports, and bad or hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot import mentions
from bot.clock import FrozenClock
from tests.conftest import Chat
from tests.fakes.messages import make_button
from tests.fakes.standups import Team

EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
ALICE_AT = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
BOB_AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # 09:30 in Berlin


@pytest.fixture
def team(chat: Chat, clock: FrozenClock) -> Team:
    clock.set(EVENING)
    return Team(chat, clock)


async def test_standup_setup_list_and_several_per_channel(team: Team) -> None:
    created = await team.say("standup setup 09:30 mon-fri")
    assert "“daily”: 09:30 mon-fri (each person's local time)" in created
    assert "answers collected for 3h, summary at the end, 1 participant(s)" in created
    team.appoint("bob")
    printed = await team.say("standup setup retro 16:00 fri window 90m each", user="bob")
    assert "“retro”: 16:00 fri" in printed and "1h30" in printed and "as it arrives" in printed
    assert "several standups (daily, retro)" in await team.say("standup join", user="carol")
    assert "You joined standup “retro”" in await team.say("standup join retro", user="carol")
    assert "already in" in await team.say("standup join retro", user="carol")
    listed = await team.say("standup list")
    assert "“daily”" in listed and "“retro”" in listed and "@bob @carol" in listed
    assert "You left" in await team.say("standup leave retro", user="carol")
    updated = await team.say("standup setup daily 10:00 mon,wed,fri")
    assert "Standup updated: “daily”: 10:00 mon,wed,fri" in updated


async def test_standup_setup_in_chinese(team: Team) -> None:
    created = await team.say("站会 设置 09:30 周一至周五", channel="dev")
    assert "站会已创建:“daily”:周一至周五 09:30(按每个人的当地时间)" in created
    assert "已加入站会“daily”:@bob" in await team.say("站会 添加 @bob", channel="dev")
    listed = await team.say("站会 列表", channel="dev")
    assert "本频道的站会" in listed and "2 人参加" in listed
    assert "站会“daily”已暂停" in await team.say("站会 暂停", channel="dev")
    assert "已暂停" in await team.say("站会 列表", channel="dev")
    assert "已恢复" in await team.say("站会 恢复", channel="dev")
    assert "站会“daily”已删除" in await team.say("站会 删除", channel="dev")
    assert "还没有站会" in await team.say("站会 列表", channel="dev")


async def test_standup_pause_resume_delete_need_a_manager_or_admin(team: Team) -> None:
    await team.say("standup setup 09:30 mon-fri")
    refused = (
        "Only this channel's managers and admins may set up or change this channel's standups"
    )
    assert refused in await team.say("standup delete", user="bob")
    assert refused in await team.say("standup add @carol", user="bob")
    assert refused in await team.say("standup setup bobs 10:00", user="bob")
    assert "只有本频道的频道管理员和管理员可以设置或修改本频道的站会" in await team.say(
        "站会 暂停", user="bob"
    )
    assert "is paused" in await team.say("standup pause", user="boss")
    assert "DM @alice" not in await team.at(ALICE_AT)  # paused: nobody is asked
    assert "running again" in await team.say("standup resume")
    assert "is deleted" in await team.say("standup delete", user="boss")
    assert "no standup yet" in await team.say("standup pause")


async def test_standup_refuses_bad_input_helpfully(team: Team) -> None:
    assert "in a channel" in await team.dm("standup setup 09:30", user="alice")
    assert "I don't understand “whenever”" in await team.say("standup setup 09:30 whenever")
    assert "no standup yet" in await team.say("standup join")
    await team.zones(alice="Asia/Shanghai")
    await team.say("standup setup 09:30")
    assert "There is no standup “nope”" in await team.say("standup join nope", user="bob")
    assert "Mention the people" in await team.say("standup add")
    assert "can't read “soon” as time off" in await team.say("standup away soon")
    assert "can't read" in await team.say("standup report whenever")
    assert "You were not away" in await team.say("standup back")
    away = await team.say("standup away until 2026-12-05")
    assert "No standup questions from 2026-11-25 to 2026-12-05" in away  # Shanghai
    assert "Welcome back" in await team.say("standup back")
    assert "Mention the people" in await team.say("standup add @all @channel")
    assert "Give 1 to 10 questions" in await team.say("standup questions " + "x" * 301)
    assert "not in any standup" in await team.dm("standup answer", user="zed")
    await team.at(ALICE_AT)
    too_long = await team.dm("x" * 2001, user="alice")
    assert "too long (2001 characters; the limit is 2000)" in too_long


async def test_standup_custom_questions_and_hostile_answers(team: Team) -> None:
    await team.zones(alice="Asia/Shanghai")
    await team.say("standup setup 09:30")
    printed = await team.say('standup questions "Shipped?" | “Next?” | "Stuck on anything?"')
    assert "1. Shipped?\n2. Next?\n3. Stuck on anything?" in printed
    prompt = await team.at(ALICE_AT)
    assert "Shipped?" in prompt
    await team.dm("<!channel> @all deploy done", user="alice")
    await team.dm("nothing", user="alice")
    await team.dm('<at user_id="all"> prod access', user="alice")
    await team.at(datetime(2026, 11, 25, 4, 30, tzinfo=UTC))
    with team.app.engine.connect() as conn:
        payload = conn.execute(
            sa.text("SELECT payload FROM outbox WHERE dedupe_key LIKE :k"), {"k": "%summary"}
        ).scalar_one()
    card = json.loads(payload)["card"]
    assert 'Stuck on anything? <at user_id="all"> prod access' in card["body"]
    assert "🚧" in card["body"]  # the third question is the blocker question
    assert set(mentions.mentioned_ids(card["body"])) == {"alice"}
    assert "default three questions" in await team.say("standup questions default")


async def test_standup_chinese_conversation_away_and_report(team: Team) -> None:
    await team.zones(alice="Asia/Shanghai", bob="Europe/Berlin")
    await team.say("语言 zh", user="bob")
    await team.say("站会 设置 09:30 周一至周五")
    await team.say("站会 添加 @bob")
    assert "2026-11-24 至 2026-12-05 期间不会向您提问" in await team.say(
        "请假 到 2026-12-05", user="bob"
    )
    assert "欢迎回来" in await team.say("销假", user="bob")
    assert "2026-11-24 至 2026-11-26" in await team.say("请假 3天", user="bob")
    await team.say("销假", user="bob")
    printed = await team.at(BOB_AT.replace(hour=1))  # alice at 09:30 Shanghai
    assert "@bob" not in printed
    prompt = await team.at(BOB_AT)
    assert "→ DM @bob: 早上好!站会“daily”(2026-11-25)开始了" in prompt
    assert "昨天做了什么?" in prompt
    assert "(2/3) 今天打算做什么?" in await team.dm("修复了登录问题", user="bob")
    await team.dm("发布 1.2 版", user="bob")
    thanks = await team.dm("无", user="bob")
    assert "已收到您在站会“daily”(2026-11-25)的回答" in thanks and "阻碍" not in thanks
    summary = await team.at(datetime(2026, 11, 25, 11, 30, tzinfo=UTC))
    assert "1/2 人已回答,0 个阻碍" in summary  # in the language it was set up in
    assert "未回答:@alice" in summary and "有什么阻碍吗? 无" in summary
    report = await team.say("站会 报告 7天", user="bob")
    assert "站会报告,2026-11-19 – 2026-11-25" in report
    assert "@bob:回答 1/1(100%)" in report and "@alice:回答 0/1(0%)" in report
    day = await team.say("站会 报告 2026-11-25 @bob", user="bob")
    assert "修复了登录问题" in day and "@alice" not in day
    assert "跳过" in await team.say("跳过", user="bob")  # pre-skips the next one


async def test_standup_forged_help_button_is_refused(team: Team) -> None:
    for value in ("999", "abc", ""):
        forged = make_button("standup.help", value, received_at=team.clock.now())
        queued = await team.app.handle(forged)
        assert "That blocker is no longer there" in queued[0].reply.text
