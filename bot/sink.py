"""The sink: everything an adapter may ask of the core, and nothing more.

An adapter translates a platform event into an ``Inbound`` and hands it to the sink it was given at
``start``. Most events are simply handled (``handle``: processed, replies stored and sent). Some
platforms let an adapter show a reply in its own response: a Feishu card callback returns the
updated card, Slack's App Home is a view the adapter publishes. For those, ``answer`` processes the
event and records the replies the adapter takes as delivered, so the outbox never sends them too;
the adapter then hands the rest to ``deliver`` once its own response has gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.events import Inbound
from bot.outbox import Queued
from bot.replies import Reply


@dataclass(frozen=True, slots=True)
class Answered:
    """What ``answer`` leaves the adapter: the replies it shows itself (already recorded as
    delivered) and those still to deliver through the outbox."""

    inline: tuple[Reply, ...]
    later: tuple[Queued, ...]


class Sink(Protocol):
    """The core, as adapters see it."""

    async def handle(self, message: Inbound) -> Sequence[Queued]:
        """Process one message and deliver its replies."""
        ...

    def answer(self, message: Inbound, *, inline: Callable[[Reply], bool]) -> Answered:
        """Process one message; each reply that ``inline`` accepts (asked after the replies are
        stored, in order) is the adapter's to show; the others wait for ``deliver``."""
        ...

    async def deliver(self, later: Sequence[Queued]) -> None:
        """Send replies ``answer`` left for the outbox."""
        ...
