"""Text analysis for FAQ search: one folding and tokenising for questions and queries alike.

Chinese has no spaces, so Chinese runs become overlapping character bigrams (退货 in 怎么退货 and in
退货流程 is the same token) plus single characters for one-character runs. English words are folded
(NFKC full/half width, case), lightly stemmed and stripped of stop words; typos are corrected later
against the index's vocabulary (see :mod:`commands.faq_search`).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[\u3400-\u9fff\uf900-\ufaff]+")
_STOP_EN_WORDS = """a an the is are was were be been am do does did i me my we our us you your he she it its
    they them their this that these those to of in on at for with and or but if so as by from
    can could would should will shall may might must have has had what which who whom how when
    where why there here please hi hello hey any some just about into up out get got let s t
    tell know need want like im i'm don't"""
_STOP_EN = frozenset(_STOP_EN_WORDS.split())
_STOP_ZH_CHARS = "的了吗呢吧啊呀么是我你他她们这那在有和就都也还请问下"
_STOP_ZH = frozenset(_STOP_ZH_CHARS)
_SUFFIXES = ("ing", "ed", "es", "s")


def fold(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def is_cjk(char: str) -> bool:
    """True for a Chinese character."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def stem(word: str) -> str:
    """A light English stem: plural and -ing/-ed endings off long words (refunds → refund)."""
    if word.isdigit() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [] if run in _STOP_ZH else [run]
    return [run[i : i + 2] for i in range(len(run) - 1) if not set(run[i : i + 2]) <= _STOP_ZH]


def words(text: str) -> list[str]:
    """English words (stemmed, no stop words) of already-folded ``text``."""
    return [
        stem(w.replace("’", "'").split("'")[0])
        for w in _WORD.findall(text)
        if not is_cjk(w[0]) and w not in _STOP_EN
    ]


def tokens(text: str) -> list[str]:
    """Search tokens of raw ``text``: English word stems and Chinese character bigrams."""
    out: list[str] = []
    for piece in _WORD.findall(fold(text)):
        if is_cjk(piece[0]):
            out.extend(_cjk_tokens(piece))
        elif piece not in _STOP_EN:
            out.append(stem(piece.replace("’", "'").split("'")[0]))
    return out
