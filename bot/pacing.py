"""Per-chat pacing for the outbox: how often one conversation may receive a message.

Each adapter declares its platform's ``Pace`` (Slack about 1 message/s per channel, Feishu 5/s per
chat, a DingTalk webhook robot 20/min) and the outbox registers it with the adapter. The pacer
remembers, per chat, when the next message may go; the outbox hands a message for a busy chat back to
the queue for that moment instead of sleeping, so one busy channel never holds up the rest.

One process (the SQLite deployment) keeps the chats in memory (``Pacer``); several processes on one
PostgreSQL database keep them in the database (``SharedPacer``), so together they respect each
platform's per-chat rate, and a rate limit one of them hears about holds for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.events import Platform, Target
from storage import pacing


@dataclass(frozen=True, slots=True)
class Pace:
    """A chat may receive ``burst`` messages at once, then one per ``gap``."""

    gap: timedelta
    burst: int = 1


_FORGET_AFTER = 10_000  # chats remembered before those long free are dropped


def chat_key(target: Target) -> str:
    """The conversation a platform's per-chat limit counts: a channel (threads and ephemeral
    messages included) or a direct conversation."""
    where = target.channel or f"@{target.user}"
    return f"{target.platform.value}:{target.workspace}/{where}"


class Pacer:
    """Each chat's pace, as a generic cell rate algorithm: per chat, the theoretical moment the
    next message is due (``_due``); a message may go when that is at most ``burst - 1`` gaps ahead."""

    def __init__(self) -> None:
        self._paces: dict[Platform, Pace] = {}
        self._due: dict[str, datetime] = {}

    def set_pace(self, platform: Platform, pace: Pace | None) -> None:
        """How fast one chat of ``platform`` may receive messages (None: unpaced)."""
        if pace is None:
            self._paces.pop(platform, None)
        else:
            self._paces[platform] = pace

    def busy_until(self, target: Target, now: datetime) -> datetime | None:
        """When ``target``'s chat may receive a message again if it may not at ``now``; otherwise
        None, and this message counts against the chat."""
        pace = self._paces.get(target.platform)
        if pace is None:
            return None
        chat = chat_key(target)
        due = max(self._due.get(chat, now), now)
        allowed = due - pace.gap * (pace.burst - 1)
        if allowed > now:
            return allowed
        self._due[chat] = due + pace.gap
        if len(self._due) > _FORGET_AFTER:
            self._due = {k: v for k, v in self._due.items() if v > now}
        return None

    def throttled(self, target: Target, until: datetime) -> None:
        """The platform said the chat is rate-limited until ``until`` (a 429's Retry-After)."""
        pace = self._paces.get(target.platform, Pace(timedelta(0)))
        self._due[chat_key(target)] = until + pace.gap * (pace.burst - 1)


class SharedPacer(Pacer):
    """The same pace, kept in the database for every process sending through it."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__()
        self._engine = engine

    def busy_until(self, target: Target, now: datetime) -> datetime | None:
        """As ``Pacer.busy_until``, decided in one statement that every process sees."""
        pace = self._paces.get(target.platform)
        if pace is None:
            return None
        slack = (pace.gap * (pace.burst - 1)).total_seconds()
        with self._engine.begin() as conn:
            free = pacing.take(
                conn,
                chat=chat_key(target),
                now=now.timestamp(),
                gap=pace.gap.total_seconds(),
                slack=slack,
            )
        return None if free is None else datetime.fromtimestamp(free, UTC)

    def throttled(self, target: Target, until: datetime) -> None:
        """As ``Pacer.throttled``, for every process."""
        pace = self._paces.get(target.platform, Pace(timedelta(0)))
        due = until + pace.gap * (pace.burst - 1)
        with self._engine.begin() as conn:
            pacing.hold(conn, chat=chat_key(target), due=due.timestamp())


def pacer_for(engine: sa.Engine) -> Pacer:
    """The shared pacer where several processes may send (PostgreSQL), else the in-memory one."""
    return SharedPacer(engine) if engine.dialect.name == "postgresql" else Pacer()
