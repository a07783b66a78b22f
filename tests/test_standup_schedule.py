"""Standup time arithmetic and phrases: days, setup options, DST, "no blocker" words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from commands.standups.common import is_none, is_skip
from commands.standups.schedule import (
    EVERY_DAY,
    WEEKDAYS_MASK,
    SetupSpec,
    first_occurrence,
    local_moment,
    occurrence_after,
    parse_days,
    parse_setup,
)

BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("mon-fri", WEEKDAYS_MASK),
        ("weekdays", WEEKDAYS_MASK),
        ("mon,wed,fri", 0b10101),
        ("fri-mon", 0b1110001),
        ("everyday", EVERY_DAY),
        ("周一至周五", WEEKDAYS_MASK),
        ("周一到周五", WEEKDAYS_MASK),
        ("周一三五", 0b10101),
        ("周二、周四", 0b1010),
        ("每天", EVERY_DAY),
        ("工作日", WEEKDAYS_MASK),
    ],
)
def test_parse_days_reads_english_and_chinese(text: str, mask: int) -> None:
    assert parse_days(text) == mask


@pytest.mark.parametrize("text", ["funday", "mon-xyz", "周八", ""])
def test_parse_days_rejects_nonsense(text: str) -> None:
    assert parse_days(text) is None


def test_parse_setup_reads_name_time_days_window_and_style() -> None:
    spec = parse_setup("daily 09:30 mon-fri window 2h each")
    assert spec == SetupSpec("daily", 570, WEEKDAYS_MASK, 120, "each")
    assert parse_setup("09:30 周一至周五 窗口 90分钟 汇总") == SetupSpec(
        None, 570, WEEKDAYS_MASK, 90, "summary"
    )
    assert parse_setup("上午10点") == SetupSpec(minute_of_day=600)


@pytest.mark.parametrize("text", ["09:30 whenever", "window forever", "25:00", "09:30 window 1d"])
def test_parse_setup_names_the_word_it_does_not_understand(text: str) -> None:
    assert isinstance(parse_setup(text), str)


def test_prompt_keeps_local_time_across_dst_in_berlin_and_los_angeles() -> None:
    # Berlin moves to summer time on 2027-03-28, Los Angeles on 2027-03-14.
    assert local_moment(date(2027, 3, 26), 570, BERLIN) == datetime(2027, 3, 26, 8, 30, tzinfo=UTC)
    assert local_moment(date(2027, 3, 29), 570, BERLIN) == datetime(2027, 3, 29, 7, 30, tzinfo=UTC)
    assert local_moment(date(2027, 3, 12), 570, LA) == datetime(2027, 3, 12, 17, 30, tzinfo=UTC)
    assert local_moment(date(2027, 3, 15), 570, LA) == datetime(2027, 3, 15, 16, 30, tzinfo=UTC)
    # Back to winter time in the autumn.
    assert local_moment(date(2027, 11, 8), 570, LA) == datetime(2027, 11, 8, 17, 30, tzinfo=UTC)


def test_wall_time_skipped_by_dst_moves_forward_an_hour() -> None:
    assert local_moment(date(2027, 3, 28), 150, BERLIN) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_next_occurrence_skips_days_off_and_never_starts_in_the_past() -> None:
    friday = date(2026, 11, 27)
    at, day = occurrence_after(friday, minute_of_day=570, days=WEEKDAYS_MASK, tz=SHANGHAI)
    assert day == date(2026, 11, 30) and at == datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, after today's 09:30
    at, day = first_occurrence(now=now, minute_of_day=570, days=WEEKDAYS_MASK, tz=SHANGHAI)
    assert day == date(2026, 11, 25)


@pytest.mark.parametrize(
    "answer",
    ["none", "None.", "no", "Nope", "n/a", "nothing", "No blockers", "nothing so far", "无",
     "没有", "暂无", "没", "无阻碍", "没有阻碍。", "ＮＯＮＥ"],
)  # fmt: skip
def test_none_answers_are_not_blockers(answer: str) -> None:
    assert is_none(answer)


@pytest.mark.parametrize(
    "answer", ["Waiting for the API key", "no access to prod", "等待接口文档"]
)
def test_real_blockers_are_flagged(answer: str) -> None:
    assert not is_none(answer)


def test_skip_words_in_both_languages() -> None:
    assert (
        is_skip("skip") and is_skip("跳过") and is_skip("Skip!") and not is_skip("skipped lunch")
    )
