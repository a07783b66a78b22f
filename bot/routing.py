"""Routers (one per feature) and the matcher that picks a handler for a message.

Order of precedence for one message: button action → longest matching command alias (English or
Chinese) → fallbacks in ascending ``order`` (open conversations such as standup answers, then the FAQ)
→ "unknown command" with a suggestion. A handler's docstring is its help: the first line in English,
a line starting ``zh:`` in Chinese.
"""

from __future__ import annotations

import inspect
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from rapidfuzz import fuzz, process

from bot.replies import Reply

if TYPE_CHECKING:
    from bot.context import Ctx

Result = Reply | Sequence[Reply] | None
Handler = Callable[["Ctx", str], Result]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True, slots=True)
class Command:
    """A command path (``task add``) with its aliases and bilingual help taken from the docstring."""

    path: str
    aliases: tuple[str, ...]
    handler: Handler
    usage: str
    help_en: str
    help_zh: str

    @property
    def group(self) -> str:
        """The first word of the path (``task``), used by ``help task``."""
        return self.path.split()[0]


@dataclass(frozen=True, slots=True)
class Fallback:
    """A handler tried when no command matched; returns None when the message is not for it."""

    order: int
    handler: Handler
    direct_only: bool


def _help_lines(fn: Callable[..., object]) -> tuple[str, str]:
    doc = inspect.getdoc(fn) or ""
    lines = [line.strip() for line in doc.splitlines() if line.strip()]
    english = lines[0] if lines else ""
    chinese = next((line[3:].strip() for line in lines if line.startswith("zh:")), english)
    return english, chinese


class Router:
    """Collects one feature's commands, button actions and fallbacks via decorators."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[Command] = []
        self.actions: dict[str, Handler] = {}
        self.fallbacks: list[Fallback] = []

    def command(self, path: str, *aliases: str, usage: str = "") -> Callable[[H], H]:
        """Register a command under ``path`` and its ``aliases`` (e.g. ``"新建任务"``)."""

        def register(fn: H) -> H:
            help_en, help_zh = _help_lines(fn)
            self.commands.append(
                Command(path, (path, *aliases), fn, usage or path, help_en, help_zh)
            )
            return fn

        return register

    def action(self, name: str) -> Callable[[H], H]:
        """Register the handler of button action ``name``; it receives the button's value."""

        def register(fn: H) -> H:
            self.actions[name] = fn
            return fn

        return register

    def fallback(self, order: int, *, direct_only: bool = True) -> Callable[[H], H]:
        """Register a fallback; lower ``order`` runs first. ``direct_only=False`` also sees
        channel messages not addressed to Baton (FAQ-watched channels)."""

        def register(fn: H) -> H:
            self.fallbacks.append(Fallback(order, fn, direct_only))
            return fn

        return register


def normalise(text: str) -> str:
    """Fold full-width forms and case, trim, drop a leading slash (``/task`` == ``task``) and
    control characters other than tab and newline (PostgreSQL cannot store a NUL, and none of
    them means anything in a chat message)."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(c for c in folded if c in "\t\n" or unicodedata.category(c) != "Cc")
    return visible.strip().lstrip("/").strip()


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


@dataclass(frozen=True, slots=True)
class Match:
    """The command a message matched, the rest of the text, and the alias's language."""

    command: Command
    args: str
    locale: str


class Matcher:
    """Matches text against every router's aliases, longest alias first."""

    def __init__(self, routers: Iterable[Router]) -> None:
        routers = list(routers)
        pairs = [
            (alias.casefold(), cmd) for r in routers for cmd in r.commands for alias in cmd.aliases
        ]
        self._aliases = sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)
        self.commands = [cmd for r in routers for cmd in r.commands]
        self.actions = {name: fn for r in routers for name, fn in r.actions.items()}
        self.fallbacks = sorted((fb for r in routers for fb in r.fallbacks), key=lambda f: f.order)
        self._first_words = sorted({alias.split()[0] for alias, _ in pairs})

    def match(self, text: str) -> Match | None:
        """The longest alias that ``text`` starts with, on a word boundary (CJK aliases need none)."""
        folded = text.casefold()
        for alias, cmd in self._aliases:
            if not folded.startswith(alias):
                continue
            rest = text[len(alias) :]
            if rest and not rest[0].isspace() and not _is_cjk(alias[-1]):
                continue
            locale = "zh" if any(_is_cjk(c) for c in alias) else "en"
            return Match(cmd, rest.strip(), locale)
        return None

    def suggest(self, text: str) -> str | None:
        """A command word close to the first word of ``text`` (a typo), if any."""
        words = text.split()
        if not words:
            return None
        best = process.extractOne(words[0].casefold(), self._first_words, scorer=fuzz.ratio)
        if best is None or best[1] < 70:
            return None
        return str(best[0])
