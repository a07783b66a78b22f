"""The confidence decision of FAQ search: answer (one entry clearly fits), suggest (a few are
plausible) or escalate (nothing is).

A wrong answer costs more than a suggestion, and a suggestion more than a quick escalation, so an
answer needs a score above ``answer`` *and* a clear lead (``margin``) over the next entry, and the
share of the question's words that the FAQ never uses counts against it (``unseen``: "What time is
the all-hands meeting?" shares "time" with an entry about order cut-off times, but "all-hands" and
"meeting" are nowhere in the FAQ). Anything plausible is offered as up to three suggestions.

The defaults were measured once on the development sets (bench/faq_quality.py) and are the same
for every FAQ; ``BATON_FAQ_ANSWER_SCORE``, ``BATON_FAQ_SUGGEST_SCORE``, ``BATON_FAQ_MARGIN`` and
``BATON_FAQ_UNSEEN_PENALTY`` override them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Settings

SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When to answer, suggest or escalate (scores are 0..1)."""

    answer: float
    suggest: float
    margin: float
    unseen_penalty: float


# Semantic and word-overlap scores live on different scales: each way of scoring has its own.
SEMANTIC = Thresholds(answer=0.40, suggest=0.20, margin=0.10, unseen_penalty=0.2)
WORDS = Thresholds(answer=0.32, suggest=0.10, margin=0.15, unseen_penalty=0.5)


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry the search found and its score (0..1)."""

    id: int
    score: float


@dataclass(frozen=True, slots=True)
class Result:
    """The decision for a question, the hits to show for it, and the best three whatever the
    decision (to measure recall). ``empty`` is a message with nothing to look up (``?``, 🤔)."""

    decision: str  # answer | suggest | escalate | empty
    hits: tuple[Hit, ...]
    ranked: tuple[Hit, ...] = ()


def thresholds(settings: Settings, *, semantic: bool) -> Thresholds:
    """The measured defaults of the way of scoring in use, with the settings' overrides."""
    base = SEMANTIC if semantic else WORDS
    answer = base.answer if settings.faq_answer_score is None else settings.faq_answer_score
    suggest = base.suggest if settings.faq_suggest_score is None else settings.faq_suggest_score
    margin = base.margin if settings.faq_margin is None else settings.faq_margin
    penalty = (
        base.unseen_penalty if settings.faq_unseen_penalty is None else settings.faq_unseen_penalty
    )
    return Thresholds(
        answer=answer, suggest=min(suggest, answer), margin=margin, unseen_penalty=penalty
    )


def decide(hits: Sequence[Hit], limits: Thresholds, *, unseen: float = 0.0) -> Result:
    """Answer when one entry clearly fits (its score, less the penalty for ``unseen`` words,
    above ``answer``, and ``margin`` ahead of the next), suggest up to three above ``suggest``,
    else escalate to a human."""
    ranked = tuple(hits[:SUGGESTIONS])
    if not hits or hits[0].score < limits.suggest:
        return Result("escalate", (), ranked)
    second = hits[1].score if len(hits) > 1 else 0.0
    confident = hits[0].score - limits.unseen_penalty * unseen >= limits.answer
    if confident and hits[0].score - second >= limits.margin:
        return Result("answer", ranked[:1], ranked)
    return Result("suggest", tuple(h for h in ranked if h.score >= limits.suggest), ranked)
