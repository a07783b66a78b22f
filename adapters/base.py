"""What every adapter is: a translator between one platform and Baton's neutral types.

An adapter receives platform events, turns them into ``Inbound`` values, hands them to the app
(``InboundSink``), and renders ``Reply`` values natively when the outbox asks it to ``send``. It holds
no business rules.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.events import Inbound, Platform, Target
from bot.outbox import Queued
from bot.replies import Reply


class InboundSink(Protocol):
    """The app, as adapters see it."""

    async def handle(self, message: Inbound) -> list[Queued]:
        """Process one message and deliver its replies."""
        ...


class Adapter(Protocol):
    """One platform connection."""

    platform: Platform

    async def start(self, sink: InboundSink) -> None:
        """Begin receiving events (returns once running)."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; return the platform's message id. Raise ``DeliveryError`` on failure."""
        ...


class HttpAdapter(Adapter, Protocol):
    """An adapter in HTTP mode: its routes are served by the shared server (``bot.http_server``)."""

    def http_routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this adapter answers (e.g. ``POST /slack/events``)."""
        ...
