"""Reading typed times in English and Chinese, in the writer's zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commands.parsing import parse_duration, parse_time_of_day, parse_when

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday; 17:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
LA = ZoneInfo("America/Los_Angeles")


def local(text: str, tz: ZoneInfo = SHANGHAI) -> str | None:
    when = parse_when(text, now=NOW, tz=tz)
    return when.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-24 23:59"),
        ("tomorrow", "2026-11-25 23:59"),
        ("eod", "2026-11-24 18:00"),
        ("fri", "2026-11-27 23:59"),
        ("Friday 10:30", "2026-11-27 10:30"),
        ("next mon", "2026-11-30 23:59"),
        ("in 3d", "2026-11-27 23:59"),
        ("in 4h", "2026-11-24 21:00"),
        ("2026-12-05", "2026-12-05 23:59"),
        ("2026-12-05 15:00", "2026-12-05 15:00"),
        ("2026-12-07T10:00:00+08:00", "2026-12-07 10:00"),
        ("tomorrow 3pm", "2026-11-25 15:00"),
        ("今天", "2026-11-24 23:59"),
        ("明天", "2026-11-25 23:59"),
        ("后天", "2026-11-26 23:59"),
        ("周五", "2026-11-27 23:59"),
        ("下周一", "2026-11-30 23:59"),
        ("3天后", "2026-11-27 23:59"),
        ("三天后", "2026-11-27 23:59"),
        ("明天下午3点", "2026-11-25 15:00"),
        ("下午3点半", "2026-11-25 15:30"),
        ("12月5日", "2026-12-05 23:59"),
        ("ＴＯＭＯＲＲＯＷ", "2026-11-25 23:59"),
        # Evenings and the parts of the day: a bare hour after 今晚/明晚 is in the evening.
        ("今晚8点", "2026-11-24 20:00"),
        ("明晚8点", "2026-11-25 20:00"),
        ("明晚", "2026-11-25 20:00"),
        ("明天中午", "2026-11-25 12:00"),
        ("明天傍晚6点", "2026-11-25 18:00"),
        ("明天凌晨2点", "2026-11-25 02:00"),
        ("tonight 8", "2026-11-24 20:00"),
        ("tomorrow noon", "2026-11-25 12:00"),
        ("noon fri", "2026-11-27 12:00"),
        ("5pm tomorrow", "2026-11-25 17:00"),
        ("tomorrow midnight", "2026-11-25 23:59"),
        # Dates without a year are the next to come; 12/5 is month/day.
        ("12/5", "2026-12-05 23:59"),
        ("12-05", "2026-12-05 23:59"),
        ("Dec 5", "2026-12-05 23:59"),
        ("5 Dec", "2026-12-05 23:59"),
        ("December 5th 3pm", "2026-12-05 15:00"),
        ("11/1", "2027-11-01 23:59"),
        ("月底", "2026-11-30 23:59"),
        ("下个月底", "2026-12-31 23:59"),
        ("end of month", "2026-11-30 23:59"),
        ("下周", "2026-11-30 23:59"),
        ("next week", "2026-11-30 23:59"),
        ("周五前", "2026-11-27 23:59"),
        ("by fri", "2026-11-27 23:59"),
        # The rule for "next": the day of next calendar week (on a Tuesday, ten days away).
        ("next friday", "2026-12-04 23:59"),
        ("this friday", "2026-11-27 23:59"),
        ("下周五下午3点", "2026-12-04 15:00"),
    ],
)
def test_parse_when_reads_english_and_chinese(text: str, expected: str) -> None:
    assert local(text) == expected


def test_parse_when_uses_the_writers_time_zone() -> None:
    # 09:00 UTC is still Tuesday 01:00 in Los Angeles: "tomorrow" is Wednesday there too,
    # but "today 3pm" is 15:00 LA time, i.e. 23:00 UTC.
    when = parse_when("today 3pm", now=NOW, tz=LA)
    assert when is not None and when.at == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["", "blah", "2026-02-30", "13pm", "25:00", "x" * 500, "2020-01-01", "dec", "may the force"],
)
def test_parse_when_refuses_unreadable_or_past(text: str) -> None:
    assert parse_when(text, now=NOW, tz=SHANGHAI) is None


def test_default_time_applies_to_dates_without_a_time() -> None:
    when = parse_when("tomorrow", now=NOW, tz=SHANGHAI, default_time=time(9, 0))
    assert when is not None and not when.has_time
    assert when.at.astimezone(SHANGHAI).hour == 9


def test_wall_time_skipped_by_dst_moves_forward() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    when = parse_when("tomorrow 2:30", now=now, tz=berlin)
    assert when is not None
    assert when.at.astimezone(berlin).strftime("%H:%M") == "03:30"


def test_durations_and_times_of_day() -> None:
    assert parse_duration("3d") == timedelta(days=3)
    assert parse_duration("2 weeks") == timedelta(weeks=2)
    assert parse_duration("30分钟后") == timedelta(minutes=30)
    assert parse_duration("0d") is None
    assert parse_time_of_day("9:30") == time(9, 30)
    assert parse_time_of_day("晚上8点") == time(20, 0)
    assert parse_time_of_day("12am") == time(0, 0)
    assert parse_time_of_day("8点") == time(8, 0)
    assert parse_time_of_day("8点", period="晚上") == time(20, 0)
    assert parse_time_of_day("noon") == time(12, 0)
    assert parse_time_of_day("中午") == time(12, 0)


@given(st.text(max_size=80))
def test_parse_when_never_raises(text: str) -> None:
    parse_when(text, now=NOW, tz=SHANGHAI)
    parse_duration(text)
    parse_time_of_day(text)
