"""Reading the day part of what people type: ``tomorrow``, ``fri``, ``next week``, ``12/5``,
``Dec 5``, ``月底``, ``下周五``, ``明晚`` … and the part of the day a word implies (``今晚`` is the
evening, so ``今晚8点`` is 20:00).

Weeks run Monday to Sunday. ``fri`` (``周五``) is the coming Friday, today included; ``next fri``
(``下周五``) is the Friday of next calendar week, so on a Tuesday ``next friday`` is ten days away,
not three; ``next week`` (``下周``) is the Monday of next week. ``12/5`` and ``12-05`` are month/day,
as in Chinese and American usage (``2026-12-05`` is never ambiguous). A date without a year is the
next one to come.

English dates written with a month name (``Dec 5``, ``5 December``, ``December 5th 3pm``) are read
by ``dateparser``, imported on first use (about a third of a second), and only for text shaped like
such a date, so it never reads a task title as a date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from commands.weekdays import CN_WEEKDAYS, WEEKDAYS

EOD = time(18, 0)
EVENING = "晚上"
MORNING = "早上"

_DAY_WORDS = {
    "today": 0, "tod": 0, "tonight": 0, "今天": 0, "今日": 0, "今晚": 0, "今早": 0,
    "tomorrow": 1, "tmr": 1, "tmrw": 1, "明天": 1, "明日": 1, "明早": 1, "明晚": 1,
    "后天": 2, "day after tomorrow": 2, "大后天": 3,
}  # fmt: skip
# A day word that names a part of the day: its default time, and how a bare hour after it is read.
_DAY_WORD_PERIODS = {
    "tonight": (time(20, 0), EVENING),
    "今晚": (time(20, 0), EVENING),
    "明晚": (time(20, 0), EVENING),
    "今早": (time(9, 0), MORNING),
    "明早": (time(9, 0), MORNING),
}
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:t|\s+|$)")
_CN_DATE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?")
_MONTH_DAY = re.compile(r"^(\d{1,2})[/-](\d{1,2})(?=\s|$)")
_WEEKDAY_EN = re.compile(r"^(?:(next|this)\s+)?([a-z]+)(?=\s|$)")
_WEEKDAY_ZH = re.compile(r"^(下下|下个?|本|这个?)?(?:周|星期|礼拜)([一二三四五六日天七1-7])")
_NEXT_WEEK = re.compile(r"^(?:next\s+week|下个?(?:周|星期|礼拜))(?![一二三四五六日天七1-7])")
_MONTH_END = re.compile(
    r"^(?:(本|这个?|下个?)?月底|end\s+of\s+(?:the\s+)?(this|next)?\s*month|eom)"
)
_MONTH_NAME = re.compile(
    r"^(?=.*\b(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\b)"
    r"[a-z0-9 ,.:]*$"
)
_MONTHS = frozenset(
    {
        "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun",
        "june", "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october",
        "nov", "november", "dec", "december", "of", "at", "am", "pm",
    }
)  # fmt: skip
_CLOCK = re.compile(r"\d:\d{2}|\d\s*(?:am|pm)\b")
_ORDINAL = re.compile(r"^\d{1,2}(?:st|nd|rd|th)?,?$|^\d{4}$|^\d{1,2}(?::\d{2})?(?:am|pm)?$")


@dataclass(frozen=True, slots=True)
class DayPhrase:
    """The day a phrase names, what follows it, and the time (and part of the day) it implies."""

    day: date
    rest: str
    at: time | None = None
    period: str | None = None


def day_phrase(value: str, today: date) -> DayPhrase | None:
    """The leading day phrase of normalised ``value`` (lower case, single spaces), if any."""
    for word, offset in sorted(_DAY_WORDS.items(), key=lambda kv: -len(kv[0])):
        if value.startswith(word):
            at, period = _DAY_WORD_PERIODS.get(word, (None, None))
            return DayPhrase(today + timedelta(days=offset), value[len(word) :], at, period)
    if value.startswith("eod"):
        return DayPhrase(today, value[3:], EOD)
    if value.startswith("eow"):
        return DayPhrase(today + timedelta(days=(4 - today.weekday()) % 7), value[3:], EOD)
    if match := _NEXT_WEEK.match(value):
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
        return DayPhrase(monday, value[match.end() :])
    if match := _MONTH_END.match(value):
        ahead = 1 if (match.group(1) or match.group(2) or "").startswith(("下", "next")) else 0
        return DayPhrase(_month_end(today, ahead), value[match.end() :])
    if match := _ISO_DATE.match(value) or _CN_DATE.match(value):
        year, month, day = match.groups()
        return _dated(today, year, month, day, value[match.end() :])
    if match := _MONTH_DAY.match(value):
        return _dated(today, None, match.group(1), match.group(2), value[match.end() :])
    if (match := _WEEKDAY_EN.match(value)) and match.group(2) in WEEKDAYS:
        weeks = 1 if match.group(1) == "next" else 0
        return DayPhrase(_weekday(today, WEEKDAYS[match.group(2)], weeks), value[match.end() :])
    if match := _WEEKDAY_ZH.match(value):
        prefix, day = match.groups()
        target = CN_WEEKDAYS.get(day, int(day) - 1 if day.isdigit() else 0)
        weeks = {"下下": 2, "下": 1, "下个": 1}.get(prefix or "", 0)
        return DayPhrase(_weekday(today, target, weeks), value[match.end() :])
    return None


def _month_end(today: date, months_ahead: int) -> date:
    year, month = today.year, today.month + months_ahead
    if month > 12:
        year, month = year + 1, month - 12
    return date(year, month, calendar.monthrange(year, month)[1])


def _dated(today: date, year: str | None, month: str, day: str, rest: str) -> DayPhrase | None:
    try:
        found = date(int(year) if year else today.year, int(month), int(day))
    except ValueError:
        return None
    if year is None and found < today:
        found = found.replace(year=today.year + 1)
    return DayPhrase(found, rest)


def _weekday(today: date, target: int, weeks_ahead: int) -> date:
    """The weekday ``target`` (0 = Monday) this week from today on, or in a later calendar week."""
    if weeks_ahead == 0:
        return today + timedelta(days=(target - today.weekday()) % 7)
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return monday + timedelta(days=target)


def month_name_date(value: str, local_now: datetime) -> tuple[datetime, bool] | None:
    """A date written with an English month name (``dec 5``, ``5 december 3pm``), read by
    dateparser in the writer's wall clock: (naive local moment, whether a time was given)."""
    if not _MONTH_NAME.match(value) or not all(
        word in _MONTHS or _ORDINAL.match(word) for word in value.replace(",", " ").split()
    ):
        return None
    from dateparser.date import DateDataParser  # about 0.3 s, paid only when a month is named

    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    data: Any = parser.get_date_data(value)
    found = data.date_obj if data is not None else None
    if not isinstance(found, datetime):
        return None
    return found.replace(tzinfo=None), bool(_CLOCK.search(value))
