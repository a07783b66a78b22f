"""The dashboard's changes: move a card, tick or add a checklist item, add a note, quick add.

Each one is checked (a board the viewer may open, a task on it, a column of it, text of sane
length), runs as the chat command (:mod:`adapters.web.actions`), and answers with the part of the
page it changed, re-read from the database (so a refused move shows the card back where it is),
plus what the command replied, as a notice: an error when nothing changed. Without JavaScript a
form posts the same way and the browser is sent back to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from aiohttp import web

from adapters.web import actions, pages, views
from adapters.web.site import Req, Site, redirect
from bot import mentions
from storage import board, tasks, users


async def _form(req: Req) -> dict[str, str]:
    """The form fields (and, for scripts that post to an address, its query parameters)."""
    form = await req.request.post()
    fields = {k: v for k, v in req.request.query.items()}
    fields.update({k: str(v) for k, v in form.items() if isinstance(v, str)})
    return fields


async def _run(site: Site, req: Req, channel: str, text: str) -> str:
    """Run a command typed on the page; what it replied to the person, as plain text."""
    me = req.me
    typed = await site.read(lambda conn: actions.typed(conn, me, text))
    assert site.sink is not None, "the dashboard takes changes only once started"
    message = actions.message(me, channel, typed.text, site.clock.now(), typed.mentioned)
    replies = await actions.run(site.sink, message)
    ids = [uid for r in replies for _, uid in mentions.split(r.text) if uid is not None]
    names = await site.read(lambda conn: users.names(conn, ws=me.ws, user_ids=ids))
    return "\n".join(views.reply_text(r.text, names) for r in replies)


def _notice(site: Site, req: Req, text: str, *, ok: bool) -> str:
    return site.html(req, "_toast.html", text=text, ok=ok)


async def _board_answer(
    site: Site, req: Req, channel: str, text: str, ok: bool
) -> web.StreamResponse:
    """The refreshed board and the notice (or, for a plain form, back to the board)."""
    if not req.fragment:
        return redirect(f"/web/board?{urlencode({'c': channel})}")
    _, html = await site.read(lambda conn: pages.board_html(site, req, conn, channel))
    body = html + _notice(site, req, text, ok=ok)
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def _task_answer(
    site: Site, req: Req, channel: str, number: int, text: str, ok: bool
) -> web.StreamResponse:
    """The refreshed task panel and the notice (or, for a plain form, back to the task)."""
    if not req.fragment:
        return redirect(f"/web/task?{urlencode({'c': channel, 'n': number})}")
    html = await site.read(lambda conn: pages.task_html(site, req, conn, channel, number))
    body = (html or "") + _notice(site, req, text, ok=ok)
    return web.Response(text=body, content_type="text/html", charset="utf-8")


def _task_state(ws: str, number: int) -> Callable[[sa.Connection], Any]:
    """What a change to task ``#number`` may alter: its column, checklist and latest history."""

    def read(conn: sa.Connection) -> Any:
        found = board.detail(conn, ws=ws, number=number)
        if found is None:
            return None
        latest = found.history[-1] if found.history else None
        return (found.channel, found.card.column, tuple(found.checklist), latest)

    return read


async def _task_change(site: Site, req: Req, kind: str, **extra: str) -> web.StreamResponse:
    """Check, run and answer one change to a task (``kind`` names the command)."""
    fields = await _form(req)
    channel, number = fields.get("c", ""), pages.number_of(fields.get("n"))
    if number is None:
        return pages.bad_request(site, req)
    if not await pages.allowed(site, req, channel):
        return pages.not_found(site, req)
    values = {key: fields.get(name, "") for key, name in extra.items()}
    if any(len(v) > actions.TEXT_LIMIT for v in values.values()):
        return pages.bad_request(site, req)
    state = _task_state(req.me.ws, number)
    before = await site.read(state)
    if before is None or before[0] != channel:
        return pages.not_found(site, req)
    if kind == "move" and values["column"] not in await site.read(
        lambda conn: tasks.board(conn, channel=channel).columns
    ):
        return pages.bad_request(site, req)
    text = await _run(
        site, req, channel, actions.command(kind, req.locale, number=number, **values)
    )
    after = await site.read(state)
    ok = after != before if kind != "move" else after is not None and after[1] == values["column"]
    if kind == "move" and fields.get("from") == "board":
        return await _board_answer(site, req, channel, text, ok)
    return await _task_answer(site, req, channel, number, text, ok)


async def move(site: Site, req: Req) -> web.StreamResponse:
    """Move a card to another column (dragged on the board, or chosen in its panel)."""
    return await _task_change(site, req, "move", column="to")


async def tick(site: Site, req: Req) -> web.StreamResponse:
    """Tick or untick a checklist item."""
    fields = await _form(req)
    if not fields.get("position", "").isdigit() or len(fields["position"]) > 4:
        return pages.bad_request(site, req)
    return await _task_change(site, req, "check", position="position")


async def add_check(site: Site, req: Req) -> web.StreamResponse:
    """Add a checklist item."""
    return await _task_change(site, req, "check_add", text="text")


async def note(site: Site, req: Req) -> web.StreamResponse:
    """Add a note to a task's history."""
    return await _task_change(site, req, "note", text="text")


async def quick_add(site: Site, req: Req) -> web.StreamResponse:
    """Create a task on this board, written as in chat (``Title @owner due:fri #tag``)."""
    fields = await _form(req)
    channel, title = fields.get("c", ""), fields.get("title", "")
    if len(title) > actions.TEXT_LIMIT:
        return pages.bad_request(site, req)
    if not await pages.allowed(site, req, channel):
        return pages.not_found(site, req)

    def count(conn: sa.Connection) -> int:
        return board.open_counts(conn, channels=[channel]).get(channel, 0)

    before = await site.read(count)
    text = await _run(site, req, channel, actions.command("add", req.locale, text=title))
    ok = await site.read(count) > before
    return await _board_answer(site, req, channel, text, ok)
