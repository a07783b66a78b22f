"""The sink: everything an adapter may ask of the core, and what the core asks of an adapter.

Nothing a platform is told was received may be lost, so an adapter first *accepts* each verified
event: the core stores it (de-duplicated on the platform's id) in one short transaction, and only
then does the adapter acknowledge it to the platform. The slow part (looking people up, running the
command, sending the replies) happens afterwards, in the core's workers, which call the adapter back
to ``translate`` the stored event into an ``Inbound``. A process that dies after the ack leaves the
event stored; a worker of the next process runs it.

Some platforms let an adapter show a reply in its own response: a Feishu card callback returns the
updated card. Such an event is ``hold``-ed (stored, but left to the adapter) and then ``answer``-ed:
the replies the adapter takes are recorded as delivered, so the outbox never sends them too, and
the rest go to ``deliver`` once the adapter's own response has gone. Slack's App Home is shown the
same way, through ``Translation.show``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.events import Inbound, Platform
from bot.outbox import Queued
from bot.replies import Reply


@dataclass(frozen=True, slots=True)
class RawEvent:
    """A verified platform event, as the adapter received it, before any slow work.

    ``event_id`` is the platform's own id for the event (what a redelivery repeats); ``kind`` is the
    adapter's word for what it is; events of one ``chat`` are run in the order they came.
    """

    platform: Platform
    event_id: str
    kind: str
    chat: str
    payload: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The key redeliveries are recognised by: platform and the platform's id."""
        return f"{self.platform.value}:{self.event_id}"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An accepted event handed back to its adapter to translate."""

    kind: str
    payload: Mapping[str, Any]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Ticket:
    """An event held for the adapter that accepted it (see ``Sink.hold``)."""

    row_id: int


@dataclass(frozen=True, slots=True)
class Translation:
    """What a stored event means: the message to run, and how the adapter wants it shown.

    ``show``, when given, receives every reply instead of the outbox (Slack's App Home is a view,
    not a message); ``after`` runs once the replies are out (refreshing a Home tab after a click).
    """

    message: Inbound
    show: Callable[[Sequence[Reply]], Awaitable[None]] | None = None
    after: Callable[[], Awaitable[None]] | None = None


class Unreadable(ValueError):
    """A stored event that cannot be translated, now or ever: it is set aside, not retried."""


@dataclass(frozen=True, slots=True)
class Answered:
    """What ``answer`` leaves the adapter: the replies it shows itself (already recorded as
    delivered) and those still to deliver through the outbox."""

    inline: tuple[Reply, ...]
    later: tuple[Queued, ...]


class Translator(Protocol):
    """What the core asks of an adapter: turn an event it accepted into a message."""

    platform: Platform

    async def translate(self, event: StoredEvent) -> Translation | None:
        """The message of ``event`` (None: nothing to run, e.g. Baton's own message). Raise
        ``Unreadable`` for an event that can never be run; any other error is retried later."""
        ...


class Sink(Protocol):
    """The core, as adapters see it."""

    def accept(self, event: RawEvent) -> bool:
        """Store ``event`` durably and queue it for the workers; False for a redelivery (store
        nothing, acknowledge anyway). Thread-safe; call it before acknowledging the event."""
        ...

    def hold(self, event: RawEvent) -> Ticket | None:
        """Store ``event`` durably for the caller to ``answer`` at once (None for a redelivery);
        should the caller never answer, the workers run it once its lease runs out."""
        ...

    async def answer(
        self, message: Inbound, *, inline: Callable[[Reply], bool], ticket: Ticket | None = None
    ) -> Answered:
        """Run one message; each reply that ``inline`` accepts (asked after the replies are
        stored, in order) is the adapter's to show; the others wait for ``deliver``. With a
        ``ticket``, the held event is marked done in the same transaction."""
        ...

    async def deliver(self, later: Sequence[Queued]) -> None:
        """Send replies ``answer`` left for the outbox."""
        ...

    async def handle(self, message: Inbound) -> Sequence[Queued]:
        """Run one message at once and deliver its replies (a transport with no acknowledgement,
        such as the console)."""
        ...

    async def settle(self) -> None:
        """Wait until every event accepted so far has run."""
        ...
