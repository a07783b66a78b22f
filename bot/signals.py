"""Signals: one feature telling the others what just happened, inside the transaction it happened in.

A feature raises a signal (a frozen value of its own: "task #12 moved to shipped") through its
context; every listener composed for that signal's type runs at once, on the same connection, so
what a listener writes commits or rolls back with the change itself, and the messages it returns go
out through the outbox with the change's own replies (never lost, never sent for a change that did
not happen). The feature that raises a signal never imports its listeners: ``build_app`` composes
them from each feature's ``listens``, so the dependency runs one way, from listener to signal.

``depth`` counts the listeners' changes between a person's change and this one (0: a person's own,
or a clock's), so a listener whose actions raise signals again can end the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.config import Settings
from bot.i18n import Translator
from bot.people import People
from bot.replies import Reply

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Raised:
    """Where a signal was raised: the transaction its listeners write in, the moment, what they
    may use to word messages, and how deep in a chain of listeners' changes it is."""

    conn: sa.Connection
    now: datetime
    settings: Settings
    translator: Translator
    people: People
    signals: Signals
    depth: int = 0

    def deeper(self) -> Raised:
        """The same place, one listener's change further down the chain."""
        return replace(self, depth=self.depth + 1)

    def emit(self, signal: object) -> list[Reply]:
        """Raise ``signal`` from here (a listener telling of its own change)."""
        return self.signals.emit(self, signal)

    def reader(self, *, ws: str, user_id: str) -> tuple[str, ZoneInfo]:
        """Language and time zone of one person, for a message addressed to them."""
        s = self.settings
        return self.people.reader(
            self.conn, ws=ws, user_id=user_id, locale=s.language, tz=s.timezone
        )

    @property
    def team(self) -> tuple[str, ZoneInfo]:
        """The team's language and zone, for a message to a channel."""
        return self.settings.language, ZoneInfo(self.settings.timezone)


@dataclass(frozen=True, slots=True)
class Listen(Generic[S]):
    """A listener: ``run`` hears every signal of type ``signal`` and returns the messages it sends
    (each addressed with ``to``: a signal has no sender to answer)."""

    signal: type[S]
    run: Callable[[Raised, S], Sequence[Reply]]


class Signals:
    """The listeners of every feature, by the type of signal they hear (composed once)."""

    def __init__(self, listens: Iterable[Listen[Any]] = ()) -> None:
        found: dict[type[Any], list[Listen[Any]]] = {}
        for listen in listens:
            found.setdefault(listen.signal, []).append(listen)
        self._listeners = {kind: tuple(each) for kind, each in found.items()}

    def emit(self, raised: Raised, signal: object) -> list[Reply]:
        """Run every listener of ``signal``'s type, in composition order; their messages."""
        replies: list[Reply] = []
        for listen in self._listeners.get(type(signal), ()):
            replies.extend(listen.run(raised, signal))
        return replies
