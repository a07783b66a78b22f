"""The context a handler runs in: who asked, where, when, in which language and time zone, and the
database transaction that everything it writes belongs to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot import mentions
from bot.config import Settings
from bot.events import Actor, Inbound, Target
from bot.i18n import Translator
from bot.memo import Memo
from bot.metrics import Metrics
from bot.outbox import Outbox, Queued
from bot.people import People
from bot.replies import Card, Reply
from bot.signals import Raised, Signals
from bot.usage import Usage

T = TypeVar("T")


class Refusal(Exception):
    """Raised by a handler to refuse politely: the transaction is rolled back and the user is told
    ``key`` (a catalog message) formatted with ``values``."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class Ctx:
    """Everything one handler call may use; built per message by the dispatcher."""

    inbound: Inbound
    conn: sa.Connection
    now: datetime
    locale: str
    tz: ZoneInfo
    settings: Settings
    translator: Translator
    people: People
    commands: tuple[Usage, ...] = ()
    memo: Memo = field(default_factory=Memo)
    metrics: Metrics = field(default_factory=Metrics)
    signals: Signals = field(default_factory=Signals)
    followups: list[Reply] = field(default_factory=list)  # what listeners send (see ``emit``)
    _once: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def once(self, key: str, read: Callable[[], T]) -> T:
        """``read()`` the first time this message asks for ``key``, the same value after: a
        handler and the helpers it calls read settings such as a board's columns once per message,
        in the message's own transaction, so they can never disagree."""
        if key not in self._once:
            self._once[key] = read()
        return cast(T, self._once[key])

    @property
    def actor(self) -> Actor:
        """Who sent the message or pressed the button."""
        return self.inbound.actor

    @property
    def source(self) -> Target:
        """Where the message came from."""
        return self.inbound.source

    @property
    def ws(self) -> str:
        """The workspace key (``slack:T01``)."""
        return self.inbound.source.ws

    @property
    def is_admin(self) -> bool:
        """True when the actor is listed in ``BATON_ADMINS``."""
        return self.actor.user_id in self.settings.admins

    def t(self, key: str, /, **values: object) -> str:
        """Message ``key`` in the actor's language."""
        return self.translator.t(key, self.locale, **values)

    def say(self, key: str, /, *, card: Card | None = None, **values: object) -> Reply:
        """A reply with message ``key`` in the actor's language, where the message came from."""
        return Reply(self.t(key, **values), card=card)

    def tell(self, key: str, /, **values: object) -> Reply:
        """A reply with message ``key`` meant for the actor alone (help, a mistake, a refusal):
        shown only to them where the platform can."""
        return Reply(self.t(key, **values), ephemeral=True)

    def left_out(self, text: str) -> list[Reply]:
        """A note naming the ``@names`` in ``text`` that are not people Baton can resolve (so a
        command that takes people never drops one without a word); empty when there are none."""
        names = mentions.unresolved(text)
        if not names:
            return []
        listed = ", ".join(f"@{mentions.inert(name)}" for name in names[:10])
        return [self.say("people.unresolved", names=listed)]

    def emit(self, signal: object) -> None:
        """Tell the other features what this handler just changed (:mod:`bot.signals`): their
        listeners run now, in this transaction, and their messages go out after this handler's
        replies (and not at all when the handler refuses after all)."""
        self.followups.extend(self.signals.emit(self.raised(), signal))

    def raised(self) -> Raised:
        """This message's transaction and moment, as the place a signal is raised."""
        return Raised(
            self.conn, self.now, self.settings, self.translator, self.people, self.signals
        )

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the actor's time zone."""
        return moment.astimezone(self.tz)

    def reader(self, user_id: str) -> tuple[str, ZoneInfo]:
        """Language and time zone of another person in this workspace (for a DM to them)."""
        s = self.settings
        return self.people.reader(
            self.conn, ws=self.ws, user_id=user_id, locale=s.language, tz=s.timezone
        )


@dataclass(frozen=True, slots=True)
class TickCtx:
    """What a scheduled tick may use: the engine (ticks open their own short transactions), the
    moment it runs for, settings, messages, people and the outbox to queue what it sends."""

    engine: sa.Engine
    now: datetime
    settings: Settings
    translator: Translator
    people: People
    outbox: Outbox
    memo: Memo = field(default_factory=Memo)
    signals: Signals = field(default_factory=Signals)

    def reader(self, conn: sa.Connection, *, ws: str, user_id: str) -> tuple[str, ZoneInfo]:
        """Language and time zone of one person, for a message addressed to them."""
        s = self.settings
        return self.people.reader(conn, ws=ws, user_id=user_id, locale=s.language, tz=s.timezone)

    def raised(self, conn: sa.Connection) -> Raised:
        """This tick's moment, as the place a signal is raised in ``conn``'s transaction."""
        return Raised(conn, self.now, self.settings, self.translator, self.people, self.signals)

    def emit(self, conn: sa.Connection, signal: object) -> list[Queued]:
        """Tell the other features what this tick just changed in ``conn``'s transaction; the
        messages their listeners return are queued in it (:mod:`bot.signals`)."""
        return self.queue(conn, self.signals.emit(self.raised(conn), signal))

    def queue(self, conn: sa.Connection, replies: Iterable[Reply]) -> list[Queued]:
        """Queue addressed ``replies`` in ``conn``'s transaction (a tick answers nobody)."""
        queued = []
        for reply in replies:
            if reply.to is None:
                raise ValueError("a message sent from a tick needs an address (Reply.to)")
            if (row := self.outbox.enqueue(conn, reply.to, reply)) is not None:
                queued.append(row)
        return queued
