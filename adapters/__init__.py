"""Platform adapters. Each SDK is imported only when its platform is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.base import Adapter
    from bot.app import App


def configured_adapters(app: App) -> list[Adapter]:
    """The adapters whose credentials are set (possibly none: then the caller uses the console)."""
    found: list[Adapter] = []
    if app.settings.slack_enabled:
        from adapters.slack import SlackAdapter  # imports slack-bolt (~0.5 s)

        found.append(SlackAdapter(app))
    if app.settings.feishu_enabled:
        from adapters.feishu import FeishuAdapter  # imports lark-oapi (~2 s, ~120 MB)

        found.append(FeishuAdapter(app))
    if app.settings.dingtalk_enabled:
        from adapters.dingtalk import DingTalkAdapter

        found.append(DingTalkAdapter(app.settings, app.clock))
    return found
