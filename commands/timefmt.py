"""The one place that turns a stored moment into text, always in the reader's zone and language.

Two styles, for two jobs: ``day_time`` is the precise, sortable form of lists, cards and history
(``2026-12-04 Fri 17:00``); ``spoken`` is the friendly form of a sentence (``Fri 4 Dec 17:00`` /
``12月4日 周五 17:00``). ``deadline`` names the zone as well, for messages read across zones.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from commands.weekdays import day_name

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_time(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    """``2026-12-04 Fri 17:00``; an end-of-day due date (23:59) shows as the date alone.

    Written without ``strftime``, several times slower: a board writes hundreds of these."""
    local = moment.astimezone(tz)
    day = f"{local.date().isoformat()} {day_name(local.weekday(), locale)}"
    if (local.hour, local.minute) == (23, 59):
        return day
    return f"{day} {local.hour:02d}:{local.minute:02d}"


def spoken(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    """``Fri 4 Dec 17:00`` / ``12月4日 周五 17:00``."""
    local = moment.astimezone(tz)
    weekday = day_name(local.weekday(), locale)
    if locale == "zh":
        return f"{local.month}月{local.day}日 {weekday} {local:%H:%M}"
    return f"{weekday} {local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def deadline(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    """``day_time`` with the zone named (a channel spans zones): ``2026-12-04 Fri 17:00 (UTC)``."""
    return f"{day_time(moment, tz, locale)} ({tz.key})"


def weekday_time(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    """``Fri 17:00`` / ``周五 17:00``: a moment within the coming week."""
    local = moment.astimezone(tz)
    return f"{day_name(local.weekday(), locale)} {local:%H:%M}"


def date_time(moment: datetime, tz: ZoneInfo) -> str:
    """``2026-12-04 17:00``: a compact moment where the weekday would crowd the line."""
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"
