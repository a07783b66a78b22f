"""Standup transcripts: prompts at each person's local time, answers, edit, skip, early answers,
nudge, time off, the summary with blockers, and the per-answer style."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.clock import FrozenClock
from tests.conftest import Chat
from tests.fakes.standups import Team

EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # Tue; Wed 04:00 in Shanghai, noon in LA
# Wednesday 2026-11-25, 09:30 local time of each participant, in UTC:
ALICE_AT = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # Asia/Shanghai
BOB_AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # Europe/Berlin
CAROL_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # America/Los_Angeles
CLOSES = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)  # the last window (LA) closes
NUDGE_CAROL = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)  # two thirds into carol's window


@pytest.fixture
def team(chat: Chat, clock: FrozenClock) -> Team:
    return Team(chat, clock)


async def three_zones(team: Team, setup: str = "standup setup 09:30 mon-fri") -> None:
    team.clock.set(EVENING)
    await team.zones(alice="Asia/Shanghai", bob="Europe/Berlin", carol="America/Los_Angeles")
    assert "Standup created" in await team.say(setup)
    assert "@bob @carol" in await team.say("standup add @bob @carol")


async def answer(team: Team, user: str, *lines: str) -> str:
    return "".join([await team.dm(line, user=user) for line in lines])


async def test_standup_prompts_each_person_at_their_local_time(team: Team) -> None:
    await three_zones(team)
    assert "→ DM" not in await team.at(datetime(2026, 11, 25, 1, 29, tzinfo=UTC))
    printed = await team.at(ALICE_AT)
    assert "→ DM @alice: Good morning! Time for standup “daily” (2026-11-25)" in printed
    assert "What did you do yesterday?" in printed
    assert "@bob" not in printed and "@carol" not in printed
    assert "DM @bob" not in await team.at(datetime(2026, 11, 25, 8, 29, tzinfo=UTC))
    printed = await team.at(BOB_AT)
    assert "→ DM @bob: Good morning" in printed and "@carol" not in printed
    assert "DM @carol" not in await team.at(datetime(2026, 11, 25, 17, 29, tzinfo=UTC))
    assert "→ DM @carol: Good morning" in await team.at(CAROL_AT)


async def test_standup_answers_edit_nudge_away_and_summary_with_blockers(team: Team) -> None:
    await three_zones(team)
    assert "No standup questions from 2026-11-24 to 2026-11-26" in await team.say(
        "standup away 3d", user="bob"
    )
    await team.at(ALICE_AT)
    printed = await answer(team, "alice", "Fixed CI", "Ship 1.2", "Waiting for the API key")
    assert "(2/3) What will you do today?" in printed
    assert "(3/3) Anything blocking you?" in printed
    assert "your blocker is flagged" in printed
    printed = await team.dm("standup edit", user="alice")
    assert "Editing your answers" in printed and "(before: Fixed CI)" in printed
    await answer(team, "alice", "Fixed CI", "Ship 1.3", "Waiting for the API key")
    assert "DM @bob" not in await team.at(BOB_AT)  # away
    assert "→ DM @carol: Good morning" in await team.at(CAROL_AT)
    nudge = await team.at(NUDGE_CAROL)
    assert "→ DM @carol: A gentle reminder" in nudge and "closes at 12:30" in nudge
    assert "reminder" not in await team.at(NUDGE_CAROL)  # one nudge only
    summary = await team.at(CLOSES)
    assert "→ #ops: Standup “daily” — 2026-11-25: 1/2 answered, 1 blocker(s)." in summary
    blockers_at = summary.index("Blockers:")
    assert blockers_at < summary.index("What did you do yesterday? Fixed CI")
    assert "🚧 @alice: Waiting for the API key" in summary
    assert "Ship 1.3" in summary and "Ship 1.2" not in summary
    assert "Away: @bob" in summary and "No answer: @carol" in summary
    assert "[1] Create task: alice  [2] Ask for help: alice" in summary
    assert await team.at(CLOSES) == ""  # posted once
    with team.app.engine.connect() as conn:
        payload = conn.execute(
            sa.text("SELECT payload FROM outbox WHERE dedupe_key LIKE :key"), {"key": "%:summary"}
        ).scalar_one()
    task_button = json.loads(payload)["card"]["buttons"][0]
    assert task_button["action"] == "task.quickadd"
    value = json.loads(task_button["value"])
    assert value["owner"] == "alice" and value["title"] == "Waiting for the API key"
    assert value["due"] is None and value["link"].startswith("standup:")
    help_reply = await team.say("press 2", user="dave")  # "Ask for help": an FAQ escalation
    assert "🆘 @alice is blocked: I asked @boss to help (escalation #1, normal)" in help_reply
    assert "Waiting for the API key" in help_reply and "Save as FAQ" in help_reply
    created = await team.press(task_button, user="dave")  # "Create task" on the summary card
    assert "Created #1: Waiting for the API key" in created and "Owner: @alice" in created
    assert "→ DM @alice: @dave assigned you task #1" in created
    assert "nothing to edit" in await team.dm("standup edit", user="alice")
    closed = await team.dm("too late to answer", user="carol")  # her conversation has ended
    assert "I don't know that command" in closed


async def test_standup_skip_and_early_answer_from_the_evening_before(team: Team) -> None:
    await three_zones(team)
    printed = await team.say("standup answer", user="bob")  # Tuesday 21:00 in Berlin
    assert "→ DM @bob: Answering standup “daily” early, for 2026-11-25." in printed
    assert "I sent you a direct message" in printed
    await answer(team, "bob", "Reviewed PRs", "Write docs", "none")
    assert "already answered" in await team.say("standup answer", user="bob")
    assert "OK, you skip standup “daily” on 2026-11-25" in await team.say(
        "standup skip", user="carol"
    )
    assert "DM @alice: Good morning" in await team.at(ALICE_AT)
    assert "you skip" in await team.dm("skip", user="alice")
    assert "→ DM" not in await team.at(BOB_AT)
    assert "→ DM" not in await team.at(CAROL_AT)
    summary = await team.at(CLOSES)
    assert "1/3 answered, 0 blocker(s)" in summary and "Blockers:" not in summary
    assert "Reviewed PRs" in summary and "Skipped: @alice, @carol" in summary
    assert "Create task" not in summary


async def test_standup_each_style_posts_answers_as_they_arrive(team: Team) -> None:
    await three_zones(team, "standup setup daily 09:30 mon-fri window 2h each")
    await team.at(ALICE_AT)
    printed = await answer(team, "alice", "Fixed CI", "Ship", "Blocked by VPN")
    assert "→ #ops: @alice answered standup “daily” (2026-11-25)." in printed
    assert "🚧 Blocked by VPN" in printed and "Ask for help: alice" in printed
    await team.dm("standup edit", user="alice")
    printed = await answer(team, "alice", "Fixed CI", "Ship", "nothing")
    assert "@alice edited their answers" in printed and "🚧" not in printed
    await team.at(BOB_AT)
    await team.at(CAROL_AT)
    summary = await team.at(datetime(2026, 11, 25, 19, 30, tzinfo=UTC))  # carol's 2 h window
    assert "→ #ops: Standup “daily” — 2026-11-25: 1/3 answered, 0 blocker(s)." in summary
    assert "No answer: @bob, @carol" in summary and "Fixed CI" not in summary
