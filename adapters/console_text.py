"""What the console prints and reads besides chat: replies as terminal text, and the console's own
commands (``/as``, ``/dm``, ``/in``, ``/thread``, ``/time``, ``press``), which never reach Baton.

Kept apart from the adapter so the reading rules are plain functions a test can call directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import mentions
from bot.replies import Card, Reply

PRESS = re.compile(r"^\s*(?:press|按)\s*(\d{1,4})(?:\s*[.\s]\s*(\d{1,3}))?\s*$", re.IGNORECASE)
_COMMAND = re.compile(r"^/(as|dm|in|thread|time|console)(?:\s+(.*))?$", re.IGNORECASE)
_SHIFT = re.compile(r"^\+(\d{1,4})\s*(m|min|h|d)$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
_NAME = re.compile(r"^[@＠]?([\w.\-]{1,64})$")

CONSOLE_HELP = """Console commands (they stay in this terminal):
  /as NAME [dm|#channel]   type as NAME (in their direct messages with Baton, or in a channel)
  /dm · /in #channel       talk to Baton directly, or in a channel
  /thread m3 · /thread off reply in the thread of message m3 (the prompt shows each message's number)
  /time 2026-12-03 09:05   move the clock forward (also +2h, +1d) and run what falls due
  press 2 · press 3.2      press button 2 of the latest card, or of card 3"""


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    """A console command: its name (``as``, ``dm``, ``in``, ``thread``, ``time``, ``console``) and
    what followed it."""

    name: str
    arg: str


def console_command(line: str) -> ConsoleCommand | None:
    """The console command a typed line is, or None for a chat message."""
    match = _COMMAND.match(line.strip())
    if match is None:
        return None
    return ConsoleCommand(match.group(1).lower(), (match.group(2) or "").strip())


def person(word: str) -> str | None:
    """``alice``, ``@alice``, ``＠小王`` → the console user id; None when not a name."""
    match = _NAME.match(word.strip())
    return match.group(1) if match else None


def moment(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """``2026-12-03 09:05`` (read in ``tz``), an ISO moment with an offset, or ``+2h``/``+1d``
    from ``now``; None when unreadable."""
    value = text.strip()
    if shift := _SHIFT.match(value):
        return now + timedelta(**{_UNITS[shift.group(2).lower()]: int(shift.group(1))})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def render(reply: Reply, *, card_number: int | None = None) -> str:
    """A reply as terminal text: mentions as ``@name``, cards as indented lines; a card with
    buttons says its number, so ``press <card>.<button>`` reaches it later."""
    lines = [plain(reply.text)]
    if reply.card is not None:
        lines.extend(_card_lines(reply.card, card_number))
    return "\n".join(line for line in lines if line)


def plain(text: str) -> str:
    """Mention tokens as ``@name``."""
    return "".join(piece if uid is None else f"@{uid}" for piece, uid in mentions.split(text))


def _card_lines(card: Card, number: int | None) -> list[str]:
    lines = [f"┌ {plain(card.title)}"]
    lines.extend(f"│ {plain(line)}" for line in card.body.splitlines())
    lines.extend(f"│ {plain(f.label)}: {plain(f.value)}" for f in card.fields)
    if card.buttons:
        labels = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(card.buttons, start=1))
        where = f"; card {number}: press {number}.<n>" if number is not None else ""
        lines.append(f"└ {labels}   (press <n>{where})")
    else:
        lines.append("└")
    return lines
