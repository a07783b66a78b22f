"""Baton's features. Each module exposes ``FEATURE``; ``all_features`` lists them in routing order."""

from __future__ import annotations

from bot.feature import Feature


def all_features() -> list[Feature]:
    """Every feature Baton runs with, imported lazily so ``import commands`` stays cheap."""
    from commands import digests, faq, help, home, reminders, settings, standup, tasks

    return [
        settings.FEATURE,
        tasks.FEATURE,
        reminders.FEATURE,
        digests.FEATURE,
        standup.FEATURE,
        home.FEATURE,
        faq.FEATURE,
        help.FEATURE,
    ]
