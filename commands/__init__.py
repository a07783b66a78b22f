"""Baton's features: one package (or module) each, exposing one ``FEATURE``.

``all_features`` lists them in routing and help order; a feature's own package composes its router.
"""

from __future__ import annotations

from bot.feature import Feature


def all_features() -> list[Feature]:
    """Every feature Baton runs with, imported lazily so ``import commands`` stays cheap."""
    from commands import (
        access,
        automation,
        dashboard,
        faq,
        help,
        home,
        reminders,
        settings,
        standups,
        tasks,
    )

    return [
        settings.FEATURE,
        tasks.FEATURE,
        reminders.FEATURE,
        standups.FEATURE,
        home.FEATURE,
        faq.FEATURE,
        automation.FEATURE,
        access.FEATURE,
        dashboard.FEATURE,
        help.FEATURE,
    ]
