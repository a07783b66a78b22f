"""The dashboard served on 127.0.0.1 the way ``baton run`` serves it, and people signing in to it
with the link Baton sends them in chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from adapters.web import WebAdapter
from bot.app import App
from bot.http_server import start_http
from bot.intake import Intake
from bot.wiring import web_adapter
from tests.conftest import Chat

_LINK = re.compile(r"https?://\S+?(/web/login\?token=[\w-]+)")
_CSRF = re.compile(r'data-csrf="([^"]+)"|name="csrf" value="([^"]+)"')


@dataclass
class Dashboard:
    """A served dashboard: its adapter and the address it answers on."""

    adapter: WebAdapter
    base: str

    def url(self, path: str) -> str:
        """``path`` on this dashboard."""
        return f"{self.base}{path}"


@asynccontextmanager
async def served(app: App) -> AsyncIterator[Dashboard]:
    """The dashboard of ``app`` on a free port of 127.0.0.1, its changes run through an intake
    as in ``baton run``."""
    adapter = web_adapter(app)
    assert adapter is not None
    await adapter.start(Intake(app))
    runner = await start_http(adapter.http_routes(), host="127.0.0.1", port=0)
    port = runner.addresses[0][1]
    try:
        yield Dashboard(adapter, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
        await adapter.stop()


def link_in(printed: str) -> str:
    """The path of the (last) sign-in link in what Baton printed."""
    found = _LINK.findall(printed)
    assert found, f"no sign-in link in {printed!r}"
    return str(found[-1])


async def link_for(chat: Chat, user: str, channel: str = "ops") -> str:
    """Ask Baton for a sign-in link in chat, as ``user`` in ``channel``; the link's path."""
    return link_in(await chat.say("dashboard", user=user, channel=channel))


def browser_session() -> aiohttp.ClientSession:
    """An HTTP client that keeps cookies for 127.0.0.1, like a browser."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(
    chat: Chat, dashboard: Dashboard, http: aiohttp.ClientSession, user: str, channel: str = "ops"
) -> None:
    """``user`` asks for a link in ``channel`` and uses it in ``http``."""
    path = await link_for(chat, user, channel)
    token = path.split("token=", 1)[1]
    async with http.post(dashboard.url("/web/login"), data={"token": token}) as response:
        assert response.status == 200, await response.text()


def csrf_of(page: str) -> str:
    """The CSRF token a page carries."""
    found = _CSRF.search(page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1) or found.group(2)
