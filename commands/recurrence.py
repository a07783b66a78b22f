"""Repeating wall-clock times, as reminders and recurring tasks are written: ``every monday 9:00``
/ ``每周一9点`` / ``every day 8:30`` / ``每天9点`` / ``every weekday`` / ``每个工作日9点`` /
``every month 1st`` / ``每月1号 10点``.

The wall-clock time is kept with the person's zone, and each next occurrence is computed from the
calendar in that zone, so "9:00 every Monday" stays 9:00 across a daylight-saving change. A monthly
day the month does not have (the 31st in April) is its last day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.parsing import cn_number, normalise, parse_time_of_day
from commands.weekdays import CN_WEEKDAYS, WEEKDAYS, day_name

_EVERY_EN = re.compile(r"^(?:every|each)\s+(day|weekday|workday|[a-z]+)\s*(?:at\s*)?(.*)$")
_EVERY_ZH = re.compile(
    r"^每(?:个)?(天|日|工作日|(?:周|星期|礼拜)([一二三四五六日天七1-7]))\s*(.*)$"
)
_MONTHLY_EN = re.compile(
    r"^(?:(?:every|each)\s+month|monthly)(?:\s+on)?(?:\s+the)?"
    r"(?:\s+(\d{1,2})(?:st|nd|rd|th)?)?(?:\s+(?:at\s*)?(.*))?$"
)
_MONTHLY_ZH = re.compile(
    r"^每(?:个)?月(?:的)?(?:(\d{1,2}|[一二三四五六七八九十]{1,3})[号日])?(.*)$"
)
_DEFAULT_AT = time(9, 0)


@dataclass(frozen=True, slots=True)
class Every:
    """A repeating wall-clock time: ``every`` is ``daily``, ``weekdays``, ``weekly:<0-6>`` or
    ``monthly:<1-31>``."""

    every: str
    at: time


def parse_every(text: str) -> Every | None:
    """The recurrence ``text`` names (exactly: the whole text); None when it is not one."""
    value = normalise(text)
    if found := _monthly(value):
        every, rest = f"monthly:{found[0]}", found[1]
    elif match := _EVERY_EN.match(value):
        word, rest = match.groups()
        if word == "day":
            every = "daily"
        elif word in ("weekday", "workday"):
            every = "weekdays"
        elif word in WEEKDAYS:
            every = f"weekly:{WEEKDAYS[word]}"
        else:
            return None
    elif match := _EVERY_ZH.match(value.replace(" ", "")):
        word, day, rest = match.groups()
        if word in ("天", "日"):
            every = "daily"
        elif word == "工作日":
            every = "weekdays"
        else:
            weekday = CN_WEEKDAYS.get(day, int(day) - 1 if day.isdigit() else 0)
            every = f"weekly:{weekday}"
    else:
        return None
    at = parse_time_of_day(rest) if rest.strip() else _DEFAULT_AT
    return Every(every, at) if at is not None else None


def _monthly(value: str) -> tuple[int, str] | None:
    """``every month 15th 10:00`` / ``每月15号10点`` → (15, "10:00"); the 1st when no day is
    given; None when not monthly, or not a day of a month."""
    match = _MONTHLY_EN.match(value) or _MONTHLY_ZH.match(value.replace(" ", ""))
    if match is None:
        return None
    day_text, rest = match.group(1), match.group(2) or ""
    day = cn_number(day_text) if day_text else 1
    return (day, rest) if day is not None and 1 <= day <= 31 else None


def next_occurrence(every: str, at: time, *, after: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence strictly after ``after``, as aware UTC."""
    if every.startswith("monthly:"):
        return _next_monthly(int(every.split(":")[1]), at, after=after, tz=tz)
    day = after.astimezone(tz).date()
    for _ in range(9):
        if _matches(every, day):
            moment = _wall(day, at, tz)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise ValueError(f"no occurrence for {every!r}")


def _next_monthly(day: int, at: time, *, after: datetime, tz: ZoneInfo) -> datetime:
    local = after.astimezone(tz)
    year, month = local.year, local.month
    for _ in range(3):
        last = calendar.monthrange(year, month)[1]
        moment = _wall(date(year, month, min(day, last)), at, tz)
        if moment > after:
            return moment
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError(f"no monthly occurrence for day {day}")


def _matches(every: str, day: date) -> bool:
    if every == "daily":
        return True
    if every == "weekdays":
        return day.weekday() < 5
    return every.startswith("weekly:") and day.weekday() == int(every.split(":")[1])


def _wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``tz`` as UTC. A time skipped by a DST change (02:30 on the spring-forward
    night) lands an hour later; a time that happens twice (autumn) is the first of the two."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(ZoneInfo("UTC"))


def describe(every: str, at: time, locale: str) -> str:
    """``every Fri 17:00`` / ``每周五 17:00``, ``every month on the 1st 09:00`` / ``每月1号 09:00``."""
    kind, _, arg = every.partition(":")
    zh = locale == "zh"
    if kind == "weekly":
        words = f"每{day_name(int(arg), 'zh')}" if zh else f"every {day_name(int(arg), 'en')}"
    elif kind == "monthly":
        words = f"每月{arg}号" if zh else f"every month on the {_ordinal(int(arg))}"
    else:
        words = _PLAIN[kind][zh]
    return f"{words} {at:%H:%M}"


_PLAIN = {"daily": ("every day", "每天"), "weekdays": ("every weekday", "每个工作日")}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
