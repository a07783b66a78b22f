"""The reminder rules, free of storage and platforms: when a person may be reminded, and which
reminder a task deserves today.

A reminder goes out only in the recipient's *working window*: a working day of the team's calendar
(Monday to Friday, less ``BATON_HOLIDAYS`` public holidays, plus China's make-up working days; every
day when ``weekends`` is on) outside quiet hours, both read in the recipient's own zone. Anything that falls due
outside the window waits for the next working morning: rules are evaluated per local day, and the most
recent rule whose day has come wins, so a reminder due on Sunday is sent on Monday morning unless a
later rule (the due day itself) has superseded it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DEFAULT_QUIET = (time(21, 0), time(9, 0))
DEFAULT_DUE_SOON = (3, 1, 0)
CHANNEL_AFTER_DAYS = 2
ESCALATE_AFTER_DAYS = 5
_RANGE = re.compile(r"^\s*(\d{1,2}):?(\d{2})?\s*[-–~到至]\s*(\d{1,2}):?(\d{2})?\s*$")


@dataclass(frozen=True, slots=True)
class Policy:
    """Reminder settings in force for one channel."""

    quiet_start: time = DEFAULT_QUIET[0]
    quiet_end: time = DEFAULT_QUIET[1]
    weekends: bool = False
    due_soon: tuple[int, ...] = DEFAULT_DUE_SOON

    @property
    def quiet_text(self) -> str:
        """Quiet hours as typed: ``21:00-09:00``."""
        return f"{self.quiet_start:%H:%M}-{self.quiet_end:%H:%M}"

    @property
    def due_soon_text(self) -> str:
        """Due-soon days as typed: ``3d,1d,0d``."""
        return ",".join(f"{d}d" for d in self.due_soon)


def parse_quiet(text: str) -> tuple[time, time] | None:
    """``"22:00-08:00"`` / ``"22-8"`` / ``"22:00到08:00"`` → (start, end); None if unreadable."""
    match = _RANGE.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    return time(h1, m1), time(h2, m2)


def parse_due_soon(text: str) -> tuple[int, ...] | None:
    """``"3d,1d,0d"`` / ``"3,1,0"`` / ``"3天,1天"`` → (3, 1, 0); None if unreadable or over 30 days."""
    parts = [p.strip().rstrip("dD天").strip() for p in re.split(r"[,,、\s]+", text) if p.strip()]
    if not parts or len(parts) > 6 or not all(p.isdigit() for p in parts):
        return None
    days = tuple(sorted({int(p) for p in parts}, reverse=True))
    return days if days[0] <= 30 else None


def is_quiet(at: time, policy: Policy) -> bool:
    """True when ``at`` (local) falls in quiet hours; a window may wrap past midnight."""
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    if start > end:
        return at >= start or at < end
    return start <= at < end


def in_window(
    local_now: datetime, policy: Policy, is_workday: Callable[[date], bool] | None = None
) -> bool:
    """May this person be reminded at ``local_now`` (their own wall clock)?"""
    workday = is_workday(local_now.date()) if is_workday else local_now.weekday() < 5
    if not policy.weekends and not workday:
        return False
    return not is_quiet(local_now.time(), policy)


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """What one owner is reminded of today: ``rule`` (``due:3`` / ``overdue``), the key that
    makes it unique, and the days until due (negative: days overdue)."""

    rule: str
    occasion: str
    days: int


def owner_rule(
    *, due_at: datetime, now: datetime, today: date, tz: ZoneInfo, policy: Policy, user: str
) -> OwnerRule | None:
    """The reminder a task's owner deserves on local day ``today``, if any."""
    due_day = due_at.astimezone(tz).date()
    days = (due_day - today).days
    if days < 0:
        return OwnerRule("overdue", f"{user}@{today.isoformat()}", days)
    for offset in sorted(policy.due_soon):
        if days <= offset:
            return OwnerRule(f"due:{offset}", f"{user}@{due_at.isoformat()}", days)
    return None
