"""Reading times people type, in English and Chinese, in the writer's own time zone.

``parse_when("tomorrow 3pm", now=..., tz=...)`` understands ISO dates and times, durations
(``in 3d``, ``in 4h``, ``3天后``), the day phrases of :mod:`commands.dayphrases` followed or preceded
by a time of day (``tomorrow noon``, ``5pm fri``, ``明晚8点``, ``下周五下午3点``). A date without a time
gets ``default_time`` (tasks: end of the day; reminders: the morning). Nothing here raises on odd
input: unreadable text gives None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.dayphrases import day_phrase, month_name_date

END_OF_DAY = time(23, 59)
MAX_LEN = 60

CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "分钟": "minutes", "分": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "小时": "hours", "个小时": "hours", "钟头": "hours", "个钟头": "hours",
    "d": "days", "day": "days", "days": "days", "天": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "周": "weeks", "个星期": "weeks", "星期": "weeks", "个礼拜": "weeks",
}  # fmt: skip

_NUM = r"\d{1,3}|[零一二两三四五六七八九十]{1,3}"
_DURATION_EN = re.compile(r"^(?:in\s*)?(\d{1,4})\s*([a-z]+)$")
_DURATION_ZH = re.compile(
    rf"^({_NUM})\s*(分钟|分|个小时|小时|个钟头|钟头|天|周|个星期|星期|个礼拜)(?:后|以后|之后)$"
)
_TIME_EN = re.compile(r"^(?:at\s*)?(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*(am|pm)?$")
_TIME_ZH = re.compile(
    rf"^(早上|早晨|上午|中午|下午|傍晚|晚上|凌晨)?(?:({_NUM})(?:[点時时:](\d{{1,2}}|半|一刻|三刻)?分?)?)?$"
)
_PERIOD_DEFAULT_HOUR = {
    "早上": 8, "早晨": 8, "上午": 9, "中午": 12, "下午": 15, "傍晚": 18, "晚上": 20, "凌晨": 1,
}  # fmt: skip
_AFTERNOON = frozenset({"下午", "傍晚", "晚上"})
# Noon is noon; midnight is the end of the day it is written with (what "due midnight" means).
_NAMED_TIMES = {
    "noon": time(12, 0), "midday": time(12, 0), "12noon": time(12, 0),
    "midnight": END_OF_DAY, "午夜": END_OF_DAY,
}  # fmt: skip
_LEAD = re.compile(r"^(?:by|before|on|at)\s+")
_TRAIL = re.compile(r"\s*(?:之前|以前|前)$")


@dataclass(frozen=True, slots=True)
class When:
    """A moment someone typed: ``at`` (aware UTC) and whether they gave a time of day."""

    at: datetime
    has_time: bool


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def cn_number(text: str) -> int | None:
    """``"3"``, ``"十二"``, ``"两"`` → 3, 12, 2; None when not a small number."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)
    return CN_DIGITS[text] if len(text) == 1 else None


def parse_duration(text: str) -> timedelta | None:
    """``"3d"``, ``"in 4h"``, ``"2 weeks"``, ``"30分钟后"``, ``"三天后"`` → a timedelta."""
    value = normalise(text)
    match = _DURATION_EN.match(value.replace(" ", "")) or _DURATION_ZH.match(
        value.replace(" ", "")
    )
    if match is None:
        return None
    amount = cn_number(match.group(1))
    unit = _UNITS.get(match.group(2))
    if amount is None or unit is None or amount <= 0 or amount > 10_000:
        return None
    delta = timedelta(**{unit: amount})
    return delta if delta <= timedelta(days=3660) else None


def parse_time_of_day(text: str, *, period: str | None = None) -> time | None:
    """``"15:30"``, ``"3pm"``, ``"9"``, ``"noon"``, ``"下午3点"``, ``"3点半"`` → a time, else None.

    ``period`` is the part of the day the words before it named (``今晚`` → ``晚上``): a bare hour
    is read in it, so ``今晚8点`` is 20:00 while ``8点`` alone is 08:00.
    """
    value = normalise(text).replace(" ", "")
    if not value:
        return None
    if value in _NAMED_TIMES:
        return _NAMED_TIMES[value]
    match = _TIME_EN.match(value)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        meridiem = match.group(3) or ("pm" if period in _AFTERNOON and hour < 12 else None)
        if meridiem:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        return time(hour, minute) if hour < 24 and minute < 60 else None
    match = _TIME_ZH.match(value)
    if match is None or not (match.group(1) or match.group(2)):
        return None
    own_period, hour_text, minute_text = match.groups()
    return _chinese_time(own_period or period, hour_text, minute_text)


