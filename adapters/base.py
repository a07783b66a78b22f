"""What every adapter is: a translator between one platform and Baton's neutral types.

An adapter receives platform events, turns them into ``Inbound`` values, hands them to the core
through the ``Sink`` it is given at ``start``, and renders ``Reply`` values natively when the outbox
asks it to ``send``. It declares how fast one chat of its platform may receive messages (``pace``). It
holds no business rules.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.events import Platform, Target
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import Sink


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


class HttpAdapter(Adapter, Protocol):
    """An adapter in HTTP mode: its routes are served by the shared server (``bot.http_server``)."""

    def http_routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this adapter answers (e.g. ``POST /slack/events``)."""
        ...
