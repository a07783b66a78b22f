"""The dashboard's pages: sign-in, the list of boards, a board (and its live refresh), one task,
and the metrics with their CSV downloads.

Every page that names a channel checks first that the viewer may open it, and answers "not found"
alike for a channel that does not exist and one that is not theirs, so a page never says which
other channels exist.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from aiohttp import web

from adapters.web import charts, views
from adapters.web.session import COOKIE, LIFETIME
from adapters.web.site import Req, Site, redirect
from bot import weblinks
from bot.places import may_open, openable
from storage import board as boards
from storage import users
from storage import web as web_store


def not_found(site: Site, req: Req) -> web.Response:
    """The answer for a board or task that is missing or not the viewer's."""
    return site.message(req, 404, req.t("web.not_found_title"), req.t("web.not_found_body"))


def bad_request(site: Site, req: Req) -> web.Response:
    """The answer for a malformed address or form."""
    return site.message(req, 400, req.t("web.bad_request_title"), req.t("web.bad_request_body"))


def number_of(text: str | None) -> int | None:
    """A task number from a parameter (``12``), or None."""
    if text is None or not text.isdigit() or len(text) > 9:
        return None
    return int(text)


async def allowed(site: Site, req: Req, channel: str | None) -> bool:
    """True when ``channel`` is a board the viewer may open."""
    if not channel or len(channel) > 400:
        return False
    me = req.me
    return await site.read(
        lambda conn: may_open(conn, ws=me.ws, user_id=me.user_id, admin=me.admin, channel=channel)
    )


# --- signing in ------------------------------------------------------------------------------


async def login_form(site: Site, req: Req) -> web.Response:
    """A sign-in link opened: ask for a click (chat apps open links to preview them; only a
    person's click may use the link up)."""
    token = req.request.query.get("token", "")[:200]
    now = site.clock.now()

    def whom(conn: sa.Connection) -> str | None:
        owner = web_store.peek_link(conn, token_hash=weblinks.token_hash(token), now=now)
        if owner is None:
            return None
        names = users.names(conn, ws=owner.ws, user_ids=[owner.user_id])
        return names.get(owner.user_id, owner.user_id)

    name = await site.read(whom)
    if name is None:
        return site.message(req, 410, req.t("web.link_bad_title"), req.t("web.link_bad_body"))
    return site.page(req, "login.html", token=token, name=name)


async def sign_in(site: Site, req: Req) -> web.StreamResponse:
    """Use a sign-in link once and start a session."""
    form = await req.request.post()
    token = str(form.get("token", ""))[:200]
    now = site.clock.now()

    def redeem(conn: sa.Connection) -> web_store.LinkOwner | None:
        with conn.begin():
            return web_store.redeem_link(conn, token_hash=weblinks.token_hash(token), now=now)

    owner = await site.read(redeem)
    if owner is None:
        return site.message(req, 410, req.t("web.link_bad_title"), req.t("web.link_bad_body"))
    assert site.signer is not None
    _, cookie = site.signer.new_session(ws=owner.ws, user_id=owner.user_id, now=now)
    response = redirect("/web/")
    response.set_cookie(
        COOKIE,
        cookie,
        path="/",
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=site.secure,
    )
    return response


async def sign_out(site: Site, req: Req) -> web.StreamResponse:
    """End the session in this browser."""
    response = redirect("/web/")
    response.del_cookie(COOKIE, path="/")
    return response


# --- boards ----------------------------------------------------------------------------------


async def home(site: Site, req: Req) -> web.Response:
    """The boards the viewer may open."""
    me = req.me
    places = await site.read(lambda conn: views.places(conn, me, req.t))
    return site.page(req, "home.html", places=places)


def board_version(site: Site, req: Req, conn: sa.Connection, channel: str) -> str:
    """What the live refresh compares: the board's data (``storage.board.version``) and how
    this viewer sees it (language, zone, filters)."""
    stamp = boards.version(conn, channel=channel, now=site.clock.now())
    me = req.me
    seen = f"{stamp}|{me.user_id}|{req.locale}|{me.tz.key}|{views.Filters.read(req.request.query)}"
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


