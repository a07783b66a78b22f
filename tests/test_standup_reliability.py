"""Standups that must not spam or go silent: holidays, DST, restarts, doubled ticks, missed
occurrences, and ``baton tick --at`` printing prompts in the console."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.app import App
from bot.cli import cli
from bot.clock import FrozenClock
from bot.config import Settings
from bot.wiring import build_app
from tests.conftest import Chat
from tests.fakes.standups import Team

EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
ALICE_AT = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


@pytest.fixture
def team(chat: Chat, clock: FrozenClock) -> Team:
    return Team(chat, clock)


async def alice_standup(team: Team, at: datetime = EVENING) -> None:
    team.clock.set(at)
    await team.zones(alice="Asia/Shanghai")
    assert "Standup created" in await team.say("standup setup 09:30 mon-fri")


def rows(app: App, sql: str) -> list[tuple[object, ...]]:
    with app.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql)).all()]


async def test_standup_holiday_cn_is_skipped(team: Team) -> None:
    await alice_standup(team, datetime(2026, 12, 31, 0, 0, tzinfo=UTC))
    assert "将跳过 CN 的法定节假日" in await team.say("站会 节假日 cn")
    assert "DM @alice" in await team.at(datetime(2026, 12, 31, 1, 30, tzinfo=UTC))
    await team.dm("skip", user="alice")
    team.clock.set(datetime(2026, 12, 31, 12, 0, tzinfo=UTC))  # 20:00 in Shanghai
    assert "early, for 2027-01-01" in await team.dm("standup answer", user="alice")
    assert "(2/3)" in await team.dm("Wrapped up the year", user="alice")
    new_year = await team.at(datetime(2027, 1, 1, 1, 30, tzinfo=UTC))  # Friday, a holiday
    assert "DM @alice" not in new_year
    assert "I don't know that command" in await team.dm("hello", user="alice")  # not an answer
    assert "DM @alice: Good morning! Time for standup “daily” (2027-01-04)" in await team.at(
        datetime(2027, 1, 4, 1, 30, tzinfo=UTC)
    )
    assert ("2027-01-01", "holiday") in rows(team.app, "SELECT day, status FROM standup_runs")
    assert "not a country calendar" in await team.say("standup holidays XX")


async def test_standup_prompts_keep_local_time_across_dst(team: Team) -> None:
    await team.zones(bob="Europe/Berlin", carol="America/Los_Angeles")
    await alice_standup(team, datetime(2027, 3, 11, 20, 0, tzinfo=UTC))
    await team.say("standup add @bob @carol")
    await team.say("standup leave")
    checks = [  # (moment, who, prompted?)  LA changes on 2027-03-14, Berlin on 2027-03-28
        (datetime(2027, 3, 12, 17, 29, tzinfo=UTC), "carol", False),
        (datetime(2027, 3, 12, 17, 30, tzinfo=UTC), "carol", True),  # 09:30 PST
        (datetime(2027, 3, 15, 16, 29, tzinfo=UTC), "carol", False),
        (datetime(2027, 3, 15, 16, 30, tzinfo=UTC), "carol", True),  # 09:30 PDT
        (datetime(2027, 3, 26, 8, 29, tzinfo=UTC), "bob", False),
        (datetime(2027, 3, 26, 8, 30, tzinfo=UTC), "bob", True),  # 09:30 CET
        (datetime(2027, 3, 29, 7, 29, tzinfo=UTC), "bob", False),
        (datetime(2027, 3, 29, 7, 30, tzinfo=UTC), "bob", True),  # 09:30 CEST
    ]
    for moment, who, prompted in checks:
        printed = await team.at(moment)
        assert (f"DM @{who}: Good morning" in printed) is prompted, (moment, printed)


async def test_standup_restart_mid_window_sends_the_late_prompt_once(
    team: Team, settings: Settings
) -> None:
    await alice_standup(team)
    assert "→ DM" not in await team.at(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    team.clock.set(datetime(2026, 11, 25, 2, 15, tzinfo=UTC))  # down at 09:30, back at 10:15
    second = build_app(settings, clock=team.clock)
    try:
        restarted = Team(Chat(second, team.clock), team.clock)
        printed = await restarted.tick()
        assert printed.count("DM @alice: Good morning") == 1
        assert await restarted.tick() == "" and await team.tick() == ""
        assert "(2/3)" in await restarted.dm("Recovered the server", user="alice")
    finally:
        second.engine.dispose()
    prompts = rows(team.app, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE '%prompt'")
    assert prompts == [(1,)]


async def test_standup_double_tick_prompts_once(team: Team, settings: Settings) -> None:
    await alice_standup(team)
    team.clock.set(ALICE_AT)
    other = build_app(settings, clock=team.clock)
    try:
        Chat(other, team.clock)  # a console to deliver through
        await other.run_ticks()
        await team.tick()
        await other.run_ticks()
    finally:
        other.engine.dispose()
    assert rows(team.app, "SELECT count(*) FROM standup_runs") == [(1,)]
    assert rows(team.app, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE '%prompt'") == [(1,)]
    await team.at(datetime(2026, 11, 25, 4, 30, tzinfo=UTC))
    await team.tick()
    assert rows(team.app, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE '%summary'") == [(1,)]


async def test_standup_missed_occurrence_is_recorded_without_spam(team: Team) -> None:
    await alice_standup(team)
    assert await team.at(datetime(2026, 11, 24, 21, 0, tzinfo=UTC)) == ""
    assert await team.at(datetime(2026, 11, 24, 10, 0, tzinfo=UTC)) == ""  # before it existed
    assert await team.at(datetime(2026, 11, 25, 5, 0, tzinfo=UTC)) == ""  # window has passed
    assert rows(team.app, "SELECT day, status FROM standup_runs") == [("2026-11-25", "missed")]
    assert rows(team.app, "SELECT day, status FROM standup_days") == [("2026-11-25", "missed")]
    assert "DM @alice: Good morning" in await team.at(ALICE_AT + timedelta(days=1))
    report = await team.say("standup report 2026-11-25")
    assert "Not asked (Baton was offline): @alice" in report and "answered (" not in report


def test_tick_at_prints_prompts_in_the_console(team: Team) -> None:
    created = asyncio.run(team.say("standup setup 09:30 mon-fri"))  # alice, in UTC
    assert "Standup created" in created
    team.app.engine.dispose()
    env = {"BATON_DATABASE_URL": team.app.settings.database_url.get_secret_value()}
    result = CliRunner().invoke(cli, ["tick", "--at", "2026-11-24T09:31:00+00:00"], env=env)
    assert result.exit_code == 0, result.output
    assert "→ DM @alice: Good morning! Time for standup “daily” (2026-11-24)" in result.output
    again = CliRunner().invoke(cli, ["tick", "--at", "2026-11-24T09:32:00+00:00"], env=env)
    assert again.exit_code == 0 and "Good morning" not in again.output


async def test_standup_follows_a_participant_who_changes_zone(team: Team) -> None:
    await alice_standup(team)
    await team.say("standup add @carol")  # carol has no zone yet: the team default, UTC
    await team.zones(carol="America/Los_Angeles")
    assert "DM @carol" not in await team.at(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    assert "DM @carol: Good morning" in await team.at(datetime(2026, 11, 25, 17, 30, tzinfo=UTC))
