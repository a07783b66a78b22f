"""Routers (one per module of a feature, composed with ``include``) and the matcher that picks a
handler for a message.

Order of precedence for one message: button action → longest matching command alias (English or
Chinese) → open conversations (a standup waiting for answers) → "did you mean" for a short typo →
fallbacks (the FAQ) → "unknown command". Within each kind, routers are tried in the order they were
included, so the composition in ``build_app`` and in each feature's ``__init__`` decides, never the
order modules happen to be imported in. A handler's docstring is its help: the first line in English,
a line starting ``zh:`` in Chinese.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from rapidfuzz import fuzz, process

from bot.cjk import has_cjk, is_cjk
from bot.invisible import strip_invisible
from bot.replies import Reply
from bot.usage import Usage

if TYPE_CHECKING:
    from bot.context import Ctx

Result = Reply | Sequence[Reply] | None
HELP_PATH = "help"
# ``task help`` is ``help task``: what a person types after a group's name to learn it.
HELP_WORDS = frozenset({"help", "帮助"})
Handler = Callable[["Ctx", str], Result]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True, slots=True)
class Command:
    """A command path (``task add``), its aliases and help, and the handler that runs it."""

    usage: Usage
    handler: Handler

    @property
    def path(self) -> str:
        """The English command path."""
        return self.usage.path

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every spelling that runs the command, the path first."""
        return self.usage.aliases


class FallbackKind(Enum):
    """What a handler of unmatched text is: an open conversation (its answers look like anything,
    so it comes before "did you mean") or a last resort such as the FAQ."""

    CONVERSATION = "conversation"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class Fallback:
    """A handler tried when no command matched; returns None when the message is not for it."""

    kind: FallbackKind
    handler: Handler
    direct_only: bool
    commands_first: frozenset[str] = frozenset()


def _help_lines(fn: Callable[..., object]) -> tuple[str, str]:
    doc = inspect.getdoc(fn) or ""
    lines = [line.strip() for line in doc.splitlines() if line.strip()]
    english = lines[0] if lines else ""
    chinese = next((line[3:].strip() for line in lines if line.startswith("zh:")), english)
    return english, chinese


class Router:
    """Collects one module's commands, button actions and fallbacks via decorators, and the routers
    it ``include``s, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._commands: list[Command] = []
        self._actions: dict[str, Handler] = {}
        self._fallbacks: list[Fallback] = []
        self._included: list[Router] = []

    def include(self, *routers: Router) -> Router:
        """Compose ``routers`` into this one, after what it already holds; returns ``self``."""
        self._included.extend(routers)
        return self

    def walk(self) -> Iterator[Router]:
        """This router, then every included one, depth first in inclusion order."""
        yield self
        for child in self._included:
            yield from child.walk()

    @property
    def commands(self) -> list[Command]:
        """Every command of this router and the included ones, in help order."""
        return [command for router in self.walk() for command in router._commands]

    @property
    def actions(self) -> Mapping[str, Handler]:
        """Button action handlers by name; a name registered twice is a composition error."""
        found: dict[str, Handler] = {}
        for router in self.walk():
            for name, handler in router._actions.items():
                if name in found:
                    raise ValueError(f"button action {name!r} is registered twice")
                found[name] = handler
        return found

    def fallbacks(self, kind: FallbackKind) -> list[Fallback]:
        """The fallbacks of ``kind``, in inclusion order."""
        return [fb for router in self.walk() for fb in router._fallbacks if fb.kind is kind]

    def command(self, path: str, *aliases: str, usage: str = "") -> Callable[[H], H]:
        """Register a command under ``path`` and its ``aliases`` (e.g. ``"新建任务"``)."""

        def register(fn: H) -> H:
            help_en, help_zh = _help_lines(fn)
            spelled = Usage(path, (path, *aliases), usage or path, help_en, help_zh)
            self._commands.append(Command(spelled, fn))
            return fn

        return register

    def action(self, name: str) -> Callable[[H], H]:
        """Register the handler of button action ``name``; it receives the button's value."""

        def register(fn: H) -> H:
            if name in self._actions:
                raise ValueError(f"button action {name!r} is registered twice")
            self._actions[name] = fn
            return fn

        return register

    def conversation(
        self, *, direct_only: bool = True, commands_first: Iterable[str] = ()
    ) -> Callable[[H], H]:
        """Register an open conversation: it sees unmatched text before "did you mean" does (a
        standup answer such as "none" is not a mistyped command), and text that starts with a
        command word too ("help the team…" is an answer), unless the text starts with ``/`` or
        its command belongs to one of the groups in ``commands_first`` (``standup skip``)."""
        return self._fallback(FallbackKind.CONVERSATION, direct_only, frozenset(commands_first))

    def fallback(self, *, direct_only: bool = True) -> Callable[[H], H]:
        """Register a last resort for unmatched text; ``direct_only=False`` also sees channel
        messages not addressed to Baton (FAQ-watched channels)."""
        return self._fallback(FallbackKind.FALLBACK, direct_only)

    def _fallback(
        self, kind: FallbackKind, direct_only: bool, commands_first: frozenset[str] = frozenset()
    ) -> Callable[[H], H]:
        def register(fn: H) -> H:
            self._fallbacks.append(Fallback(kind, fn, direct_only, commands_first))
            return fn

        return register


