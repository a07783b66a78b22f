"""FAQ before escalation: a question is answered from the team's FAQ before anyone is bothered;
when it has no answer, the right people are asked with an SLA, and their answer is saved back.

The feature's router is composed here, in help order: editing the FAQ, asking, the experts' side
of an escalation, what the FAQ learned from use, then the figures.
"""

from __future__ import annotations

from bot.feature import Feature
from bot.routing import Router
from commands.faq import ask, edit, escalate, learned, stats
from commands.faq.messages import MESSAGES
from commands.faq.ticks import TICKS

router = Router("faq").include(
    edit.router, ask.router, escalate.router, learned.router, stats.router
)

FEATURE = Feature(name="faq", router=router, messages=MESSAGES, ticks=TICKS)

__all__ = ["FEATURE"]
