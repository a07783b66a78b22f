"""Whether text is written in Chinese: the one definition of a Chinese character that routing,
the language habit and the FAQ's tokenizer share (CJK unified ideographs, extension A and the
compatibility block). Tests run on every message, so they are regular expressions, one C call each
instead of a Python comparison per character."""

from __future__ import annotations

import re

CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{CJK_CHARS}]")


def is_cjk(char: str) -> bool:
    """True for a Chinese character."""
    return _CJK.fullmatch(char) is not None


def has_cjk(text: str) -> bool:
    """True when ``text`` contains a Chinese character."""
    return _CJK.search(text) is not None


def count_cjk(text: str) -> int:
    """How many Chinese characters ``text`` has."""
    return len(_CJK.findall(text))
