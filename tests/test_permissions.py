"""Channel-scoped permissions, every case in English and Chinese: who sees a channel's tasks from
elsewhere, who changes a channel's settings, who renames, re-dates and deletes, who forces past a
WIP limit, and how admins name a channel's managers.

The cast: alice creates task #1 in #private and bob owns it; mia manages #private; mallory is in
#private and #random but manages nothing; boss is an admin (``BATON_ADMINS``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.app import App
from bot.clock import FrozenClock
from tests.conftest import Chat
from tests.fakes.messages import make_button, make_inbound

MANAGERS_ONLY = "Only this channel's managers and admins may"
MANAGERS_ONLY_ZH = "只有本频道的频道管理员和管理员可以"
ELSEWHERE = "Task #1 belongs to another channel"
ELSEWHERE_ZH = "任务 #1 属于另一个频道"
SETTINGS_TABLES = ("boards", "reminder_settings", "standups", "faq_watch", "digests")


@pytest.fixture
async def team(chat: Chat) -> Chat:
    """#private with task #1 (alice's, owned by bob, due tomorrow, tagged #money) and mia as its
    manager."""
    await chat.say(
        "task add Supplier refund @bob due:tomorrow #money", user="alice", channel="private"
    )
    assert "Added as managers: @mia" in await chat.say(
        "manager add @mia", user="boss", channel="private"
    )
    return chat


def task_row(app: App) -> dict[str, object]:
    """Task #1 as stored, with its owners and how many history lines it has."""
    with app.engine.connect() as conn:
        row = conn.execute(
            sa.text('SELECT id, title, due_at, done_at, deleted_at, "column" FROM tasks')
        ).one()
        owners = conn.execute(sa.text("SELECT user_id FROM task_owners")).scalars().all()
        events = conn.execute(sa.text("SELECT count(*) FROM task_events")).scalar_one()
    return {**row._asdict(), "owners": sorted(owners), "events": events}


def settings_rows(app: App) -> dict[str, int]:
    with app.engine.connect() as conn:
        return {
            name: int(conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one())
            for name in SETTINGS_TABLES
        }


# --- a task is visible from its own channel; elsewhere to its creator, owners and admins ------


async def test_task_show_from_another_channel_is_refused_without_its_history(team: Chat) -> None:
    refused = await team.say("task show 1", user="mallory", channel="random")
    assert ELSEWHERE in refused and "only its creator, its owners and admins" in refused
    assert "Supplier" not in refused and "created it" not in refused
    refused_zh = await team.say("查看任务 1", user="mallory", channel="random")
    assert ELSEWHERE_ZH in refused_zh and "Supplier" not in refused_zh
    for user in ("alice", "bob", "boss"):
        assert "@alice created it" in await team.say("task show 1", user=user, channel="random")
    assert "Supplier refund" in await team.say("task show 1", user="mallory", channel="private")


async def test_task_lists_elsewhere_show_only_what_the_reader_may_see(
    team: Chat, clock: FrozenClock
) -> None:
    await team.say("task add Lunch menu #money", user="mallory", channel="random")
    for query in ("task list #money", "task list @bob", "任务列表 #money", "任务列表 @bob"):
        listed = await team.say(query, user="mallory", channel="random")
        assert "Supplier" not in listed, query
    assert "#2 Lunch menu" in await team.say("task list #money", user="mallory", channel="random")
    assert "(1):" in await team.say("task list #money", user="mallory", channel="random")
    assert "Supplier refund" in await team.say("task list #money", user="alice", channel="random")
    assert "Supplier refund" in await team.say("task list @bob", user="boss", channel="random")
    assert "Supplier refund" in await team.say(
        "task list #money", user="mallory", channel="private"
    )
    assert "Supplier refund" in await team.say("my tasks", user="bob", channel="random")
    assert "Supplier" not in await team.say("我的任务", user="mallory", channel="random")
    clock.advance(timedelta(days=3))
    assert "Supplier" not in await team.say("task list overdue", user="mallory", channel="random")
    assert "Supplier" not in await team.say("任务列表 逾期", user="mallory", channel="random")
    assert "Supplier refund" in await team.say("task list overdue", user="bob", channel="random")


async def test_nobody_changes_another_channels_task_from_elsewhere(team: Chat, app: App) -> None:
    before = task_row(app)
    for line in (
        "task rename 1 Mine now",
        "task due 1 none",
        "task done 1",
        "task start 1",
        "task delete 1",
        "task note 1 pay me instead",
        "task assign 1 @mallory",
        "task move 1 doing --force",
        "task snooze 1 tomorrow",
    ):
        assert ELSEWHERE in await team.say(line, user="mallory", channel="random"), line
    for line in (
        "任务 改名 1 我的",
        "任务 截止 1 无",
        "完成任务 1",
        "删除任务 1",
        "任务 备注 1 嗯",
    ):
        assert ELSEWHERE_ZH in await team.say(line, user="mallory", channel="random"), line
    forged = make_button("task.done", "1", user="mallory", channel="random")
    assert ELSEWHERE in await team.send(forged)
    assert task_row(app) == before


