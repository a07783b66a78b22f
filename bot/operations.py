"""What an operator and a load balancer ask Baton over HTTP: is it alive, is it ready, how is it doing.

- ``GET /healthz``: the process answers (alive).
- ``GET /readyz``: the database answers, its schema is current, and every configured platform
  connection is up; otherwise 503 with the reasons, so a load balancer sends nothing here.
- ``GET /metrics``: Prometheus text format (:mod:`bot.metrics`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import sqlalchemy as sa
from aiohttp import web

from bot.app import App
from bot.metrics import CONTENT_TYPE
from storage.db import current_revisions, head_revisions

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[str | None]]  # None when fine, else what is wrong


def database_check(engine: sa.Engine) -> Check:
    """The database answers a query, and every migration has been applied."""
    heads = head_revisions()

    async def check() -> str | None:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            missing = heads - current_revisions(engine)
        except sa.exc.SQLAlchemyError as exc:
            return f"database unreachable ({type(exc).__name__})"
        return f"migrations not applied: {', '.join(sorted(missing))}" if missing else None

    return check


def routes(app: App, checks: Sequence[tuple[str, Check]]) -> list[web.RouteDef]:
    """``/healthz``, ``/readyz`` (the database, then each named check) and ``/metrics``."""
    named = [("database", database_check(app.engine)), *checks]

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        problems = {name: why for name, check in named if (why := await check()) is not None}
        if problems:
            log.warning("not ready: %s", "; ".join(f"{k}: {v}" for k, v in problems.items()))
            return web.json_response({"ready": False, "problems": problems}, status=503)
        return web.json_response({"ready": True})

    async def metrics(_request: web.Request) -> web.Response:
        body = app.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]
