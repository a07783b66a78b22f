"""Baton's features. Each module exposes ``FEATURE``; ``all_features`` lists them in routing order."""

from __future__ import annotations

from bot.feature import Feature


def all_features() -> list[Feature]:
    """Every feature Baton runs with, imported lazily so ``import commands`` stays cheap."""
    from commands import help, home, settings, standup

    return [settings.FEATURE, help.FEATURE, standup.FEATURE, home.FEATURE]
