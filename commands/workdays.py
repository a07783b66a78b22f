"""Which days a team works: Monday to Friday, less the public holidays of its country
(``BATON_HOLIDAYS``); for China also the make-up working days (调休, a Saturday or Sunday worked to
bridge a holiday), which ``chinese-calendar`` knows and the ``holidays`` package does not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import chinese_calendar
import holidays

WorkdayCheck = Callable[[date], bool]


def workday_checker(country: str | None) -> WorkdayCheck:
    """A working-day test for ``country`` (an ISO code, or None for Monday to Friday) that loads
    each year's calendar once: a tick asks it for thousands of people."""
    if not country:
        return lambda day: day.weekday() < 5
    calendars: dict[int, holidays.HolidayBase] = {}

    def is_workday(day: date) -> bool:
        if country == "CN":
            try:
                return bool(chinese_calendar.is_workday(day))
            except NotImplementedError:  # a year the package has no data for yet
                pass
        if day.year not in calendars:
            calendars[day.year] = holidays.country_holidays(country, years=day.year)
        return day.weekday() < 5 and day not in calendars[day.year]

    return is_workday
