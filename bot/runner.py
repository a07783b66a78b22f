"""Running Baton: adapters, the scheduler and the outbox wired together for ``run``, ``console``
and ``tick``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from adapters.base import Adapter
from adapters.console import ConsoleAdapter
from adapters.web import WebAdapter
from bot.app import App
from bot.http_server import start_http
from bot.intake import Intake
from bot.scheduler import build_scheduler
from bot.wiring import configured_adapters, web_adapter

log = logging.getLogger(__name__)


def _connect(app: App, adapter: Adapter) -> None:
    """Let the outbox send through ``adapter``, at the pace it declares."""
    app.outbox.register(adapter.platform, adapter, pace=adapter.pace)


async def _serve(app: App, routes: list[web.RouteDef], *, required: bool) -> web.AppRunner | None:
    """Serve ``routes`` on ``BATON_HTTP_PORT``. A taken port stops Baton when platforms need the
    routes (``required``); the dashboard alone is then left out, with a warning."""
    if not routes:
        return None
    port = app.settings.http_port
    try:
        runner = await start_http(routes, host=app.settings.http_host, port=port)
    except OSError as exc:
        if required:
            raise
        log.warning("the dashboard is not served: port %s cannot be used (%s)", port, exc.strerror)
        return None
    log.info("HTTP on port %s; the dashboard at %s/web/", port, app.settings.dashboard_url)
    return runner


async def run_console(
    app: App,
    *,
    user: str = "me",
    channel: str = "general",
    locale: str | None = None,
    dashboard: WebAdapter | None = None,
) -> None:
    """Chat in this terminal until end of input; the scheduler (and the dashboard, when given)
    runs meanwhile."""
    console = ConsoleAdapter(app.clock, user=user, channel=channel, locale=locale)
    _connect(app, console)
    scheduler = build_scheduler(app)
    scheduler.start()
    intake = Intake(app)
    http = None
    try:
        if dashboard is not None:
            await dashboard.start(intake)
            http = await _serve(app, dashboard.http_routes(), required=False)
        await app.outbox.drain()
        await console.start(intake)
    finally:
        scheduler.shutdown(wait=False)
        if http is not None:
            await http.cleanup()
        if dashboard is not None:
            await dashboard.stop()


async def run_forever(app: App) -> None:
    """Every configured platform plus the scheduler, until SIGINT/SIGTERM; the console if none."""
    adapters = configured_adapters(app.settings, app.clock)
    dashboard = web_adapter(app)
    if not adapters:
        log.info("no platform credentials set: running the console adapter")
        await run_console(app, dashboard=dashboard)
        return
    _connect(app, ConsoleAdapter(app.clock, announce_all=True))
    for adapter in adapters:
        _connect(app, adapter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    intake = Intake(app)
    for adapter in adapters:
        intake.register(adapter)
    await intake.start()
    scheduler = build_scheduler(app)
    scheduler.start()
    http = None
    try:
        for adapter in adapters:
            await adapter.start(intake)
            log.info("%s adapter started", adapter.platform.value)
        intake.resume()  # events a previous process stored but did not finish
        routes = [
            route for a in adapters if hasattr(a, "http_routes") for route in a.http_routes()
        ]
        if dashboard is not None:
            await dashboard.start(intake)
        web_routes = dashboard.http_routes() if dashboard is not None else []
        http = await _serve(app, [*routes, *web_routes], required=bool(routes))
        await app.outbox.drain()
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        if http is not None:
            await http.cleanup()
        if dashboard is not None:
            await dashboard.stop()
        for adapter in adapters:
            await adapter.stop()
        await intake.stop()


async def run_once(app: App) -> None:
    """One pass of scheduled work, delivered through the configured adapters (console if none)."""
    _connect(app, ConsoleAdapter(app.clock, announce_all=True))
    for adapter in configured_adapters(app.settings, app.clock):
        _connect(app, adapter)
    await app.run_ticks()
