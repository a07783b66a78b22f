"""Running Baton: adapters, the scheduler and the outbox wired together for ``run``, ``console``
and ``tick``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine, Sequence
from typing import Any

from aiohttp import web

from adapters.base import Adapter, PlatformAdapter
from adapters.console import ConsoleAdapter
from adapters.web import WebAdapter
from bot import operations
from bot.app import App
from bot.http_server import start_http
from bot.intake import Intake
from bot.scheduler import build_scheduler
from bot.wiring import configured_adapters, hooks_adapter, web_adapter

log = logging.getLogger(__name__)
STOP_SECONDS = 5.0  # how long stopping waits for an adapter before leaving it behind


def _connect(app: App, adapter: Adapter) -> None:
    """Let the outbox send through ``adapter``, at the pace it declares."""
    app.outbox.register(adapter.platform, adapter, pace=adapter.pace)


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
    console = ConsoleAdapter(
        app.clock,
        user=user,
        channel=channel,
        locale=locale,
        on_clock=app.run_ticks,
        home_tz=app.settings.timezone,
    )
    _connect(app, console)
    scheduler = build_scheduler(app)
    scheduler.start()
    intake = Intake(app)
    http = None
    try:
        if dashboard is not None:
            await dashboard.start(intake)
            http = await _serve_dashboard(app, dashboard)
        await app.outbox.drain()
        await console.start(intake)
    finally:
        await scheduler.stop()
        if http is not None:
            await http.cleanup()
        if dashboard is not None:
            await dashboard.stop()
        app.outbox.flush_marks()


async def _serve_dashboard(app: App, dashboard: WebAdapter) -> web.AppRunner | None:
    """The dashboard alone on ``BATON_HTTP_PORT`` (the console's run); a port that cannot be
    used leaves it out, with a warning, and the console runs anyway."""
    port = app.settings.http_port
    try:
        runner = await start_http(dashboard.http_routes(), host=app.settings.http_host, port=port)
    except OSError as exc:
        log.warning("the dashboard is not served: port %s cannot be used (%s)", port, exc.strerror)
        return None
    log.info("the dashboard at %s/web/ (HTTP on port %s)", app.settings.dashboard_url, port)
    return runner


async def run_forever(app: App) -> None:
    """Every configured platform plus the scheduler, until SIGINT/SIGTERM; the console if none.

    The first signal stops Baton whatever it is doing, connecting included: a platform that
    cannot be reached keeps retrying inside its adapter, and must not keep Baton from stopping.
    """
    adapters = configured_adapters(app.settings, app.clock)
    dashboard = web_adapter(app)
    if not adapters:
        log.info("no platform credentials set: running the console adapter")
        await run_console(app, dashboard=dashboard)
        return
    adapters.append(hooks_adapter(app))  # inbound webhooks post tasks to the platforms' boards
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
    http: web.AppRunner | None = None
    try:
        http = await _until_stopped(_start_all(app, adapters, intake, dashboard), stop)
        await stop.wait()
    finally:
        await scheduler.stop()
        if http is not None:
            await http.cleanup()
        if dashboard is not None:
            await dashboard.stop()
        for adapter in adapters:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(adapter.stop(), STOP_SECONDS)
        await intake.stop()
        app.outbox.flush_marks()


async def _start_all(
    app: App, adapters: Sequence[PlatformAdapter], intake: Intake, dashboard: WebAdapter | None
) -> web.AppRunner:
    """Start every adapter and the shared HTTP server (health, readiness, metrics, webhooks and
    the dashboard)."""
    for adapter in adapters:
        await adapter.start(intake)
        log.info("%s adapter started", adapter.platform.value)
    intake.resume()  # events a previous process stored but did not finish
    if dashboard is not None:
        await dashboard.start(intake)
    routes = [
        *operations.routes(app, [(a.platform.value, a.ready) for a in adapters]),
        *(route for a in adapters if hasattr(a, "http_routes") for route in a.http_routes()),
        *(dashboard.http_routes() if dashboard is not None else ()),
    ]
    http = await start_http(routes, host=app.settings.http_host, port=app.settings.http_port)
    log.info("HTTP on port %s (health, readiness, metrics, webhooks)", app.settings.http_port)
    if dashboard is not None:
        log.info("the dashboard at %s/web/", app.settings.dashboard_url)
    await app.outbox.drain()
    return http


async def _until_stopped(
    starting: Coroutine[Any, Any, web.AppRunner], stop: asyncio.Event
) -> web.AppRunner | None:
    """Run ``starting`` unless a stop signal comes first (then cancel it and return None)."""
    task = asyncio.ensure_future(starting)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        stopped.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(task, STOP_SECONDS)
    log.info("stopped while starting")
    return None


async def run_once(app: App) -> None:
    """One pass of scheduled work, delivered through the configured adapters (console if none)."""
    _connect(app, ConsoleAdapter(app.clock, announce_all=True))
    for adapter in [*configured_adapters(app.settings, app.clock), hooks_adapter(app)]:
        _connect(app, adapter)
    await app.run_ticks()