def board_html(
    site: Site, req: Req, conn: sa.Connection, channel: str
) -> tuple[views.BoardPage, str]:
    """The board of ``channel`` for the request's filters, and its fragment (which polls for
    changes with its version)."""
    version = board_version(site, req, conn, channel)
    shown = views.board_page(
        conn,
        channel=channel,
        viewer=req.me,
        filters=views.Filters.read(req.request.query),
        now=site.clock.now(),
        helpers=site.helpers,
        t=req.t,
    )
    columns = site.html(req, "_columns.html", board=shown)
    html = site.html(
        req, "_board.html", board=shown, columns=site.markup(columns), version=version
    )
    return shown, html


async def board(site: Site, req: Req) -> web.Response:
    """A channel's board, with its filters, quick add and task details."""
    channel = req.request.query.get("c")
    if not await allowed(site, req, channel):
        return not_found(site, req)
    assert channel is not None
    shown, html = await site.read(lambda conn: board_html(site, req, conn, channel))
    return site.page(req, "board.html", board=shown, board_html=site.markup(html))


async def board_cards(site: Site, req: Req) -> web.Response:
    """The live refresh: the board fragment when it changed since version ``v``, else 204
    (without rendering it)."""
    channel = req.request.query.get("c")
    if not await allowed(site, req, channel):
        return not_found(site, req)
    assert channel is not None
    seen = req.request.query.get("v")

    def changed(conn: sa.Connection) -> str | None:
        if board_version(site, req, conn, channel) == seen:
            return None
        return board_html(site, req, conn, channel)[1]

    html = await site.read(changed)
    if html is None:
        return web.Response(status=204)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def task(site: Site, req: Req) -> web.Response:
    """One task in full: a panel beside the board, or a page of its own."""
    channel = req.request.query.get("c")
    number = number_of(req.request.query.get("n"))
    if number is None:
        return bad_request(site, req)
    if not await allowed(site, req, channel):
        return not_found(site, req)
    assert channel is not None
    html = await site.read(lambda conn: task_html(site, req, conn, channel, number))
    if html is None:
        return not_found(site, req)
    if req.fragment:
        return web.Response(text=html, content_type="text/html", charset="utf-8")
    return site.page(req, "task.html", channel=channel, task_html=site.markup(html))


def task_html(site: Site, req: Req, conn: sa.Connection, channel: str, number: int) -> str | None:
    """The task panel of ``#number`` on ``channel``'s board, or None when it is not there."""
    shown = views.task_page(
        conn,
        channel=channel,
        number=number,
        viewer=req.me,
        now=site.clock.now(),
        helpers=site.helpers,
        t=req.t,
        chat=site.chat,
    )
    return None if shown is None else site.html(req, "_task.html", task=shown)


# --- metrics ---------------------------------------------------------------------------------


async def _metrics(site: Site, req: Req) -> tuple[str | None, charts.MetricsPage] | None:
    """The metrics of the channel ``c`` (or, without one, of every board the viewer may open);
    None when ``c`` is not theirs."""
    channel = req.request.query.get("c") or None
    if channel is not None and not await allowed(site, req, channel):
        return None
    days = charts.period(req.request.query.get("days"))
    me = req.me

    def build(conn: sa.Connection) -> charts.MetricsPage:
        channels = (
            [channel] if channel else openable(conn, ws=me.ws, user_id=me.user_id, admin=me.admin)
        )
        scope = charts.scope_of(me, channels)
        return charts.metrics_page(
            conn,
            scope=scope,
            days=days,
            now=site.clock.now(),
            viewer=me,
            helpers=site.helpers,
            t=req.t,
        )

    return channel, await site.read(build)


async def metrics_page(site: Site, req: Req) -> web.Response:
    """Flow, FAQ and standup figures with charts, for 7, 30 or 90 days."""
    found = await _metrics(site, req)
    if found is None:
        return not_found(site, req)
    channel, shown = found
    scope = views.label(channel, req.me, req.t) if channel else req.t("web.scope_team")
    return site.page(
        req,
        "metrics.html",
        metrics=shown,
        channel=channel or "",
        scope=scope,
        periods=charts.PERIODS,
    )


async def metrics_csv(site: Site, req: Req) -> web.Response:
    """One chart's numbers as CSV."""
    found = await _metrics(site, req)
    if found is None:
        return not_found(site, req)
    _, shown = found
    name = req.request.query.get("chart", "")
    chart = charts.chart_named(shown, name)
    if chart is None:
        return bad_request(site, req)
    filename = f"baton-{chart.id}-{shown.days}d.csv"
    return web.Response(
        text=charts.as_csv(chart),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
