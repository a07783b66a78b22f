"""Finding the rule or webhook a command numbers (``rule rm 2``, ``hook rotate 1``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.context import Ctx, Refusal
from commands.access.rules import require_manager
from commands.tasks.access import channel_key, number_of

T = TypeVar("T")


def numbered(
    ctx: Ctx, args: str, *, what: str, example: str, find: Callable[[str, int], T | None]
) -> T:
    """This channel's ``what`` (``rule`` or ``hook``) numbered by ``args``, found with
    ``find(channel, number)``, once the actor may change it; else a refusal saying why."""
    channel = channel_key(ctx)
    require_manager(ctx, channel, f"automation.what_{what}s")
    number = number_of(args.strip())
    if number is None:
        raise Refusal(f"automation.{what}_need_number", example=example)
    found = find(channel, number)
    if found is None:
        raise Refusal(f"automation.{what}_not_found", number=number)
    return found
