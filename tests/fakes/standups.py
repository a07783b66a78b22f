"""A team driving standups through the console adapter: channel messages, direct messages, ticks.

Everything goes through the real app (routing, database, outbox, console rendering); only the clock
is frozen and moved by the test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.console import WORKSPACE
from bot.app import App
from bot.clock import FrozenClock
from bot.events import Platform, Target
from storage import managers
from tests.conftest import Chat
from tests.fakes.messages import make_button, make_inbound


class Team:
    """A console chat plus direct messages and scheduler ticks, each returning what was printed.

    Alice leads the team: she manages #ops and #dev (an admin's ``manager add @alice`` there), so
    she may set their standups up.
    """

    def __init__(self, chat: Chat, clock: FrozenClock) -> None:
        self.chat = chat
        self.clock = clock
        chat.console.announce_all = True  # every line says where it went: "→ @bob (DM): …"
        for channel in ("ops", "dev"):
            self.appoint("alice", channel=channel)

    def appoint(self, *users: str, channel: str = "ops") -> None:
        """Make ``users`` managers of ``channel``, as an admin's ``manager add`` does."""
        key = str(Target(Platform.CONSOLE, WORKSPACE, channel))
        with self.app.engine.begin() as conn:
            for user in users:
                managers.add(
                    conn, channel=key, user_id=user, added_by="boss", now=self.clock.now()
                )

    @property
    def app(self) -> App:
        """The Baton under test."""
        return self.chat.app

    async def say(self, line: str, *, user: str = "alice", channel: str = "ops") -> str:
        """A message in a channel."""
        return await self.chat.say(line, user=user, channel=channel)

    async def dm(self, line: str, *, user: str) -> str:
        """A direct message from ``user`` to Baton."""
        console = self.chat.console
        console.user = user
        typed = console.to_inbound(line)  # the console turns ``@name`` into mention tokens
        return await self.chat.send(
            make_inbound(
                typed.text,
                user=user,
                dm=True,
                mentions=typed.mentions,
                received_at=typed.received_at,
            )
        )

    async def press(self, button: dict[str, str], *, user: str, channel: str = "ops") -> str:
        """Press a button of a card sent earlier (not only the latest one), as a platform would."""
        action, value, now = button["action"], button["value"], self.clock.now()
        return await self.chat.send(
            make_button(action, value, user=user, channel=channel, received_at=now)
        )

    async def tick(self) -> str:
        """Run the scheduled work once and return what it printed."""
        return await self.chat.tick()

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
