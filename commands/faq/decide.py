"""The confidence decision of FAQ search: answer (one entry clearly fits), suggest (a few are
close) or escalate (nothing fits), with thresholds read off the FAQ itself.

Scores mean different things in different FAQs: short English intents overlap a lot, long Chinese
questions little, so one fixed threshold answers too much in one team's FAQ and too little in
another's. Each index therefore scores a sample of its own phrasings against the entries they do
*not* belong to, which is what an unanswerable question looks like to it, and the threshold is a
quantile of those scores (``BATON_FAQ_CALIBRATION``). Measured on the development sets, this beats
the best single fixed threshold (see bench/faq_quality.py). ``BATON_FAQ_ANSWER_SCORE`` and
``BATON_FAQ_SUGGEST_SCORE`` pin fixed thresholds instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Settings

MIN_SAMPLE = 40  # fewer phrasings than this: too few to calibrate on, use FIXED
FLOOR = 0.15  # a FAQ whose entries share no words would otherwise answer on any overlap
CEILING = 0.6
FIXED_SCORE = 0.28  # the best single threshold on the development sets (small FAQs use it)
MARGIN = 0.01
# Quantiles measured on the development sets (bench/faq_quality.py): the best worst case of
# hit@1 and no-answer accuracy over both sets, for each way of scoring.
QUANTILE_WORDS = 0.7
QUANTILE_SEMANTIC = 0.55


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When to answer, suggest or escalate (scores are 0..1)."""

    answer: float
    suggest: float
    margin: float


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry the search found, with its closest phrasing and its score (0..1)."""

    id: int
    phrasing: str
    score: float


@dataclass(frozen=True, slots=True)
class Result:
    """The decision for a question, the hits to show for it, and the best three whatever the
    decision (to measure recall)."""

    decision: str  # answer | suggest | escalate
    hits: tuple[Hit, ...]
    ranked: tuple[Hit, ...] = ()


def calibrated(wrong_scores: Sequence[float], quantile: float) -> float:
    """The ``quantile`` of the sorted wrong-entry scores, kept within [FLOOR, CEILING]; the fixed
    score when there are too few to tell."""
    if len(wrong_scores) < MIN_SAMPLE:
        return FIXED_SCORE
    at = min(int(len(wrong_scores) * quantile), len(wrong_scores) - 1)
    return min(max(wrong_scores[at], FLOOR), CEILING)


def thresholds(settings: Settings, wrong_scores: Sequence[float], *, semantic: bool) -> Thresholds:
    """Fixed thresholds where ``settings`` pins them, else calibrated on this FAQ."""
    quantile = settings.faq_calibration
    if quantile is None:
        quantile = QUANTILE_SEMANTIC if semantic else QUANTILE_WORDS
    auto = round(calibrated(wrong_scores, quantile), 4)
    answer = auto if settings.faq_answer_score is None else settings.faq_answer_score
    suggest = answer if settings.faq_suggest_score is None else settings.faq_suggest_score
    margin = MARGIN if settings.faq_margin is None else settings.faq_margin
    return Thresholds(answer=answer, suggest=min(suggest, answer), margin=margin)


def decide(hits: Sequence[Hit], limits: Thresholds) -> Result:
    """Answer when one entry clearly fits (above ``answer`` and ``margin`` ahead of the next),
    suggest up to three above ``suggest``, else escalate to a human."""
    ranked = tuple(hits[:3])
    if not hits or hits[0].score < limits.suggest:
        return Result("escalate", (), ranked)
    second = hits[1].score if len(hits) > 1 else 0.0
    if hits[0].score >= limits.answer and hits[0].score - second >= limits.margin:
        return Result("answer", ranked[:1], ranked)
    return Result("suggest", tuple(h for h in ranked if h.score >= limits.suggest), ranked)