async def test_home_and_digests_list_only_what_the_reader_may_see(
    team: Chat, clock: FrozenClock
) -> None:
    bob_home = await team.send(make_button("home.open", user="bob", dm=True))
    assert "#1 Supplier refund" in bob_home
    assert "Supplier" not in await team.send(make_button("home.open", user="mallory", dm=True))
    for user in ("bob", "mallory"):
        await team.send(make_inbound("digest on 08:30", user=user, dm=True))
    clock.set(datetime(2026, 11, 25, 8, 31, tzinfo=UTC))
    team.console.announce_all = True  # each line says whose DM it went to
    digests = await team.tick()
    assert "→ DM @bob" in digests and "#1 Supplier refund" in digests
    mallorys = digests.split("→ DM @mallory")[1].split("→ @")[0]
    assert "no open tasks" in mallorys and "Supplier" not in mallorys


# --- rename, due date and delete: creator, owners, managers and admins --------------------


async def test_rename_due_and_delete_are_refused_to_others_in_the_channel(
    team: Chat, app: App
) -> None:
    before = task_row(app)
    say = team.say
    rule = "Only the creator, an owner, a manager of its channel or an admin may"
    assert f"{rule} rename task #1" in await say(
        "task rename 1 Mine", user="mallory", channel="private"
    )
    assert f"{rule} change the due date of task #1" in await say(
        "task due 1 none", user="mallory", channel="private"
    )
    assert f"{rule} delete task #1" in await say(
        "task delete 1", user="mallory", channel="private"
    )
    assert f"{rule} reassign task #1" in await say(
        "task assign 1 @mallory", user="mallory", channel="private"
    )
    rule_zh = "只有创建人、负责人、所在频道的频道管理员或管理员可以对任务 #1 执行"
    for line, what in (
        ("任务 改名 1 我的", "改名"),
        ("任务 截止 1 无", "修改截止时间"),
        ("删除任务 1", "删除"),
    ):
        assert f"{rule_zh}“{what}”" in await say(line, user="mallory", channel="private"), line
    assert task_row(app) == before


async def test_rename_due_and_delete_by_creator_owner_manager_and_admin(team: Chat) -> None:
    say = team.say
    assert "now called “Refund supplier”" in await say(
        "task rename 1 Refund supplier", user="bob", channel="private"
    )
    assert "has no due date now" in await say("task due 1 none", user="mia", channel="private")
    assert "#1 is due" in await say("task due 1 fri", user="alice", channel="private")
    assert "已改名为“退款”" in await say("任务 改名 1 退款", user="mia", channel="private")
    assert "Deleted #1" in await say("task delete 1", user="mia", channel="private")
    assert "已恢复 #1" in await say("恢复任务 1", user="boss", channel="random")


async def test_anyone_in_the_channel_may_start_move_and_comment(team: Chat, app: App) -> None:
    say = team.say
    assert "#1 moved to doing" in await say("task start 1", user="mallory", channel="private")
    assert "Note added to #1" in await say(
        "task note 1 called them", user="mallory", channel="private"
    )
    assert "已移到 todo" in await say("移动任务 1 todo", user="mallory", channel="private")
    assert "已给 #1 添加备注" in await say(
        "任务 备注 1 已打电话", user="mallory", channel="private"
    )
    assert "Added item 1" in await say(
        "task check add 1 Scan receipt", user="mallory", channel="private"
    )
    assert "snoozed until" in await say(
        "task snooze 1 tomorrow", user="mallory", channel="private"
    )
    assert "#1 is done" in await say("task done 1", user="mallory", channel="private")
    assert task_row(app)["done_at"] is not None


# --- board and channel settings: managers and admins ---------------------------------------


SETTINGS_LINES = (
    ("task columns todo,doing,review,done", "Columns here are now"),
    ("task wip doing 3", "WIP limit for doing is now 3"),
    ("remind settings quiet 22:00-08:00", "quiet hours 22:00-08:00"),
    ("standup setup 09:30 mon-fri", "Standup created"),
    ("faq watch", "I'll answer questions asked in this channel"),
    ("digest weekly mon 09:00", "weekly digest every mon"),
)
SETTINGS_LINES_ZH = (
    "任务 列 待办,进行中,完成",
    "任务 在制品 doing 3",
    "提醒 设置 周末 开",
    "站会 设置 09:30 周一至周五",
    "知识库 监听",
    "摘要 每周 周一 09:00",
)


async def test_channel_settings_are_refused_to_non_managers(team: Chat, app: App) -> None:
    before = settings_rows(app)
    for line, _ in SETTINGS_LINES:
        refused = await team.say(line, user="mallory", channel="private")
        assert MANAGERS_ONLY in refused and "`manager list`" in refused, line
        assert "Nothing was changed" in refused
    for line in SETTINGS_LINES_ZH:
        refused = await team.say(line, user="mallory", channel="private")
        assert MANAGERS_ONLY_ZH in refused and "`频道管理员 列表`" in refused, line
    unwatch = await team.say("faq unwatch", user="mallory", channel="private")
    assert MANAGERS_ONLY_ZH in unwatch  # an English command word; mallory writes Chinese lately
    assert settings_rows(app) == before
    assert "todo → doing → done" in await team.say("task board", user="mallory", channel="private")


