"""Standup time arithmetic and the setup phrase, kept pure so it is easy to test.

A standup prompts at one wall-clock time (``minute_of_day``) on a set of weekdays (a bit mask,
bit 0 = Monday) in *each participant's own* zone; the UTC moment is computed per person and per day,
so a daylight-saving change moves the UTC moment and never the local one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from commands.parsing import cn_number, parse_time_of_day
from commands.weekdays import CN_WEEKDAYS, WEEKDAYS, day_name

WEEKDAYS_MASK = 0b0011111
EVERY_DAY = 0b1111111
DEFAULT_WINDOW = 180
MAX_WINDOW = 20 * 60
DEFAULT_NAME = "daily"
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_DAY_WORDS = {
    "everyday": EVERY_DAY, "every-day": EVERY_DAY, "每天": EVERY_DAY, "每日": EVERY_DAY,
    "weekdays": WEEKDAYS_MASK, "workdays": WEEKDAYS_MASK, "工作日": WEEKDAYS_MASK,
    "weekends": 0b1100000, "周末": 0b1100000,
}  # fmt: skip
_EN_RANGE = re.compile(r"^([a-z]+)-([a-z]+)$")
_ZH_RANGE = re.compile(
    r"^(?:周|星期)([一二三四五六日天七])(?:至|到|-|~)(?:周|星期)?([一二三四五六日天七])$"
)
_ZH_LIST = re.compile(r"^(?:周|星期)([一二三四五六日天七]+)$")
_STYLE_WORDS = {
    "summary": "summary", "汇总": "summary", "each": "each", "live": "each", "逐条": "each",
}  # fmt: skip
_WINDOW_WORDS = ("window", "窗口")
_WINDOW = re.compile(
    r"^(\d{1,4}|[一二两三四五六七八九十]{1,3})(m|mins?|minutes?|分钟|分|h|hrs?|hours?|个?小时)$"
)


def normalise(text: str) -> str:
    """NFKC, lower case, single spaces, Chinese list commas as commas."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("、", ",").replace(",", ",")
    return " ".join(folded.split())


def parse_days(text: str) -> int | None:
    """``mon-fri``, ``mon,wed,fri``, ``weekdays``, ``daily``, ``周一至周五``, ``周一三五`` → mask."""
    value = normalise(text).replace(" ", "")
    if value in _DAY_WORDS:
        return _DAY_WORDS[value]
    mask = 0
    for part in value.split(","):
        bits = _day_part(part)
        if bits is None:
            return None
        mask |= bits
    return mask or None


def _day_part(part: str) -> int | None:
    if part in WEEKDAYS:
        return 1 << WEEKDAYS[part]
    if (match := _EN_RANGE.match(part)) and {match[1], match[2]} <= WEEKDAYS.keys():
        return _span(WEEKDAYS[match[1]], WEEKDAYS[match[2]])
    if match := _ZH_RANGE.match(part):
        return _span(CN_WEEKDAYS[match[1]], CN_WEEKDAYS[match[2]])
    if match := _ZH_LIST.match(part):
        return sum({1 << CN_WEEKDAYS[c] for c in match[1]})
    return None


def _span(first: int, last: int) -> int:
    """Days from ``first`` to ``last`` inclusive, wrapping past Sunday (``fri-mon``)."""
    mask, day = 0, first
    while True:
        mask |= 1 << day
        if day == last:
            return mask
        day = (day + 1) % 7


def describe_days(mask: int, locale: str) -> str:
    """``mon-fri`` / ``周一至周五`` style text for a mask."""
    days = [day for day in range(7) if mask >> day & 1]
    if locale == "zh":
        if mask == WEEKDAYS_MASK:
            return "周一至周五"
        if mask == EVERY_DAY:
            return "每天"
        return "、".join(day_name(day, "zh") for day in days)
    if mask == WEEKDAYS_MASK:
        return "mon-fri"
    if mask == EVERY_DAY:
        return "every day"
    return ",".join(day_name(day, "en").lower() for day in days)


@dataclass(frozen=True, slots=True)
class SetupSpec:
    """What ``standup setup`` asked for; None fields keep the current (or default) value."""

    name: str | None = None
    minute_of_day: int | None = None
    days: int | None = None
    window_minutes: int | None = None
    style: str | None = None


def parse_setup(text: str) -> SetupSpec | str:
    """Read ``[name] [HH:MM] [days] [window 2h] [summary|each]``; a str is the token not understood."""
    tokens = normalise(text).split()
    fields: dict[str, object] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in _WINDOW_WORDS and index + 1 < len(tokens):
            window = parse_window(tokens[index + 1])
            if window is None:
                return tokens[index + 1]
            fields["window_minutes"] = window
            index += 2
            continue
        if token in _STYLE_WORDS:
            fields["style"] = _STYLE_WORDS[token]
        elif (days := parse_days(token)) is not None:
            fields["days"] = days
        elif (at := _time_token(token)) is not None:
            fields["minute_of_day"] = at.hour * 60 + at.minute
        elif index == 0 and NAME_RE.match(token):
            fields["name"] = token
        else:
            return token
        index += 1
    return SetupSpec(**fields)  # type: ignore[arg-type]


def parse_window(text: str) -> int | None:
    """``3h``, ``90m``, ``2小时``, ``90分钟`` → minutes, between 10 minutes and 20 hours."""
    match = _WINDOW.match(normalise(text).replace(" ", ""))
    amount = cn_number(match.group(1)) if match else None
    if match is None or amount is None:
        return None
    minutes = amount * (1 if match.group(2)[0] in "m分" else 60)
    return minutes if 10 <= minutes <= MAX_WINDOW else None


def _time_token(token: str) -> time | None:
    if not any(c.isdigit() for c in token) and not re.search("[点时午晨晚]", token):
        return None
    return parse_time_of_day(token)


def local_moment(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """``day`` at the wall time in ``tz``, as aware UTC; a wall time skipped by a DST change moves
    forward an hour, and a repeated one means its first occurrence."""
    wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=tz)
    if wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        wall = wall + timedelta(hours=1)
    return wall.astimezone(UTC)


DayCheck = Callable[[date], bool]


def scheduled(day: date, days: int, extra: DayCheck | None = None) -> bool:
    """Is ``day`` one of the standup's days: its weekdays, or an ``extra`` day (a make-up
    working day)?"""
    return bool(days >> day.weekday() & 1) or (extra is not None and extra(day))


def first_occurrence(
    *, now: datetime, minute_of_day: int, days: int, tz: ZoneInfo, extra: DayCheck | None = None
) -> tuple[datetime, date]:
    """The first prompt at or after ``now`` and its local day: a new member is never prompted for
    an occurrence that started before they joined."""
    day = now.astimezone(tz).date() - timedelta(days=1)
    while True:
        if scheduled(day, days, extra):
            at = local_moment(day, minute_of_day, tz)
            if at >= now:
                return at, day
        day += timedelta(days=1)


def occurrence_after(
    day: date, *, minute_of_day: int, days: int, tz: ZoneInfo, extra: DayCheck | None = None
) -> tuple[datetime, date]:
    """The prompt on the first scheduled local day after ``day``."""
    following = day + timedelta(days=1)
    while not scheduled(following, days, extra):
        following += timedelta(days=1)
    return local_moment(following, minute_of_day, tz), following
