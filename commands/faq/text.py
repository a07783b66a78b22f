"""Text analysis for FAQ search: one folding and tokenising for stored phrasings and questions alike.

- Everything is NFKC-folded (full-width letters, digits and punctuation become half-width) and
  case-folded, so ＦＢＡ, fba and FBA are one word.
- Chinese has no spaces, so each run of Chinese characters becomes its overlapping character
  bigrams (退货 in 怎么退货 and in 退货流程 is the same token) plus its single characters at half
  weight (so a one-character typo such as 住图 for 主图 still shares most of the run).
- English words lose stop words and a plural or -ing/-ed ending, and words of four letters or more
  also give their character trigrams at a low weight, so typos and inflections still overlap
  (apointment and appointment share most trigrams).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from bot.cjk import CJK_CHARS, count_cjk, is_cjk

_PIECE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[" + CJK_CHARS + "]+")
_STOP_EN_WORDS = """a an the is are was were be been am do does did i me my we our us you your he
    she it its they them their this that these those to of in on at for with and or but if so as by
    from can could would should will shall may might must have has had what which who whom how when
    where why there here please hi hello hey any some just about into up out get got let s t tell
    know need want like im don't"""
_STOP_EN = frozenset(_STOP_EN_WORDS.split())
_STOP_ZH = frozenset("的了吗呢吧啊呀么是我你他她们这那在有和就都也还请问下个怎咋啥哪")
# Question words and fillers: they say that something is asked, not what.
_STOP_ZH_BIGRAMS = """怎么 怎样 什么 如何 为什 么样 为啥 哪里 哪个 哪些 是否 可以 能不 不能 需要 一下
    请问 我们 你们 这个 那个 这边 那边 有没 没有 是不 不是 应该 要怎 咋办 咋弄"""
_STOP_ZH_WORDS = frozenset(_STOP_ZH_BIGRAMS.split())
_SUFFIXES = ("ing", "ed", "es", "s")
CHAR_WEIGHT = 0.5  # a single Chinese character, against 1 for a bigram
GRAM_WEIGHT = 0.15  # one English character trigram, against 1 for the whole word


def fold(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, curly apostrophes straightened, whitespace
    collapsed: the form two spellings of one question share."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return " ".join(folded.split())


def question_key(text: str) -> str:
    """What two askings of one question share: folded, punctuation and spacing dropped
    ("Which courier for Germany?" and "which courier for germany" are one question)."""
    return " ".join(_PIECE.findall(fold(text)))


def stem(word: str) -> str:
    """A light English stem: plural and -ing/-ed endings off longer words (refunds → refund)."""
    if word.isdigit() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """The English words of ``text`` (folded, stemmed, no stop words), in order."""
    return [
        stem(piece.split("'")[0])
        for piece in _PIECE.findall(fold(text))
        if not is_cjk(piece[0]) and piece.split("'")[0] not in _STOP_EN
    ]


def _add_chinese(run: str, out: dict[str, float]) -> None:
    for i in range(len(run) - 1):
        if run[i : i + 2] not in _STOP_ZH_WORDS:
            out["z" + run[i : i + 2]] += 1.0
    for char in run:
        if char not in _STOP_ZH:
            out["c" + char] += CHAR_WEIGHT


def _add_english(word: str, out: dict[str, float]) -> None:
    out["w" + stem(word)] += 1.0
    if len(word) >= 4:
        padded = f"<{word}>"
        for i in range(len(padded) - 2):
            out["g" + padded[i : i + 3]] += GRAM_WEIGHT


def tokens(text: str) -> dict[str, float]:
    """Weighted search tokens of raw ``text``. Prefixes keep kinds apart: ``w`` English word,
    ``g`` English trigram, ``z`` Chinese bigram, ``c`` Chinese character."""
    out: dict[str, float] = defaultdict(float)
    for piece in _PIECE.findall(fold(text)):
        if is_cjk(piece[0]):
            _add_chinese(piece, out)
            continue
        word = piece.split("'")[0]
        if word not in _STOP_EN:
            _add_english(word, out)
    return out


def cjk_share(text: str) -> float:
    """How Chinese ``text`` is, 0..1 (a Chinese character counts as much as a short English word)."""
    cjk = count_cjk(text)
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return cjk / max(cjk + latin / 3, 1)


# Messages that greet or acknowledge and ask nothing: a lone one gets a hint, not an expert.
_GREETING_WORDS = """hi hello hey yo thanks thank thx ty ok okay cool yes no sure morning evening
    test ping 你好 您好 在吗 在不在 在么 谢谢 多谢 感谢 好的 收到 嗨 哈喽 哈啰 早 早上好 晚上好 嗯 哦 测试"""
_GREETINGS = frozenset(_GREETING_WORDS.split())


def has_content(text: str) -> bool:
    """True when ``text`` has something to look up: an English word or a Chinese word that is
    not a greeting (``?``, 🤔🤔🤔, "hi" and 你好 have none)."""
    pieces = [p for p in _PIECE.findall(fold(text)) if p.split("'")[0] not in _GREETINGS]
    found = tokens(" ".join(pieces))
    return any(t[0] in "wz" for t in found) or sum(1 for t in found if t[0] == "c") >= 2