async def test_channel_settings_by_a_manager_and_an_admin(team: Chat, app: App) -> None:
    for line, answer in SETTINGS_LINES:
        assert answer in await team.say(line, user="mia", channel="private"), line
    assert "Columns here are now" in await team.say(
        "task columns todo,doing,done", user="boss", channel="random"
    )
    assert all(count > 0 for count in settings_rows(app).values())
    assert MANAGERS_ONLY in await team.say(
        "task columns a,b", user="mia", channel="random"
    )  # managing #private is not managing #random


async def test_forcing_past_a_wip_limit_is_for_managers_and_admins(team: Chat) -> None:
    say = team.say
    await say("task wip doing 1", user="mia", channel="private")
    await say("task add Count stock", user="alice", channel="private")
    await say("task start 1", user="mallory", channel="private")
    refused = await say("task move 2 doing --force", user="mallory", channel="private")
    assert "WIP limit (1/1)" in refused and "only this channel's managers and admins" in refused
    assert "--force" not in refused
    refused_zh = await say("移动任务 2 doing --force", user="mallory", channel="private")
    assert "只有本频道的频道管理员和管理员可以强制超过上限" in refused_zh
    assert "or add --force" in await say("task move 2 doing", user="mia", channel="private")
    assert "#2 moved to doing" in await say(
        "task move 2 doing --force", user="mia", channel="private"
    )


# --- managers: named by admins; platform admins; your own DM ------------------------------


async def test_managers_are_named_and_removed_by_admins_in_both_languages(team: Chat) -> None:
    say = team.say
    admins_only = "Only an admin (BATON_ADMINS) can name or remove a channel's managers"
    assert admins_only in await say("manager add @mallory", user="mallory", channel="private")
    assert admins_only in await say("manager add @zed", user="mia", channel="private")
    assert "只有管理员(BATON_ADMINS)可以指定或移除频道管理员" in await say(
        "管理员 添加 @mallory", user="mallory", channel="private"
    )
    added = await say("manager add @mia @zed", user="boss", channel="private")
    assert "Added as managers: @zed. Managers of this channel: @mia, @zed." in added
    assert "Managers of this channel: @mia, @zed." in await say(
        "manager list", user="mallory", channel="private"
    )
    assert "本频道的频道管理员:@mia, @zed。" in await say(
        "频道管理员 列表", user="mallory", channel="private"
    )
    assert "Managers of this channel: nobody yet." in await say("managers", channel="random")
    assert "已移除频道管理员:@zed。" in await say(
        "管理员 移除 @zed", user="boss", channel="private"
    )
    assert MANAGERS_ONLY in await say("task wip doing 2", user="zed", channel="private")
    assert "No longer managers: -." in await say("manager rm @zed", user="boss", channel="private")


async def test_manager_commands_refuse_bad_and_hostile_input(team: Chat) -> None:
    say = team.say
    assert "Mention who, e.g. `manager add @alice`" in await say("manager add", user="boss")
    assert "Mention who" in await say("manager add <!channel> @all @here", user="boss")
    assert "Mention who" in await say('manager add <at user_id="all"></at>', user="boss")
    crowd = " ".join(f"@u{n}" for n in range(21))
    assert "That names 21 people; at most 20" in await say(f"manager add {crowd}", user="boss")
    assert "请 @ 要设置的人" in await say("频道管理员 添加", user="boss")
    dm = await team.send(make_inbound("manager add @mia", user="boss", dm=True))
    assert "Run this in the channel you mean" in dm
    assert "Managers of this channel: @mia." in await say("manager list", channel="private")


async def test_platform_admins_manage_the_channel_they_write_in(team: Chat, app: App) -> None:
    def olga(text: str, channel: str) -> str:
        return team.send(make_inbound(text, user="olga", channel=channel, platform_admin=True))

    assert "Columns here are now" in await olga("task columns todo,doing,done", "private")
    assert "now called “Refund”" in await olga("task rename 1 Refund", "private")
    assert ELSEWHERE in await olga("task rename 1 Gone", "random")
    assert MANAGERS_ONLY in await team.say("task columns a,b", user="olga", channel="private")
    assert task_row(app)["title"] == "Refund"


async def test_a_direct_message_is_the_persons_own_board(team: Chat) -> None:
    own = make_inbound("task columns todo,doing,done,archive", user="mallory", dm=True)
    assert "todo → doing → done → archive" in await team.send(own)
    zh = make_inbound("任务 在制品 doing 2", user="mallory", dm=True)
    assert "doing 列的在制品上限现在是 2" in await team.send(zh)
