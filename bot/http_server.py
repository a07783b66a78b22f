"""One aiohttp server on ``BATON_HTTP_PORT`` for everything Baton answers over HTTP.

Slack's request URL, Feishu's ``/feishu/events`` and DingTalk's ``/dingtalk/events`` can all be
served by one process on one port; each adapter contributes its routes, and the operations routes
(``bot.operations``: health, readiness, metrics) are always there. Bodies over 1 MB get a 413.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def start_http(routes: Sequence[web.RouteDef], *, host: str, port: int) -> web.AppRunner:
    """Serve ``routes`` and return the runner to stop it with (``GET /healthz`` answers even
    when ``routes`` has no health route of its own)."""
    application = web.Application(client_max_size=1024 * 1024)
    paths = {getattr(route, "path", "") for route in routes}
    health = [] if "/healthz" in paths else [web.get("/healthz", _health)]
    application.add_routes([*health, *routes])
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host=host, port=port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner
