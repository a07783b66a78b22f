"""Connecting a platform adapter to an app the way ``baton run`` does, for adapter tests."""

from __future__ import annotations

from adapters.base import PlatformAdapter
from bot.app import App
from bot.intake import Intake


async def connect(app: App, adapter: PlatformAdapter) -> Intake:
    """Replies to ``adapter`` through the app's outbox (unpaced, so tests run at full speed) and
    its events through a running intake, which is returned (stop it after the adapter)."""
    app.outbox.register(adapter.platform, adapter)
    intake = Intake(app)
    intake.register(adapter)
    await intake.start()
    await adapter.start(intake)
    intake.resume()
    return intake
