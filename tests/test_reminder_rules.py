"""The pure reminder rules: quiet hours, due-soon days, which rule a day deserves, recurrence and
time spent per board column."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.recurrence import next_occurrence, parse_every
from commands.reminders.digests import time_in_columns
from commands.reminders.rules import (
    Policy,
    in_window,
    is_quiet,
    owner_rule,
    parse_due_soon,
    parse_quiet,
)
from storage.digests import TaskLine

UTC_ZONE = ZoneInfo("UTC")


def test_remind_settings_quiet_hours_parse_and_wrap_past_midnight() -> None:
    assert parse_quiet("22:00-08:00") == (time(22), time(8))
    assert parse_quiet("22-8") == (time(22), time(8))
    assert parse_quiet("22:00到07:30") == (time(22), time(7, 30))
    assert parse_quiet("25:00-08:00") is None and parse_quiet("soon") is None
    night = Policy(quiet_start=time(22), quiet_end=time(8))
    assert is_quiet(time(23), night) and is_quiet(time(7, 59), night)
    assert not is_quiet(time(8), night) and not is_quiet(time(21, 59), night)
    lunch = Policy(quiet_start=time(12), quiet_end=time(13))
    assert is_quiet(time(12, 30), lunch) and not is_quiet(time(13), lunch)
    assert not is_quiet(time(3), Policy(quiet_start=time(0), quiet_end=time(0)))


def test_remind_settings_due_soon_days_parse() -> None:
    assert parse_due_soon("3d,1d,0d") == (3, 1, 0)
    assert parse_due_soon("1, 7") == (7, 1)
    assert parse_due_soon("3天、1天") == (3, 1)
    assert parse_due_soon("31d") is None and parse_due_soon("soon") is None


def test_remind_tasks_window_skips_weekends_unless_enabled() -> None:
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert not in_window(saturday, Policy())
    assert in_window(saturday, Policy(weekends=True))


def test_remind_tasks_latest_due_soon_rule_wins_and_overdue_counts_days() -> None:
    due = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def rule(today: date) -> tuple[str, int] | None:
        found = owner_rule(
            due_at=due, now=now, today=today, tz=UTC_ZONE, policy=Policy(), user="a"
        )
        return (found.rule, found.days) if found else None

    assert rule(date(2026, 12, 3)) is None
    assert rule(date(2026, 12, 4)) == ("due:3", 3)
    assert rule(date(2026, 12, 6)) == ("due:1", 1)
    assert rule(date(2026, 12, 7)) == ("due:0", 0)
    assert rule(date(2026, 12, 10)) == ("overdue", -3)


def test_remind_every_parses_english_and_chinese() -> None:
    assert parse_every("every monday 9:00") is not None
    assert parse_every("every weekday at 8:30").every == "weekdays"  # type: ignore[union-attr]
    assert parse_every("每周五下午3点").every == "weekly:4"  # type: ignore[union-attr]
    assert parse_every("每天9点").at == time(9)  # type: ignore[union-attr]
    assert parse_every("every blursday 9:00") is None and parse_every("tomorrow") is None


def test_remind_every_weekday_skips_the_weekend_and_keeps_wall_time_across_dst() -> None:
    la = ZoneInfo("America/Los_Angeles")
    friday = datetime(2026, 10, 30, 17, 0, tzinfo=UTC)  # Fri 10:00 PDT
    monday = next_occurrence("weekdays", time(9), after=friday, tz=la)
    assert monday == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)  # Mon 09:00 PST
    skipped = next_occurrence(
        "daily", time(2, 30), after=datetime(2027, 3, 13, 12, tzinfo=UTC), tz=la
    )
    assert skipped.astimezone(la).hour == 3  # 02:30 does not exist on 14 Mar: an hour later


def test_digest_time_in_columns_reads_arrows_json_and_start_done() -> None:
    created = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    task = TaskLine(1, 1, "t", "done", None, created, created + timedelta(hours=10))
    events = [
        (created + timedelta(hours=1), "move", "todo → review"),
        (created + timedelta(hours=3), "move", '{"from": "review", "to": "doing"}'),
        (created + timedelta(hours=6), "done", ""),
    ]
    spent = time_in_columns(task, events, ["todo", "doing", "review", "done"])
    assert spent == {"todo": 3600.0, "review": 7200.0, "doing": 10800.0}
    assert time_in_columns(task, [], ["todo", "done"]) == {}


def test_team_calendar_honours_make_up_working_days_and_holidays() -> None:
    from commands.workdays import workday_checker

    china = workday_checker("CN")
    make_up = datetime(2026, 2, 14, 10, 0)  # a Saturday worked before the Spring Festival (调休)
    national_day = datetime(2026, 10, 1, 10, 0)  # a Thursday, a public holiday
    assert in_window(make_up, Policy(), china)
    assert not in_window(national_day, Policy(), china)
    assert in_window(national_day, Policy(weekends=True), china)
    germany = workday_checker("DE")
    assert not in_window(datetime(2026, 12, 25, 10, 0), Policy(), germany)
    assert in_window(datetime(2026, 12, 23, 10, 0), Policy(), workday_checker(None))
