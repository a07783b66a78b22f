"""The one weekday table: how people write a day of the week, and how Baton shows one.

Day numbers are Python's (0 = Monday … 6 = Sunday) everywhere: ``date.weekday()``, standup masks
(bit 0 = Monday) and stored weekly digests.
"""

from __future__ import annotations

# English words for a weekday, as people type them.
WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
# The character after 周 / 星期 / 礼拜 (天 and 七 are colloquial Sunday).
CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
CN_PREFIXES = ("周", "星期", "礼拜")

_SHORT = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}


def day_name(day: int, locale: str) -> str:
    """``Fri`` / ``周五`` for day 4, in the reader's language (English for any other)."""
    return _SHORT.get(locale, _SHORT["en"])[day]


def read_weekday(word: str) -> int | None:
    """``fri``, ``Friday``, ``周五``, ``星期五``, ``礼拜天`` → the day number; None when not a day."""
    value = word.strip().lower()
    if value in WEEKDAYS:
        return WEEKDAYS[value]
    for prefix in CN_PREFIXES:
        if value.startswith(prefix) and value[len(prefix) :] in CN_WEEKDAYS:
            return CN_WEEKDAYS[value[len(prefix) :]]
    return None
