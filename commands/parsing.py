"""Reading times people type, in English and Chinese, in the writer's own time zone.

``parse_when("tomorrow 3pm", now=..., tz=...)`` understands ISO dates and times, ``today``,
``tomorrow``, ``eod``, weekday names (``fri``, ``next mon``), ``in 3d``/``in 4h``, and ``今天 明天 后天
周五 下周一 3天后 明天下午3点 12月5日``. A date without a time gets ``default_time`` (tasks: end of
the day; reminders: the morning). Nothing here raises on odd input: unreadable text gives None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.weekdays import CN_WEEKDAYS, WEEKDAYS

END_OF_DAY = time(23, 59)
EOD = time(18, 0)
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
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:t|\s+|$)")
_CN_DATE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?")
_WEEKDAY_EN = re.compile(r"^(?:(next|this)\s+)?([a-z]+)(?=\s|$)")
_WEEKDAY_ZH = re.compile(r"^(下下|下个?|本|这个?)?(?:周|星期|礼拜)([一二三四五六日天七1-7])")
_TIME_EN = re.compile(r"^(?:at\s*)?(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*(am|pm)?$")
_TIME_ZH = re.compile(
    rf"^(早上|早晨|上午|中午|下午|傍晚|晚上|凌晨)?(?:({_NUM})(?:[点時时:](\d{{1,2}}|半|一刻|三刻)?分?)?)?$"
)
_DAY_WORDS = {
    "today": 0, "tod": 0, "tonight": 0, "今天": 0, "今日": 0, "今晚": 0,
    "tomorrow": 1, "tmr": 1, "tmrw": 1, "明天": 1, "明日": 1, "明早": 1, "明晚": 1,
    "后天": 2, "day after tomorrow": 2, "大后天": 3,
}  # fmt: skip
_DAY_WORD_TIMES = {
    "tonight": time(20, 0),
    "今晚": time(20, 0),
    "明晚": time(20, 0),
    "明早": time(9, 0),
}
_PERIOD_DEFAULT_HOUR = {
    "早上": 8, "早晨": 8, "上午": 9, "中午": 12, "下午": 15, "傍晚": 18, "晚上": 20, "凌晨": 1,
}  # fmt: skip


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


def parse_time_of_day(text: str) -> time | None:
    """``"15:30"``, ``"3pm"``, ``"9"``, ``"下午3点"``, ``"3点半"`` → a time, else None."""
    value = normalise(text).replace(" ", "")
    if not value:
        return None
    match = _TIME_EN.match(value)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        meridiem = match.group(3)
        if meridiem:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        return time(hour, minute) if hour < 24 and minute < 60 else None
    match = _TIME_ZH.match(value)
    if match is None or not (match.group(1) or match.group(2)):
        return None
    period, hour_text, minute_text = match.groups()
    parsed_hour = cn_number(hour_text) if hour_text else _PERIOD_DEFAULT_HOUR[period]
    if parsed_hour is None:
        return None
    hour = parsed_hour
    named = {"半": 30, "一刻": 15, "三刻": 45}.get(minute_text or "")
    minute = named if named is not None else int(minute_text) if minute_text else 0
    if period in ("下午", "傍晚", "晚上") and hour < 12 or period == "中午" and hour < 6:
        hour += 12
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _date_phrase(value: str, today: date) -> tuple[date, str, time | None] | None:
    """The leading date phrase of ``value``: (date, rest of the text, implied time)."""
    for word, offset in sorted(_DAY_WORDS.items(), key=lambda kv: -len(kv[0])):
        if value.startswith(word):
            return today + timedelta(days=offset), value[len(word) :], _DAY_WORD_TIMES.get(word)
    if value.startswith("eod"):
        return today, value[3:], EOD
    if value.startswith("eow"):
        return today + timedelta(days=(4 - today.weekday()) % 7), value[3:], EOD
    if match := _ISO_DATE.match(value) or _CN_DATE.match(value):
        year, month, day = match.groups()
        return _safe_date(today, year, month, day, value[match.end() :])
    if (match := _WEEKDAY_EN.match(value)) and match.group(2) in WEEKDAYS:
        target = WEEKDAYS[match.group(2)]
        weeks = 1 if match.group(1) == "next" else 0
        return _weekday(today, target, weeks), value[match.end() :], None
    if match := _WEEKDAY_ZH.match(value):
        prefix, day = match.groups()
        target = CN_WEEKDAYS.get(day, int(day) - 1 if day.isdigit() else 0)
        weeks = {"下下": 2, "下": 1, "下个": 1}.get(prefix or "", 0)
        return _weekday(today, target, weeks), value[match.end() :], None
    return None


def _safe_date(
    today: date, year: str | None, month: str, day: str, rest: str
) -> tuple[date, str, None] | None:
    try:
        found = date(int(year) if year else today.year, int(month), int(day))
    except ValueError:
        return None
    if year is None and found < today:
        found = found.replace(year=today.year + 1)
    return found, rest, None


def _weekday(today: date, target: int, weeks_ahead: int) -> date:
    """The weekday ``target`` (0 = Monday) this week from today on, or in a later calendar week."""
    if weeks_ahead == 0:
        return today + timedelta(days=(target - today.weekday()) % 7)
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return monday + timedelta(days=target)


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, default_time: time = END_OF_DAY
) -> When | None:
    """The moment ``text`` names, read in ``tz``; None when it cannot be read (or is in the past by
    more than a day, which is almost always a typo)."""
    value = normalise(text)
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
    phrase = _date_phrase(value, local_now.date())
    if phrase is None:
        at_time = parse_time_of_day(value)
        if at_time is None:
            return None
        moment = _combine(local_now.date(), at_time, tz)
        if moment <= now:
            moment = _combine(local_now.date() + timedelta(days=1), at_time, tz)
        return When(moment.astimezone(UTC), True)
    day, rest, implied = phrase
    rest = rest.strip().removeprefix("的").removeprefix("at").strip()
    at_time = parse_time_of_day(rest) if rest else implied
    if rest and at_time is None:
        return None
    moment = _combine(day, at_time or default_time, tz)
    if moment < now - timedelta(days=1):
        return None
    return When(moment.astimezone(UTC), at_time is not None)


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
