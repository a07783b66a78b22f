"""The web dashboard, from the chat: ``dashboard`` sends a one-time sign-in link by direct message.

The dashboard itself is an adapter (``adapters/web``); this feature only hands out the way in.
"""

from __future__ import annotations

from bot.feature import Feature
from bot.routing import Router
from commands.dashboard import link
from commands.dashboard.messages import MESSAGES

router = Router("dashboard").include(link.router)

FEATURE = Feature(name="dashboard", router=router, messages=MESSAGES)

__all__ = ["FEATURE"]
