"""One aiohttp server on ``BATON_HTTP_PORT`` shared by every adapter running in HTTP mode.

Slack's request URL, Feishu's ``/feishu/events`` and DingTalk's ``/dingtalk/events`` can all be
served by one process on one port; each adapter contributes its routes.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def start_http(routes: Sequence[web.RouteDef], *, host: str, port: int) -> web.AppRunner:
    """Serve ``routes`` (plus ``GET /healthz``) and return the runner to stop it with."""
    application = web.Application(client_max_size=1024 * 1024)
    application.add_routes([web.get("/healthz", _health), *routes])
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host=host, port=port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner
