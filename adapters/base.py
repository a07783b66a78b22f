"""What every adapter is: a translator between one platform and Baton's neutral types.

An adapter verifies platform events and hands them to the core through the ``Sink`` it is given at
``start`` (stored before they are acknowledged), turns stored events into ``Inbound`` values when the
core asks (``translate``), and renders ``Reply`` values natively when the outbox asks it to ``send``.
It declares how fast one chat of its platform may receive messages (``pace``). It holds no business
rules.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.events import Platform, Target
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import Sink, StoredEvent, Translation


class Adapter(Protocol):
    """One platform connection."""

    platform: Platform

    @property
    def pace(self) -> Pace | None:
        """How fast one chat may receive messages (None: as fast as they come)."""
        ...

    async def start(self, sink: Sink) -> None:
        """Begin receiving events (returns once running)."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; return the platform's message id. Raise ``DeliveryError`` on failure."""
        ...


class PlatformAdapter(Adapter, Protocol):
    """An adapter of a chat platform: its events are stored before they are acknowledged, and
    translated afterwards."""

    async def translate(self, event: StoredEvent) -> Translation | None:
        """The message an event this adapter accepted means (see ``bot.sink.Translator``)."""
        ...

    async def ready(self) -> str | None:
        """None when the platform connection is up (always, over HTTP), else what is wrong."""
        ...


class HttpAdapter(Adapter, Protocol):
    """An adapter in HTTP mode: its routes are served by the shared server (``bot.http_server``)."""

    def http_routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this adapter answers (e.g. ``POST /slack/events``)."""
        ...
