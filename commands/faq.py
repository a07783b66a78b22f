"""The FAQ feature: answers from the team's FAQ before anyone is bothered, escalation with an SLA
when it has none, and the answers captured back (see the ``faq_*`` modules)."""

from __future__ import annotations

from bot.feature import Feature
from commands import faq_edit  # noqa: F401  (registers first: help lists editing first)

# isort: split
from commands import faq_ask, faq_escalate, faq_stats  # noqa: F401  (they register)
from commands.faq_common import router
from commands.faq_messages import MESSAGES
from commands.faq_ticks import TICKS

FEATURE = Feature(name="faq", router=router, messages=MESSAGES, ticks=TICKS)
