"""Channel-scoped permissions: the channel managers (``manager add/rm/list``) and the rules every
feature checks before it shows or changes anything (:mod:`commands.access.rules`)."""

from __future__ import annotations

from bot.feature import Feature
from bot.routing import Router
from commands.access import managers
from commands.access.messages import MESSAGES

router = Router("access").include(managers.router)

FEATURE = Feature(name="access", router=router, messages=MESSAGES)

__all__ = ["FEATURE"]
