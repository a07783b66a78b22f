"""Per-process memo of values derived from the database (a search index, for example), rebuilt when
the data they come from changes.

Held by the :class:`bot.app.App` and handed to handlers and ticks, so no module keeps state of its
own and two apps in one process (tests) never share a stale value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """Values by name, each tagged with the version of the data it was built from."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[object, Any]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, version: object, build: Callable[[], T]) -> T:
        """The value stored under ``name`` if it was built from ``version``, else a new one from
        ``build()`` (built outside the lock: a rare duplicate build beats blocking readers)."""
        held = self._values.get(name)
        if held is not None and held[0] == version:
            return held[1]  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            self._values[name] = (version, value)
        return value
