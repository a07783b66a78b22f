"""Asynchronous standups across time zones, set up and run from a channel.

Each participant is asked in a direct message at the standup's time *in their own zone*, on its days
of *their* calendar; answers are collected for a window (3 h by default) and the channel gets one
summary with blockers on top (or each answer as it arrives). Setting up lives in ``setup``, people
in ``members``, the conversation in ``answers``, reports in ``report``, the scheduler in ``ticks``.
"""

from __future__ import annotations

from bot.feature import Feature
from bot.routing import Router
from commands.standups import answers, members, report, setup
from commands.standups.messages import MESSAGES
from commands.standups.ticks import TICKS

router = Router("standups").include(setup.router, members.router, answers.router, report.router)

FEATURE = Feature(name="standup", router=router, messages=MESSAGES, ticks=TICKS)

__all__ = ["FEATURE"]
