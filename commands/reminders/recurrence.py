"""Recurring reminder times: ``every monday 9:00`` / ``每周一9点`` / ``every day 8:30`` / ``每天9点``
/ ``every weekday 9:00`` / ``每个工作日9点``.

The wall-clock time is kept with the person's zone, and each next occurrence is computed from the
calendar in that zone, so "9:00 every Monday" stays 9:00 across a daylight-saving change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.parsing import normalise, parse_time_of_day
from commands.weekdays import CN_WEEKDAYS, WEEKDAYS

_EVERY_EN = re.compile(r"^(?:every|each)\s+(day|weekday|workday|[a-z]+)\s*(?:at\s*)?(.*)$")
_EVERY_ZH = re.compile(
    r"^每(?:个)?(天|日|工作日|(?:周|星期|礼拜)([一二三四五六日天七1-7]))\s*(.*)$"
)


@dataclass(frozen=True, slots=True)
class Every:
    """A repeating wall-clock time: ``every`` is ``daily``, ``weekdays`` or ``weekly:<0-6>``."""

    every: str
    at: time


def parse_every(text: str) -> Every | None:
    """The recurrence at the start of ``text`` (exactly: the whole text); None when not one."""
    value = normalise(text)
    if match := _EVERY_EN.match(value):
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
    at = parse_time_of_day(rest) if rest.strip() else time(9, 0)
    return Every(every, at) if at is not None else None


def next_occurrence(every: str, at: time, *, after: datetime, tz: ZoneInfo) -> datetime:
    """The first occurrence strictly after ``after``, as aware UTC."""
    day = after.astimezone(tz).date()
    for _ in range(9):
        if _matches(every, day):
            moment = _wall(day, at, tz)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise ValueError(f"no occurrence for {every!r}")


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
