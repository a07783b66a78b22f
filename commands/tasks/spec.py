"""Reading what ``task add`` was asked to create: title, owners, due date, priority, tags, and
whether it recurs (``every fri 17:00`` / ``每周五 17点``).

Quoted phrases stay whole; ``due:`` takes the longest run of words that reads as a time, and an
unreadable due date refuses the whole command so nothing half-meant is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot import mentions
from bot.context import Ctx, Refusal
from commands.parsing import parse_when
from commands.recurrence import Every, parse_every

_TOKEN = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|\S+')
_QUOTES = {'"': '"', "“": "”", "「": "」"}
_DUE_PREFIXES = ("due:", "截止:", "到期:")
# The same words without the colon: a due date when what follows reads as one (``due 5pm``,
# ``截止 周五``, ``截止周五``); otherwise they stay in the title and the reply says so.
_DUE_WORDS = ("due", "截止", "到期")
_PRIORITIES = {"!high": 1, "!高": 1, "!urgent": 1, "!紧急": 1, "!low": -1, "!低": -1}
MAX_DUE_WORDS = 4
# Words that open a tag, a priority or a mention are never part of a due date: the search for the
# longest readable date stops before them instead of trying phrases that cannot read as one.
_NOT_TIME_STARTS = ("#", "!", "@", "<")
_EVERY_WORDS = ("every", "each", "monthly", "每")
MAX_EVERY_WORDS = 6


@dataclass
class TaskSpec:
    """What ``task add`` was asked to create."""

    title: str = ""
    owners: list[str] = field(default_factory=list)
    due_text: str | None = None
    due_at: datetime | None = None
    priority: int = 0
    tags: list[str] = field(default_factory=list)
    kept: str | None = None  # "due …" words that did not read as a date and stayed in the title
    every: Every | None = None  # a recurring task: a new one at each occurrence
    source: str | None = None  # the message the task is made from, when not the command itself


def words(text: str) -> list[str]:
    """Split on spaces, keeping quoted phrases whole."""
    return _TOKEN.findall(text)


def unquote(word: str) -> str:
    """A quoted phrase without its quotes."""
    if len(word) >= 2 and _QUOTES.get(word[0]) == word[-1]:
        return word[1:-1]
    return word


def plain_mentions(text: str, names: dict[str, str]) -> str:
    """Mention tokens left in free text become plain ``@name`` (never a live mention)."""
    return mentions.MENTION_RE.sub(lambda m: f"@{names.get(m.group(1), m.group(1))}", text)


def names_of(ctx: Ctx) -> dict[str, str]:
    """Display names of the people mentioned in this message."""
    return {a.user_id: a.name for a in ctx.inbound.mentions}


def parse_spec(ctx: Ctx, args: str) -> TaskSpec:
    """Read ``<title> [@owner ...] [due:<when>] [!high|!low] [#tag ...]``; raises Refusal when the
    due date cannot be read, so nothing is created."""
    spec = TaskSpec()
    title: list[str] = []
    parts = words(args)
    i = 0
    while i < len(parts):
        word = parts[i]
        lower = word.lower()
        prefix = next((p for p in _DUE_PREFIXES if lower.startswith(p)), None)
        if prefix is not None:
            i = _read_due(ctx, spec, parts, i, word[len(prefix) :])
            continue
        if spec.due_at is None and (bare := _bare_due(ctx, spec, parts, i)) is not None:
            i = bare
            continue
        if spec.every is None and (repeat := _recurrence(spec, parts, i)) is not None:
            i = repeat
            continue
        ids = mentions.mentioned_ids(word)
        if ids and mentions.MENTION_RE.fullmatch(word):
            spec.owners.extend(u for u in ids if u not in spec.owners)
        elif lower in _PRIORITIES:
            spec.priority = _PRIORITIES[lower]
        elif word.startswith("#") and len(word) > 1 and not word[1:].isdigit():
            spec.tags.append(word[1:].lower()[:40])
        else:
            title.append(unquote(word))
        i += 1
    spec.title = plain_mentions(" ".join(title).strip(), names_of(ctx))
    return spec


def _read_due(ctx: Ctx, spec: TaskSpec, parts: list[str], i: int, first: str) -> int:
    """Take the longest run of words after ``due:`` that reads as a time; returns the next index."""
    found = _longest_due(ctx, spec, parts, i, first)
    if found is None:
        following = parts[i + 1 : i + 2]
        raise Refusal("tasks.bad_due", when=(" ".join([first, *following]).strip() or "?")[:60])
    return found


def _bare_due(ctx: Ctx, spec: TaskSpec, parts: list[str], i: int) -> int | None:
    """``due 5pm`` / ``截止 周五`` / ``截止周五``: a due date when the words after it read as one
    (the next index); otherwise None, and ``spec.kept`` remembers the words for the reply."""
    word = parts[i]
    lower = word.lower()
    glued = next((w for w in _DUE_WORDS if lower.startswith(w) and lower != w), None)
    if glued is not None and not glued.isascii():
        return _longest_due(ctx, spec, parts, i, word[len(glued) :])
    if lower not in _DUE_WORDS or i + 1 >= len(parts):
        return None
    found = _longest_due(ctx, spec, parts, i, "")
    if found is None:
        spec.kept = f"{word} {parts[i + 1]}"[:60]
    return found


def _longest_due(ctx: Ctx, spec: TaskSpec, parts: list[str], i: int, first: str) -> int | None:
    """The longest run of words from ``first`` and after ``parts[i]`` that reads as a time, stored
    in ``spec``; the index after it, or None."""
    start = [first] if first else []
    following = []
    for word in parts[i + 1 : i + 1 + MAX_DUE_WORDS]:
        if word.startswith(_NOT_TIME_STARTS):
            break
        following.append(word)
    for extra in range(len(following), -1, -1):
        phrase = " ".join([*start, *following[:extra]]).strip()
        if not phrase:
            continue
        when = parse_when(phrase, now=ctx.now, tz=ctx.tz)
        if when is not None:
            spec.due_text, spec.due_at = phrase, when.at
            return i + 1 + extra
    return None


def _recurrence(spec: TaskSpec, parts: list[str], i: int) -> int | None:
    """``every fri 17:00`` / ``每周五 17点`` / ``every month 1st``: the longest run of words from
    ``parts[i]`` that reads as a recurrence, stored in ``spec``; the index after it, or None."""
    if not parts[i].lower().startswith(_EVERY_WORDS):
        return None
    for extra in range(min(MAX_EVERY_WORDS, len(parts) - i), 0, -1):
        every = parse_every(" ".join(parts[i : i + extra]))
        if every is not None:
            spec.every = every
            return i + extra
    return None
