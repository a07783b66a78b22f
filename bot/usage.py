"""How a command is spelled and explained: its path, aliases, usage line and bilingual help.

Kept apart from the handler (``bot.routing.Command``) so the context a handler runs in can list
every command for ``help`` without depending on routing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """A command path (``task add``) with its aliases and help taken from the docstring."""

    path: str
    aliases: tuple[str, ...]
    usage: str
    help_en: str
    help_zh: str
    section: str = ""  # the feature it belongs to (``tasks``), for help grouped by feature

    @property
    def group(self) -> str:
        """The first word of the path (``task``), used by ``help task``."""
        return self.path.split()[0]
