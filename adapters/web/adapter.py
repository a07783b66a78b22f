"""The web dashboard as an adapter: the browser is one more way to reach Baton.

It serves its pages on the HTTP server the platforms' webhooks share (``BATON_HTTP_PORT``), reads
boards and metrics from storage, and turns every click that changes something into the chat
command the person would have typed, run through the sink like any platform's message. It sends
nothing itself: what a command says to others goes out through their own platform's adapter.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.web import changes, pages
from adapters.web.session import Signer
from adapters.web.site import Handler, Req, Site, redirect
from bot.sink import Sink
from storage import web as web_store

KEY_NAME = "session-signing"


class WebAdapter:
    """Serves the dashboard of ``site``; hands its changes to the sink it is started with."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def start(self, sink: Sink) -> None:
        """Take changes to ``sink``, signing sessions with ``BATON_SECRET_KEY`` or, when it is
        unset, with a key generated on the first start and kept in the database."""
        site = self.site
        key = site.settings.secret_key.get_secret_value()
        if not key:
            with site.engine.begin() as conn:
                key = web_store.key(
                    conn, name=KEY_NAME, candidate=secrets.token_urlsafe(48), now=site.clock.now()
                )
        site.signer = Signer(key)
        site.sink = sink

    async def stop(self) -> None:
        """Take no more changes."""
        self.site.sink = None

    def _on(
        self, handler: Callable[[Site, Req], Awaitable[web.StreamResponse]], **guard: bool
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        site = self.site

        async def bound(req: Req) -> web.StreamResponse:
            return await handler(site, req)

        wrapped: Handler = bound
        return site.guard(wrapped, **guard)

    async def _serve_static(self, request: web.Request) -> web.StreamResponse:
        """A script or style sheet; its address carries its hash, so it is cached for good."""
        started = time.perf_counter()
        body = self.site.static.get(request.match_info["name"])
        if body is None:
            response = web.Response(status=404, text="not found")
        else:
            kind = mimetypes.guess_type(request.match_info["name"])[0] or "text/plain"
            response = web.Response(body=body, content_type=kind, charset="utf-8")
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        self.site.finish(request, response, started)
        return response

    def http_routes(self) -> list[web.RouteDef]:
        """The dashboard's pages, under ``/web/`` (``/`` leads there)."""

        async def to_home(_request: web.Request) -> web.StreamResponse:
            return redirect("/web/")

        on = self._on
        return [
            web.get("/", to_home),
            web.get("/web", to_home),
            web.get("/web/", on(pages.home)),
            web.get("/web/login", on(pages.login_form, public=True)),
            web.post("/web/login", on(pages.sign_in, public=True)),
            web.post("/web/logout", on(pages.sign_out, change=True)),
            web.get("/web/board", on(pages.board)),
            web.get("/web/board/cards", on(pages.board_cards)),
            web.get("/web/task", on(pages.task)),
            web.post("/web/move", on(changes.move, change=True)),
            web.post("/web/check", on(changes.tick, change=True)),
            web.post("/web/check/add", on(changes.add_check, change=True)),
            web.post("/web/note", on(changes.note, change=True)),
            web.post("/web/add", on(changes.quick_add, change=True)),
            web.get("/web/metrics", on(pages.metrics_page)),
            web.get("/web/metrics.csv", on(pages.metrics_csv)),
            web.get("/web/static/{name:.+}", self._serve_static),
        ]
