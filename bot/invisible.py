"""Characters nobody can see, dropped from the text people type before Baton reads or stores it.

Bidirectional overrides and isolates make a stored title read differently from what it says (a
RIGHT-TO-LEFT OVERRIDE turns ``txt.exe`` around on screen); zero-width spaces, joiners and tag
characters hide words from search and smuggle text nobody sees. Those that are part of an emoji
stay, so emoji survive whole: the zero-width joiner between two emoji (a family, a technologist),
a variation selector right after the character it selects (a red heart, a keycap digit) and the
tag letters of a subdivision flag (Scotland). The word joiner that :func:`bot.mentions.inert` puts
between ``<`` and ``@`` stays too: without it, typed text would become a live mention.
"""

from __future__ import annotations

import re
import unicodedata

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u00ad\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f\ufeff"
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_TAGS = "\U000e0000-\U000e007f"
_INVISIBLE = re.compile(f"[{_BIDI}{_ZERO_WIDTH}{_SELECTORS}{_TAGS}]")
_SELECTOR = re.compile(f"[{_SELECTORS}]")
# A subdivision flag: the black flag, up to six tag letters or digits, then CANCEL TAG.
_FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,6}\U000e007f")
_ZWJ = "\u200d"
_WORD_JOINER = "\u2060"
_VS16 = "\ufe0f"


def _is_emoji(char: str) -> bool:
    """An emoji character (pictographs, symbols) or a skin-tone modifier that ends one."""
    return unicodedata.category(char) == "So" or "\U0001f3fb" <= char <= "\U0001f3ff"


def _ends_emoji(text: str, index: int) -> bool:
    """True when the character before ``index`` closes an emoji (possibly with VS16)."""
    if index < 1:
        return False
    before = text[index - 1]
    if before == _VS16 and index >= 2:
        before = text[index - 2]
    return _is_emoji(before)


def _selects(text: str, index: int) -> bool:
    """True when the variation selector at ``index`` follows a character it can select: a visible,
    non-space one (a run of selectors, the way hidden data is packed, keeps none after the first)."""
    if index < 1:
        return False
    before = text[index - 1]
    return not before.isspace() and not _INVISIBLE.match(before)


def _keep(text: str, index: int, flags: set[int]) -> bool:
    """Whether the invisible character at ``index`` is part of something visible."""
    char = text[index]
    if index in flags:
        return True
    if char == _WORD_JOINER:
        return text[index - 1 : index] == "<" and text[index + 1 : index + 2] == "@"
    if char == _ZWJ:
        after = text[index + 1 : index + 2]
        return bool(after) and _ends_emoji(text, index) and _is_emoji(after)
    if _SELECTOR.match(char):
        return _selects(text, index)
    return False


def strip_invisible(text: str) -> str:
    """``text`` without bidirectional controls and zero-width characters, emoji kept whole."""
    if not _INVISIBLE.search(text):
        return text
    flags: set[int] = set()
    if "\U0001f3f4" in text:
        flags = {i for m in _FLAG.finditer(text) for i in range(m.start() + 1, m.end())}
    return _INVISIBLE.sub(
        lambda m: m.group(0) if _keep(text, m.start(), flags) else "",
        text,
    )
