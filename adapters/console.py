"""The console adapter: Baton in a terminal, and the driver of end-to-end tests.

Interactive on a terminal (a prompt per line); with piped input it reads one message per line, prints
Baton's replies and exits at end of input. ``@name`` mentions a person (console user ids are names).
Cards print as text with numbered buttons; ``press <n>`` presses button n of the latest card.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from bot import mentions
from bot.clock import Clock
from bot.events import Actor, ButtonAction, Inbound, Platform, Target
from bot.pacing import Pace
from bot.replies import Button, Card, Reply
from bot.sink import Sink

WORKSPACE = "local"
_AT_NAME = re.compile(r"(?<![\w<\u2060])@([\w.\-]{1,64})", re.UNICODE)
_PRESS = re.compile(r"^\s*(?:press|按)\s*(\d{1,3})\s*$", re.IGNORECASE)
_QUIT = frozenset({"quit", "exit", "退出"})


def render(reply: Reply) -> str:
    """A reply as terminal text: mentions as ``@name``, cards as indented lines."""
    lines = [_plain(reply.text)]
    if reply.card is not None:
        lines.extend(_card_lines(reply.card))
    return "\n".join(line for line in lines if line)


def _plain(text: str) -> str:
    return "".join(piece if uid is None else f"@{uid}" for piece, uid in mentions.split(text))


def _card_lines(card: Card) -> list[str]:
    lines = [f"┌ {_plain(card.title)}"]
    lines.extend(f"│ {_plain(line)}" for line in card.body.splitlines())
    lines.extend(f"│ {_plain(f.label)}: {_plain(f.value)}" for f in card.fields)
    if card.buttons:
        labels = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(card.buttons, start=1))
        lines.append(f"└ {labels}   (press <n>)")
    else:
        lines.append("└")
    return lines


@dataclass
class ConsoleAdapter:
    """Reads messages from a stream as one user in one channel and prints what Baton sends."""

    clock: Clock
    user: str = "me"
    channel: str = "general"
    locale: str | None = None
    tz: str | None = None
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    announce_all: bool = False
    platform: Platform = Platform.CONSOLE
    pace: Pace | None = None  # a terminal takes every message at once
    _buttons: tuple[Button, ...] = ()
    _buttons_ref: str | None = None
    _refs: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)

    @property
    def here(self) -> Target:
        """The channel the console user is typing in."""
        return Target(self.platform, WORKSPACE, self.channel)

    def actor(self, name: str | None = None) -> Actor:
        """The console user (or another console person by name)."""
        if name is None or name == self.user:
            return Actor(self.platform, WORKSPACE, self.user, self.user, self.tz, self.locale)
        return Actor(self.platform, WORKSPACE, name, name)

    def to_inbound(self, line: str) -> Inbound:
        """Translate one typed line: mentions become tokens, ``press n`` becomes a button action."""
        now = self.clock.now()
        event_id = uuid.uuid4().hex
        pressed = _PRESS.match(line)
        if pressed and self._buttons:
            index = int(pressed.group(1)) - 1
            if 0 <= index < len(self._buttons):
                button = self._buttons[index]
                action = ButtonAction(button.action, button.value, self._buttons_ref)
                return Inbound(event_id, self.actor(), self.here, "", True, now, action=action)
        names: list[str] = []

        def to_token(match: re.Match[str]) -> str:
            names.append(match.group(1))
            return mentions.token(match.group(1))

        text = _AT_NAME.sub(to_token, mentions.inert(line))
        people = tuple(self.actor(name) for name in dict.fromkeys(names))
        return Inbound(event_id, self.actor(), self.here, text, True, now, mentions=people)

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Print one message; messages for elsewhere say where they go."""
        ref = f"console-{self._refs()}"
        body = render(reply)
        prefix = ""
        if target.is_direct and (self.announce_all or target.user != self.user):
            prefix = f"→ @{target.user} (DM): "
        elif target.is_direct:
            prefix = "(DM) "
        elif self.announce_all or target.channel != self.channel:
            prefix = f"→ #{target.channel}: "
        if reply.edit_ref:
            prefix += "(updated) "
        if reply.ephemeral:
            prefix += "(only you) "
        self.stdout.write(prefix + body + "\n")
        self.stdout.flush()
        if reply.card is not None and reply.card.buttons:
            self._buttons = reply.card.buttons
            self._buttons_ref = reply.edit_ref or ref
        return reply.edit_ref or ref

    async def start(self, sink: Sink) -> None:
        """Read lines until end of input (or ``quit``), handing each to ``sink``."""
        interactive = self.stdin.isatty()
        while True:
            if interactive:
                self.stdout.write(f"{self.user}> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                return
            line = line.rstrip("\r\n")
            if line.strip().lower() in _QUIT:
                return
            if not line.strip():
                continue
            await sink.handle(self.to_inbound(line))

    async def stop(self) -> None:
        """Nothing to release."""