def _chinese_time(
    period: str | None, hour_text: str | None, minute_text: str | None
) -> time | None:
    """``下午`` + ``3`` + ``半`` → 15:30; an hour alone keeps its number (``8点`` is 08:00)."""
    parsed_hour = cn_number(hour_text) if hour_text else _PERIOD_DEFAULT_HOUR.get(period or "")
    if parsed_hour is None:
        return None
    hour = parsed_hour
    named = {"半": 30, "一刻": 15, "三刻": 45}.get(minute_text or "")
    minute = named if named is not None else int(minute_text) if minute_text else 0
    if period in _AFTERNOON and hour < 12 or period == "中午" and hour < 6:
        hour += 12
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, default_time: time = END_OF_DAY
) -> When | None:
    """The moment ``text`` names, read in ``tz``; None when it cannot be read (or is in the past by
    more than a day, which is almost always a typo). ``by fri`` and ``周五前`` mean Friday."""
    value = _TRAIL.sub("", _LEAD.sub("", normalise(text)))
    if not value or len(value) > MAX_LEN:
        return None
    if (delta := parse_duration(value)) is not None:
        if delta % timedelta(days=1):
            return When((now + delta).astimezone(UTC), True)
        day = (now.astimezone(tz) + delta).date()  # "in 3d" names a day, not an exact moment
        return When(_combine(day, default_time, tz).astimezone(UTC), False)
    if (exact := _iso_datetime(text.strip(), tz)) is not None:
        return When(exact, True)
    local_now = now.astimezone(tz)
    found = _day_and_time(value, local_now.date())
    if found is None:
        return _time_only(value, now, tz) or _month_named(value, local_now, tz, default_time)
    day, at_time = found
    moment = _combine(day, at_time or default_time, tz)
    if moment < now - timedelta(days=1):
        return None
    return When(moment.astimezone(UTC), at_time is not None)


def _day_and_time(value: str, today: date) -> tuple[date, time | None] | None:
    """A day phrase followed by an optional time (``tomorrow 3pm``, ``明晚8点``), or a time
    followed by a day phrase (``5pm tomorrow``, ``noon fri``)."""
    phrase = day_phrase(value, today)
    if phrase is not None:
        rest = phrase.rest.strip().removeprefix("的").removeprefix("at").strip()
        if not rest:
            return phrase.day, phrase.at
        at_time = parse_time_of_day(rest, period=phrase.period)
        return (phrase.day, at_time) if at_time is not None else None
    head, _, tail = value.partition(" ")
    if tail and (at_time := parse_time_of_day(head)) is not None:
        later = day_phrase(tail, today)
        if later is not None and not later.rest.strip():
            return later.day, at_time
    return None


def _time_only(value: str, now: datetime, tz: ZoneInfo) -> When | None:
    """A time of day alone: its next occurrence (today, else tomorrow)."""
    at_time = parse_time_of_day(value)
    if at_time is None:
        return None
    local_today = now.astimezone(tz).date()
    moment = _combine(local_today, at_time, tz)
    if moment <= now:
        moment = _combine(local_today + timedelta(days=1), at_time, tz)
    return When(moment.astimezone(UTC), True)


def _month_named(value: str, local_now: datetime, tz: ZoneInfo, default_time: time) -> When | None:
    """``dec 5``, ``5 december 3pm``: read by dateparser (see :mod:`commands.dayphrases`)."""
    found = month_name_date(value, local_now)
    if found is None:
        return None
    moment, has_time = found
    at_time = moment.time() if has_time else default_time
    local = _combine(moment.date(), at_time, tz)
    if local < local_now - timedelta(days=1):
        return None
    return When(local.astimezone(UTC), has_time)


def _iso_datetime(text: str, tz: ZoneInfo) -> datetime | None:
    """A full ISO-8601 date-time (``2026-12-07T10:00:00+08:00``); naive ones are read in ``tz``."""
    if len(text) < 16 or not text[:4].isdigit():
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _combine(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``tz``; a wall time skipped by a DST change moves forward an hour."""
    local = datetime.combine(day, at, tzinfo=tz)
    round_trip = local.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return (local + timedelta(hours=1)).astimezone(tz)
    return local
