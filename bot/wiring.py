"""The composition root: an ``App`` from ``Settings`` (engine, features, messages, outbox, ticks)
and the adapters of the platforms whose credentials are set.

Only this module, the runner and the CLI know every part of Baton; the core never imports a feature
or an adapter, and adapters see the core only through the sink they are handed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.app import App
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.feature import Feature, Tick
from bot.i18n import Translator
from bot.instance import Instance
from bot.messages import MESSAGES
from bot.metrics import Metrics
from bot.outbox import Outbox
from bot.pacing import pacer_for
from bot.routing import Matcher
from bot.signals import Signals
from bot.upkeep import UPKEEP
from storage import db, hooks

if TYPE_CHECKING:  # adapters load only in the processes that run them
    from adapters.base import PlatformAdapter
    from adapters.web import WebAdapter


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    features: Sequence[Feature] | None = None,
    migrate: bool = True,
) -> App:
    """Build a ready App: engine (migrated), features, translator, outbox and the periodic ticks
    (the core's upkeep, then each feature's). No adapter is started."""
    from commands import all_features

    engine = db.build_engine(settings.database_url.get_secret_value())
    if migrate:
        db.upgrade(engine)
    chosen = list(features if features is not None else all_features())
    clock = clock or SystemClock()
    ticks = [*UPKEEP, *(Tick(f"{f.name}.{t.name}", t.run) for f in chosen for t in f.ticks)]
    metrics = Metrics()
    metrics.watch_queues(engine, clock)
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        translator=Translator([MESSAGES, *(f.messages for f in chosen)]),
        matcher=Matcher(f.router for f in chosen),
        outbox=Outbox(
            engine,
            clock,
            max_attempts=settings.outbox_max_attempts,
            instance=Instance(),
            metrics=metrics,
        ),
        metrics=metrics,
        ticks=tuple(ticks),
        signals=Signals(listen for f in chosen for listen in f.listens),
    )


def configured_adapters(settings: Settings, clock: Clock) -> list[PlatformAdapter]:
    """The adapters whose credentials are set (possibly none: then the caller uses the console).
    Each SDK is imported only when its platform is configured."""
    found: list[PlatformAdapter] = []
    if settings.slack_enabled:
        from adapters.slack.adapter import SlackAdapter  # imports slack-bolt (~0.5 s)

        found.append(SlackAdapter(settings, clock))
    if settings.feishu_enabled:
        from adapters.feishu.adapter import FeishuAdapter  # imports lark-oapi (~2 s, ~120 MB)

        found.append(FeishuAdapter(settings, clock))
    if settings.dingtalk_enabled:
        from adapters.dingtalk.adapter import DingTalkAdapter

        found.append(DingTalkAdapter(settings, clock))
    return found


def web_adapter(app: App) -> WebAdapter | None:
    """The web dashboard over ``app``'s database, unless ``BATON_WEB`` is off. It borrows the
    chat's way of writing moments and of grouping unanswered FAQ questions (adapters import no
    feature, so the wiring hands them over)."""
    if not app.settings.web_enabled:
        return None
    from adapters.web import Helpers, Site, WebAdapter
    from commands.faq.stats import knowledge_gaps
    from commands.timefmt import day_time

    site = Site(
        settings=app.settings,
        clock=app.clock,
        engine=app.engine,
        chat=app.translator,
        helpers=Helpers(moment=day_time, knowledge_gaps=knowledge_gaps),
    )
    return WebAdapter(site)


def hooks_adapter(app: App) -> PlatformAdapter:
    """The inbound webhooks' adapter, looking each webhook's secret up in ``app``'s database."""
    from adapters.hooks.adapter import HooksAdapter

    def secret_of(hook_id: str) -> str | None:
        with app.engine.connect() as conn:
            return hooks.secret_of(conn, hook_id=hook_id)

    return HooksAdapter(
        app.clock,
        secrets=secret_of,
        rate_per_minute=app.settings.hook_rate_per_minute,
        pacer=pacer_for(app.engine),  # shared by every process on PostgreSQL
    )
