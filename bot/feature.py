"""A feature is what a module in ``commands/`` contributes: a router, its messages, its ticks and
the signals of other features it listens to (:mod:`bot.signals`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.i18n import Catalog
from bot.routing import Router
from bot.signals import Listen

if TYPE_CHECKING:
    from bot.context import TickCtx


@dataclass(frozen=True, slots=True)
class Tick:
    """Periodic work: asks the database what is due at ``ctx.now``, claims it, queues replies.

    Ticks must be safe to run late, twice, or in two processes at once (claim with a conditional
    UPDATE), because schedulers restart and overlap.
    """

    name: str
    run: Callable[[TickCtx], None]


@dataclass(frozen=True, slots=True)
class Feature:
    """One capability of Baton, composed by ``build_app``."""

    name: str
    router: Router
    messages: Catalog
    ticks: tuple[Tick, ...] = ()
    listens: tuple[Listen[Any], ...] = ()
