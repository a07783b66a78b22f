"""What every page of the dashboard shares: who is asking, rendering, and the guard around each
handler (session, CSRF, security headers, server timing, errors without tracebacks).

Pages read the database in a worker thread (a metrics page over months of history must not hold
up the event loop that acknowledges platform events); changes run through the sink on the loop,
as every adapter's do.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import jinja2
import sqlalchemy as sa
from aiohttp import web
from markupsafe import Markup

from adapters.web.messages import MESSAGES
from adapters.web.session import COOKIE, Signer
from adapters.web.viewer import LANG_COOKIE, Helpers, Viewer, language, translate, viewer_for
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translator
from bot.sink import Sink

log = logging.getLogger(__name__)
T = TypeVar("T")
HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A sign-in link never leaks to another site; our own forms still say where they come from
    # (with "no-referrer" a browser sends "Origin: null", which the origin check must refuse).
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _static_files(root: Path) -> dict[str, bytes]:
    """Every script and style sheet under ``static/`` by its path there (read once: a handful of
    small files)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in (".js", ".css")
    }


@dataclass(frozen=True, slots=True)
class Req:
    """One request as a handler sees it: the request, who asks (None on public pages) and the
    page's language."""

    request: web.Request
    viewer: Viewer | None
    locale: str
    t: Callable[..., str]

    @property
    def me(self) -> Viewer:
        """The signed-in viewer (only called by handlers that require one)."""
        assert self.viewer is not None
        return self.viewer

    @property
    def fragment(self) -> bool:
        """True for htmx's requests, answered with a piece of a page."""
        return self.request.headers.get("HX-Request") == "true"


Handler = Callable[[Req], Awaitable[web.StreamResponse]]


class Site:
    """The dashboard's shared state and plumbing."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        engine: sa.Engine,
        chat: Translator,
        helpers: Helpers,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = engine
        self.chat = chat
        self.helpers = helpers
        self.ui = Translator([MESSAGES])
        self.signer: Signer | None = None
        self.sink: Sink | None = None
        self.static = _static_files(HERE / "static")
        self._versions = {n: hashlib.sha256(b).hexdigest()[:10] for n, b in self.static.items()}
        self._templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates.globals["static"] = self.static_url
        self.secure = settings.dashboard_url.startswith("https://")

    def static_url(self, name: str) -> str:
        """The address of a static file, with its content's hash (so it may be cached for good)."""
        return f"/web/static/{name}?v={self._versions[name]}"

    async def read(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` with a connection, in a worker thread."""

        def run() -> T:
            with self.engine.connect() as conn:
                return work(conn)

        return await asyncio.to_thread(run)

    def html(self, req: Req, template: str, **context: Any) -> str:
        """A template rendered for ``req`` (escaping everything it is given)."""
        query = {k: v for k, v in req.request.query.items() if k != "lang"}
        other = "en" if req.locale == "zh" else "zh"
        switch = f"{req.request.path}?{urlencode({**query, 'lang': other})}"
        return self._templates.get_template(template).render(
            t=req.t, viewer=req.viewer, lang=req.locale, switch_lang=switch, **context
        )

    def page(self, req: Req, template: str, status: int = 200, **context: Any) -> web.Response:
        """A rendered page as a response."""
        body = self.html(req, template, **context)
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def message(self, req: Req, status: int, title: str, body: str) -> web.Response:
        """A page that only says something (why a page is refused, what to do)."""
        return self.page(req, "message.html", status, title=title, body=body)

    def markup(self, html: str) -> Markup:
        """HTML our own (autoescaping) templates rendered, to be placed into another as is."""
        return Markup(html)

    # --- the guard around every handler ------------------------------------------------------

    def guard(
        self, handler: Handler, *, public: bool = False, change: bool = False
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """``handler`` behind the checks every page needs (see the module docstring)."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                response = await self._checked(request, handler, public=public, change=change)
            except web.HTTPException as exc:  # e.g. a body over the size limit
                response = web.Response(status=exc.status, text=exc.text)
            except Exception:
                ref = uuid.uuid4().hex[:8]
                log.exception("dashboard page %s failed (ref %s)", request.path, ref)
                req = self._anonymous(request)
                response = self.message(
                    req, 500, req.t("web.error_title"), req.t("web.error_body", ref=ref)
                )
            self.finish(request, response, started)
            return response

        return guarded

    async def _checked(
        self, request: web.Request, handler: Handler, *, public: bool, change: bool
    ) -> web.StreamResponse:
        if request.method == "POST" and not self._same_origin(request):
            req = self._anonymous(request)
            return self.message(req, 403, req.t("web.stale_title"), req.t("web.stale_body"))
        req = await self._who(request)
        if req.viewer is None and not public:
            return self.message(req, 401, req.t("web.unauth_title"), req.t("web.unauth_body"))
        if change and req.viewer is not None and not await self._csrf_ok(request, req.viewer):
            return self.message(req, 403, req.t("web.stale_title"), req.t("web.stale_body"))
        return await handler(req)

    def _anonymous(self, request: web.Request) -> Req:
        """The request with nobody signed in, in the language they asked for or read."""
        accepts = request.headers.get("Accept-Language", "").lower()
        fallback = "zh" if accepts.startswith("zh") else self.settings.language
        locale = language(
            request.query.get("lang"), request.cookies.get(LANG_COOKIE), fallback=fallback
        )
        return Req(request, None, locale, translate(self.ui, locale))

    async def _who(self, request: web.Request) -> Req:
        assert self.signer is not None, "the dashboard serves pages only once started"
        session = self.signer.read(request.cookies.get(COOKIE), now=self.clock.now())
        if session is None:
            return self._anonymous(request)
        signer = self.signer
        viewer = await self.read(
            lambda conn: viewer_for(
                conn,
                session,
                settings=self.settings,
                asked=request.query.get("lang"),
                remembered=request.cookies.get(LANG_COOKIE),
                csrf=signer.csrf(session),
            )
        )
        if viewer is None:
            return self._anonymous(request)
        return Req(request, viewer, viewer.locale, translate(self.ui, viewer.locale))

    async def _csrf_ok(self, request: web.Request, viewer: Viewer) -> bool:
        token = request.headers.get("X-CSRF-Token")
        if token is None:
            form = await request.post()
            token = str(form.get("csrf", "")) or None
        assert self.signer is not None
        return self.signer.csrf_ok(viewer.session, token)

    def _same_origin(self, request: web.Request) -> bool:
        """False when a browser says a change comes from another site (a page elsewhere posting
        here); requests without an ``Origin`` still need their CSRF token."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        allowed = {request.host, urlsplit(self.settings.dashboard_url).netloc}
        return urlsplit(origin).netloc in allowed

    def finish(self, request: web.Request, response: web.StreamResponse, started: float) -> None:
        """Security headers, no caching of pages, the language cookie and the server's time."""
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/web/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if (lang := request.query.get("lang")) in ("en", "zh"):
            response.set_cookie(
                LANG_COOKIE,
                str(lang),
                path="/",
                max_age=365 * 86400,
                samesite="Lax",
                secure=self.secure,
            )
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"


def redirect(location: str) -> web.Response:
    """A "see other" answer: after a change, or to where a page lives."""
    return web.Response(status=303, headers={"Location": location})
