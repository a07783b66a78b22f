"""Reading a time zone as people name it: an IANA name in any case (``asia/shanghai``), a city in
English or Chinese (``Shanghai``, ``Berlin``, ``北京``, ``纽约``), or an offset (``UTC+8``,
``GMT-5``, ``+08:00``), which becomes the fixed zone ``Etc/GMT-8`` (IANA's signs are reversed)."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Cities people name that are not an IANA zone's own city (China has one zone, named after
# Shanghai), and Chinese names of the cities a cross-border team most often works with.
_CITIES = {
    "beijing": "Asia/Shanghai", "shenzhen": "Asia/Shanghai", "guangzhou": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai", "yiwu": "Asia/Shanghai", "china": "Asia/Shanghai",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "washington": "America/New_York", "boston": "America/New_York", "miami": "America/New_York",
    "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "frankfurt": "Europe/Berlin", "munich": "Europe/Berlin", "hamburg": "Europe/Berlin",
    "milan": "Europe/Rome", "barcelona": "Europe/Madrid", "hanoi": "Asia/Bangkok",
    "北京": "Asia/Shanghai", "上海": "Asia/Shanghai", "深圳": "Asia/Shanghai",
    "广州": "Asia/Shanghai", "杭州": "Asia/Shanghai", "义乌": "Asia/Shanghai",
    "中国": "Asia/Shanghai", "香港": "Asia/Hong_Kong", "台北": "Asia/Taipei",
    "东京": "Asia/Tokyo", "首尔": "Asia/Seoul", "新加坡": "Asia/Singapore",
    "曼谷": "Asia/Bangkok", "吉隆坡": "Asia/Kuala_Lumpur", "雅加达": "Asia/Jakarta",
    "马尼拉": "Asia/Manila", "胡志明市": "Asia/Ho_Chi_Minh", "河内": "Asia/Bangkok",
    "迪拜": "Asia/Dubai", "孟买": "Asia/Kolkata", "新德里": "Asia/Kolkata",
    "莫斯科": "Europe/Moscow", "伦敦": "Europe/London", "巴黎": "Europe/Paris",
    "柏林": "Europe/Berlin", "法兰克福": "Europe/Berlin", "阿姆斯特丹": "Europe/Amsterdam",
    "马德里": "Europe/Madrid", "罗马": "Europe/Rome", "华沙": "Europe/Warsaw",
    "纽约": "America/New_York", "芝加哥": "America/Chicago", "洛杉矶": "America/Los_Angeles",
    "旧金山": "America/Los_Angeles", "西雅图": "America/Los_Angeles",
    "多伦多": "America/Toronto", "温哥华": "America/Vancouver", "墨西哥城": "America/Mexico_City",
    "圣保罗": "America/Sao_Paulo", "悉尼": "Australia/Sydney", "墨尔本": "Australia/Melbourne",
    "奥克兰": "Pacific/Auckland",
}  # fmt: skip
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?$")


def read_zone(text: str) -> ZoneInfo | None:
    """The zone ``text`` names, or None."""
    value = " ".join(text.strip().split())
    if not value or len(value) > 64:
        return None
    key = value.casefold()
    if key in ("utc", "gmt", "z"):
        return ZoneInfo("UTC")
    name = _names().get(key) or _names().get(key.replace(" ", "_")) or _CITIES.get(key)
    if name is None and (match := _OFFSET.match(key)):
        name = _offset_zone(match.group(1), int(match.group(2)))
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset_zone(sign: str, hours: int) -> str | None:
    """``+8`` → ``Etc/GMT-8``: IANA's Etc zones count the other way."""
    if hours == 0:
        return "UTC"
    if hours > 14:
        return None
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


@cache
def _names() -> dict[str, str]:
    """Every IANA name, and each zone's own city, by its case-folded spelling (read once)."""
    names: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/")) or "/" not in name:
            continue
        city = name.rsplit("/", 1)[1].casefold()
        names.setdefault(city, name)
        names.setdefault(city.replace("_", " "), name)
    names.update({name.casefold(): name for name in available_timezones()})
    return names
