"""The console adapter: Baton in a terminal, and the driver of end-to-end tests.

Interactive on a terminal (a prompt per line, line editing and history through ``readline``); with
piped input it reads one message per line, prints Baton's replies and exits at end of input. Ctrl-C
leaves at once. ``@name`` mentions a person (console user ids are names, in any script: ``@小王``).

It shows what the platforms show: direct messages to anyone (``→ DM @bob: …``), replies in a
thread (``↳ m3 …``, the message they belong to), cards with numbered buttons (``press 2`` presses
the latest card's second button, ``press 3.2`` card 3's). Console commands, which never reach Baton,
switch who is typing and where (``/as bob dm``, ``/in #ops``, ``/thread m3``) and move the clock
forward (``/time 2026-12-03 09:05``), running whatever falls due, so reminders, standups and SLAs
can be watched firing.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TextIO
from zoneinfo import ZoneInfo

from adapters.console_text import (
    CONSOLE_HELP,
    PRESS,
    ConsoleCommand,
    console_command,
    moment,
    person,
    plain,
    render,
)
from bot import mentions
from bot.clock import Clock, SettableClock
from bot.events import Actor, ButtonAction, Inbound, Platform, Target
from bot.pacing import Pace
from bot.replies import Button, Reply
from bot.sink import Sink

WORKSPACE = "local"
_AT_NAME = re.compile(r"(?<![\w<\u2060])[@＠]([\w.\-]{1,64})", re.UNICODE)
_QUIT = frozenset({"quit", "exit", "退出"})
_KEEP_CARDS = 500
_PREVIEW = 24


@dataclass
class ConsoleAdapter:
    """Reads messages from a stream as one user, in a channel or a direct message, and prints
    what Baton sends."""

    clock: Clock
    user: str = "me"
    channel: str = "general"
    locale: str | None = None
    tz: str | None = None
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    announce_all: bool = False
    on_clock: Callable[[], Awaitable[None]] | None = None  # runs what falls due after ``/time``
    home_tz: str = "UTC"  # the zone ``/time`` reads a wall-clock moment in
    dm: bool = False
    thread: str | None = None
    platform: Platform = Platform.CONSOLE
    pace: Pace | None = None  # a terminal takes every message at once
    _cards: dict[int, tuple[tuple[Button, ...], str]] = field(default_factory=dict)
    _previews: dict[str, str] = field(default_factory=dict)
    _refs: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)
    _card_numbers: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)
    _messages: int = 0

    @property
    def here(self) -> Target:
        """Where the console user is typing: the channel (a thread of it), or their DM."""
        if self.dm:
            return Target.direct(self.actor())
        return Target(self.platform, WORKSPACE, self.channel, self.thread)

    def actor(self, name: str | None = None) -> Actor:
        """The console user (or another console person by name)."""
        if name is None or name == self.user:
            return Actor(self.platform, WORKSPACE, self.user, self.user, self.tz, self.locale)
        return Actor(self.platform, WORKSPACE, name, name)

    def to_inbound(self, line: str) -> Inbound:
        """Translate one typed line: mentions become tokens, ``press n`` (``press c.n``) becomes
        a button action; every message gets a number, ``m<n>``, for its thread."""
        now = self.clock.now()
        event_id = uuid.uuid4().hex
        if (action := self._pressed(line)) is not None:
            return Inbound(event_id, self.actor(), self.here, "", True, now, action=action)
        names: list[str] = []

        def to_token(match: re.Match[str]) -> str:
            names.append(match.group(1))
            return mentions.token(match.group(1))

        text = _AT_NAME.sub(to_token, mentions.inert(line))
        people = tuple(self.actor(name) for name in dict.fromkeys(names))
        self._messages += 1
        ref = f"m{self._messages}"
        self._previews[ref] = line.strip()[:_PREVIEW]
        root = None if self.dm else self.thread or ref
        return Inbound(
            event_id, self.actor(), self.here, text, True, now,
            mentions=people, message_ref=ref, thread_root=root,
        )  # fmt: skip

    def _pressed(self, line: str) -> ButtonAction | None:
        match = PRESS.match(line)
        if match is None or not self._cards:
            return None
        card_no, button_no = match.group(1, 2)
        if button_no is None:
            card_no, button_no = str(max(self._cards)), card_no
        buttons, ref = self._cards.get(int(card_no), ((), ""))
        index = int(button_no) - 1
        if not 0 <= index < len(buttons):
            return None
        return ButtonAction(buttons[index].action, buttons[index].value, ref)

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Print one message, saying where it goes when that is not simply here."""
        ref = f"console-{self._refs()}"
        number = None
        if reply.card is not None and reply.card.buttons:
            number = self._card_numbers()
            self._cards[number] = (reply.card.buttons, reply.edit_ref or ref)
            self._cards.pop(number - _KEEP_CARDS, None)
        self.stdout.write(self._prefix(target, reply) + render(reply, card_number=number) + "\n")
        self.stdout.flush()
        return reply.edit_ref or ref

    def _prefix(self, target: Target, reply: Reply) -> str:
        prefix = ""
        if target.is_direct:
            prefix = f"→ DM @{target.user}: "
        elif self.announce_all or self.dm or target.channel != self.channel:
            prefix = f"→ #{target.channel}: "
        if target.thread:
            preview = self._previews.get(target.thread)
            about = f" “{plain(preview)}”" if preview else ""
            prefix += f"↳ {target.thread}{about}: "
        if reply.edit_ref:
            prefix += "(updated) "
        if reply.ephemeral:
            prefix += "(only you) "
        return prefix

    async def handle_line(self, line: str, sink: Sink) -> None:
        """One typed line: a console command, or a message for Baton."""
        command = console_command(line)
        if command is None:
            await sink.handle(self.to_inbound(line))
        else:
            await self._run(command)

    async def _run(self, command: ConsoleCommand) -> None:
        name, arg = command.name, command.arg
        if name == "as" and (who := person(arg.split()[0] if arg else "")):
            self.user, place = who, arg.split()[1:]
            if place:
                self._move(place[0])
            self._say(f"You are now @{who}, {self._where()}.")
        elif name == "dm":
            self._move("dm")
            self._say(f"You are now {self._where()}.")
        elif name == "in" and arg:
            self._move(arg.split()[0])
            self._say(f"You are now {self._where()}.")
        elif name == "thread" and arg:
            self.thread = None if arg.lower() in ("off", "none", "-") else arg.split()[0]
            self.dm = self.dm and self.thread is None
            self._say(f"You are now {self._where()}.")
        elif name == "time":
            await self._move_clock(arg)
        else:
            self._say(CONSOLE_HELP)

    def _move(self, place: str) -> None:
        """``dm`` (a direct message with Baton) or ``#channel``."""
        if place.lower() == "dm":
            self.dm, self.thread = True, None
        elif channel := place.lstrip("#＃").strip():
            self.dm, self.channel, self.thread = False, channel, None

    def _where(self) -> str:
        if self.dm:
            return "in your direct messages with Baton"
        return f"in #{self.channel}" + (f", thread {self.thread}" if self.thread else "")

    async def _move_clock(self, text: str) -> None:
        """``/time``: move the clock forward and run whatever falls due by then."""
        zone = ZoneInfo(self.tz or self.home_tz)
        if not isinstance(self.clock, SettableClock):
            self._say("This console's clock cannot be moved.")
            return
        now = self.clock.now()
        if not text:
            self._say(f"It is {now.astimezone(zone):%Y-%m-%d %a %H:%M} ({zone.key}).")
            return
        target = moment(text, now=now, tz=zone)
        if target is None:
            self._say("Use /time 2026-12-03 09:05, /time +2h or /time +1d.")
            return
        if target < now:
            self._say("The clock only moves forward: what was sent stays sent.")
            return
        self.clock.set(target)
        self._say(f"It is now {target.astimezone(zone):%Y-%m-%d %a %H:%M} ({zone.key}).")
        if self.on_clock is not None:
            await self.on_clock()

    def _say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def prompt(self) -> str:
        """The interactive prompt: who is typing where, and the number the next message gets."""
        where = " (DM)" if self.dm else f" #{self.channel}"
        if self.thread and not self.dm:
            where += f" ↳{self.thread}"
        return f"{self.user}{where} m{self._messages + 1}> "

    async def start(self, sink: Sink) -> None:
        """Read lines until end of input (or ``quit``), handing each to ``sink``."""
        interactive = self.stdin.isatty()
        if interactive:
            _line_editing()
        while True:
            line = await self._read_line(self.prompt() if interactive else None)
            if line is None:
                return
            line = line.rstrip("\r\n")
            if line.strip().lower() in _QUIT:
                return
            if line.strip():
                await self.handle_line(line, sink)

    async def _read_line(self, prompt: str | None) -> str | None:
        """The next line, read on a daemon thread: Ctrl-C (or the end of the program) never
        waits for a line nobody is going to type."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def read() -> None:
            try:
                line: str | None = input(prompt) if prompt is not None else self.stdin.readline()
            except EOFError:
                line = None
            if not future.done():
                loop.call_soon_threadsafe(_resolve, future, line or None)

        threading.Thread(target=read, name="console-input", daemon=True).start()
        return await future

    async def stop(self) -> None:
        """Nothing to release."""


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


def _line_editing() -> None:
    """Arrow keys, line editing and history for ``input`` where the terminal supports them."""
    try:
        import readline  # noqa: F401  (importing it is what switches line editing on)
    except ImportError:  # not on every platform; plain input still works
        return
