"""Time as a dependency: the system clock in production, a frozen one in tests (which never sleep)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


class Clock(Protocol):
    """Something that tells the current aware UTC time."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


@runtime_checkable
class SettableClock(Protocol):
    """A clock that can be moved (the console's ``/time``, tests)."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    def set(self, at: datetime) -> None:
        """From now on, tell time from ``at`` (aware)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to: tests set the moment and advance it explicitly."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """The frozen moment."""
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (aware)."""
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._at += delta


class ShiftedClock:
    """The system clock moved by an offset: it keeps running, from wherever the console's
    ``/time`` last set it, so reminders and standups can be watched firing without waiting."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current time plus the offset, aware, in UTC."""
        return datetime.now(UTC) + self._offset

    def set(self, at: datetime) -> None:
        """Run from ``at`` (aware) on."""
        if at.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._offset = at.astimezone(UTC) - datetime.now(UTC)