def normalise(text: str) -> str:
    """Fold full-width forms, trim, drop a leading slash (``/task`` == ``task``), make every run
    of spaces and tabs one space (``task  list`` is ``task list``), and drop control characters
    other than newline (PostgreSQL cannot store a NUL, and none of them means anything in a chat
    message) and invisible ones (:func:`bot.invisible.strip_invisible`).

    Every message is read through here before any handler sees it, so this is also the one place
    that decides what of a person's text Baton may store.
    """
    visible = _CONTROLS.sub("", unicodedata.normalize("NFKC", text))
    return _BLANKS.sub(" ", strip_invisible(visible)).strip().lstrip("/").strip()


_BLANKS = re.compile(r"[ \t]+")
# Unicode's control characters (category Cc: C0, DEL and C1) other than tab and newline.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _unspaced(pairs: Iterable[tuple[str, Command]]) -> list[tuple[str, Command]]:
    """Chinese aliases of several words also spelled without their spaces (``任务 添加`` as
    ``任务添加``): Chinese is written without spaces, and a voice transcript never has them."""
    return [
        (alias.replace(" ", ""), cmd)
        for alias, cmd in pairs
        if " " in alias and all(is_cjk(word[0]) for word in alias.split())
    ]


@dataclass(frozen=True, slots=True)
class Match:
    """The command a message matched, the rest of the text, and the alias's language."""

    command: Command
    args: str
    locale: str


class Matcher:
    """Matches text against every router's aliases, longest alias first."""

    def __init__(self, routers: Iterable[Router]) -> None:
        features = list(routers)
        root = Router("baton").include(*features)
        self.commands = [
            Command(replace(command.usage, section=feature.name), command.handler)
            for feature in features
            for command in feature.commands
        ]
        self.usages = tuple(command.usage for command in self.commands)
        pairs = [(alias.casefold(), cmd) for cmd in self.commands for alias in cmd.aliases]
        aliases = sorted([*pairs, *_unspaced(pairs)], key=lambda pair: len(pair[0]), reverse=True)
        self._by_first: dict[str, list[tuple[str, Command]]] = {}
        for alias, cmd in aliases:  # longest first within each first character too
            self._by_first.setdefault(alias[0], []).append((alias, cmd))
        self._help = next((cmd for cmd in self.commands if cmd.path == HELP_PATH), None)
        self.actions = root.actions
        self.conversations = root.fallbacks(FallbackKind.CONVERSATION)
        self.fallbacks = root.fallbacks(FallbackKind.FALLBACK)
        self._first_words = sorted({alias.split()[0] for alias, _ in pairs})
        self._chinese = sorted({alias for alias, _ in pairs if is_cjk(alias[0])})

    def match(self, text: str) -> Match | None:
        """The longest alias that ``text`` starts with, on a word boundary (CJK aliases need none;
        Chinese ones match without their spaces too, as voice transcripts and quick typing come);
        a group's name followed by ``help`` (``task help``, ``任务 帮助``) is that group's help."""
        found = self._longest(text)
        if found is None or self._help is None or found.args.casefold() not in HELP_WORDS:
            return found
        return Match(self._help, found.command.usage.group, found.locale)

    def _longest(self, text: str) -> Match | None:
        folded = text.casefold()
        # Only the aliases that start as the text does: a few dozen of several hundred.
        for alias, cmd in self._by_first.get(folded[:1], ()):
            if not folded.startswith(alias):
                continue
            rest = text[len(alias) :]
            if rest and not rest[0].isspace() and not is_cjk(alias[-1]):
                continue
            locale = "zh" if has_cjk(alias) else "en"
            return Match(cmd, rest.strip(), locale)
        return None

    def suggest(self, text: str) -> str | None:
        """A command close to the start of ``text`` (a typo), if any: the first word against
        every command word; Chinese, often written without spaces, against each Chinese alias
        by as many characters as it has, spaces aside (``站会设制`` → ``站会 设置``)."""
        words = text.split()
        if not words:
            return None
        if is_cjk(text[0]):
            return self._suggest_chinese(text)
        best = process.extractOne(words[0].casefold(), self._first_words, scorer=fuzz.ratio)
        if best is None or best[1] < 70:
            return None
        return str(best[0])

    def _suggest_chinese(self, text: str) -> str | None:
        typed = text.replace(" ", "")  # 站会设制 and 站会 设置 differ by one character, not two
        scored = [
            (fuzz.ratio(typed[: len(bare)], bare), len(bare), alias)
            for alias in self._chinese
            if len(bare := alias.replace(" ", "")) >= 3
        ]
        best = max(scored, default=None)
        return best[2] if best is not None and best[0] >= 70 else None
