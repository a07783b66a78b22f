"""Who is looking at a page, in which language and time zone, and how moments and durations read
for them.

A viewer is the signed-in person as they are in chat: their platform identity (``slack`` user
``U02`` of workspace ``T01``), their display name, language and zone as Baton knows them, and
whether they are an admin. ``?lang=zh|en`` (remembered in a cookie) switches the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from adapters.web.session import Session
from bot.config import Settings
from bot.events import Actor, Platform
from bot.i18n import Translator
from storage import users

LANG_COOKIE = "baton_lang"
LANGUAGES = ("en", "zh")

Moment = Callable[[datetime, ZoneInfo, str], str]
Gaps = Callable[[list[str]], list[tuple[str, int]]]


@dataclass(frozen=True, slots=True)
class Helpers:
    """What the dashboard borrows from the features, handed over by the wiring (adapters import
    no feature): the chat's way of writing a moment, and its grouping of unanswered questions."""

    moment: Moment
    knowledge_gaps: Gaps


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person, as the chat knows them."""

    session: Session
    platform: Platform
    workspace: str
    display_name: str  # as Baton knows it (empty when it never learnt one)
    admin: bool
    locale: str
    tz: ZoneInfo
    csrf: str

    @property
    def ws(self) -> str:
        """The workspace key (``slack:T01``)."""
        return self.session.ws

    @property
    def user_id(self) -> str:
        """The platform's id of the person."""
        return self.session.user_id

    @property
    def name(self) -> str:
        """How the person is named on the page: their display name, else their id."""
        return self.display_name or self.user_id

    def actor(self) -> Actor:
        """The person as the sender of a command (with no profile hints: the web has none)."""
        return Actor(self.platform, self.workspace, self.user_id, self.display_name)


def language(asked: str | None, remembered: str | None, *, fallback: str) -> str:
    """The page language: ``?lang=``, else the cookie, else ``fallback``."""
    for choice in (asked, remembered):
        if choice in LANGUAGES:
            return str(choice)
    return fallback


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def viewer_for(
    conn: sa.Connection,
    session: Session,
    *,
    settings: Settings,
    asked: str | None,
    remembered: str | None,
    csrf: str,
) -> Viewer | None:
    """The viewer a session is (None when its workspace key is not one Baton writes)."""
    platform_name, _, workspace = session.ws.partition(":")
    try:
        platform = Platform(platform_name)
    except ValueError:
        return None
    prefs = users.get(conn, ws=session.ws, user_id=session.user_id) or users.UserPrefs()
    fallback = prefs.locale or prefs.profile_locale or settings.language
    return Viewer(
        session=session,
        platform=platform,
        workspace=workspace,
        display_name=prefs.display_name,
        admin=session.user_id in settings.admins,
        locale=language(asked, remembered, fallback=fallback),
        tz=_zone(prefs.tz or prefs.profile_tz, settings.timezone),
        csrf=csrf,
    )


def duration(seconds: float | None, t: Callable[..., str]) -> str:
    """``45 min``, ``5.2 h``, ``3.5 d`` (or a dash for none), in the page's language."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return t("web.dur_minutes", n=round(seconds / 60))
    if seconds < 2 * 86400:
        return t("web.dur_hours", n=f"{seconds / 3600:.1f}")
    return t("web.dur_days", n=f"{seconds / 86400:.1f}")


def translate(translator: Translator, locale: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``locale``."""

    def t(key: str, /, **values: object) -> str:
        return translator.t(key, locale, **values)

    return t
