"""A team driving standups through the console adapter: channel messages, direct messages, ticks.

Everything goes through the real app (routing, database, outbox, console rendering); only the clock
is frozen and moved by the test.
"""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import datetime, timedelta

from bot.app import App
from bot.clock import FrozenClock
from bot.events import ButtonAction, Inbound, Target
from tests.conftest import Chat


class Team:
    """A console chat plus direct messages and scheduler ticks, each returning what was printed."""

    def __init__(self, chat: Chat, clock: FrozenClock) -> None:
        self.chat = chat
        self.clock = clock
        chat.console.announce_all = True  # every line says where it went: "→ @bob (DM): …"

    @property
    def app(self) -> App:
        """The Baton under test."""
        return self.chat.app

    def _capture_start(self) -> int:
        return self.chat.out.seek(0, io.SEEK_END)

    def _captured(self, start: int) -> str:
        self.chat.out.seek(start)
        printed = self.chat.out.read()
        self.chat.out.seek(0, io.SEEK_END)
        return printed

    async def say(self, line: str, *, user: str = "alice", channel: str = "ops") -> str:
        """A message in a channel."""
        return await self.chat.say(line, user=user, channel=channel)

    async def dm(self, line: str, *, user: str) -> str:
        """A direct message from ``user`` to Baton."""
        console = self.chat.console
        console.user = user
        message = console.to_inbound(line)
        direct = Inbound(
            event_id=uuid.uuid4().hex,
            actor=message.actor,
            source=Target.direct(message.actor),
            text=message.text,
            is_direct=True,
            received_at=message.received_at,
            mentions=message.mentions,
        )
        start = self._capture_start()
        await self.app.handle(direct)
        return self._captured(start)

    async def press(self, button: dict[str, str], *, user: str, channel: str = "ops") -> str:
        """Press a button of a card sent earlier (not only the latest one), as a platform would."""
        console = self.chat.console
        console.user, console.channel = user, channel
        message = console.to_inbound("")
        click = dataclasses.replace(
            message, action=ButtonAction(button["action"], button["value"])
        )
        start = self._capture_start()
        await self.app.handle(click)
        return self._captured(start)

    async def tick(self, app: App | None = None) -> str:
        """Run the scheduled work once and return what it printed."""
        start = self._capture_start()
        await (app or self.app).run_ticks()
        return self._captured(start)

    async def at(self, moment: datetime) -> str:
        """Move the clock to ``moment`` and tick."""
        self.clock.set(moment)
        return await self.tick()

    async def zones(self, **zones: str) -> None:
        """Each person sets their own time zone (``alice="Asia/Shanghai"``)."""
        for user, tz in zones.items():
            await self.say(f"tz {tz}", user=user)

    async def advance(self, delta: timedelta) -> str:
        """Move the clock forward and tick."""
        self.clock.advance(delta)
        return await self.tick()
