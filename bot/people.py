"""Who people are to Baton: their language and time zone, from their own setting, their platform
profile, or the team default (in that order), cached per process."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from bot.events import Actor
from bot.i18n import normalise_locale
from storage import users
from storage.users import UserPrefs


def has_cjk(text: str) -> bool:
    """True when ``text`` contains a Chinese character."""
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


def zone(name: str | None, default: str) -> ZoneInfo:
    """The zone called ``name``, or the team default when unset or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(default)


def choose_locale(prefs: UserPrefs, *, spoken: str | None, text: str, default: str) -> str:
    """The reply language: the person's own setting; else Chinese when they wrote Chinese (a strong
    signal); else their platform profile; else the language of the command word (English command
    words are typed by everyone, so they only count without a profile); else the team default."""
    if prefs.locale:
        return prefs.locale
    if spoken == "zh" or has_cjk(text):
        return "zh"
    return prefs.profile_locale or spoken or default


class People:
    """A per-process cache of user settings in front of the ``users`` table.

    The cache is an instance owned by the app, not module state; a second Baton process sees a
    changed ``tz``/``lang`` after its own cache entry is refreshed on the person's next profile change
    or restart, which is acceptable for display preferences.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], UserPrefs] = {}

    def observe(self, conn: sa.Connection, actor: Actor, now: datetime) -> UserPrefs:
        """The actor's settings, recording their display name and profile hints when new or changed."""
        key = (actor.ws, actor.user_id)
        stored = self._cache.get(key) or users.get(conn, ws=actor.ws, user_id=actor.user_id)
        known = stored or UserPrefs()
        wanted = UserPrefs(
            display_name=actor.display_name or known.display_name,
            tz=known.tz,
            locale=known.locale,
            profile_tz=actor.tz or known.profile_tz,
            profile_locale=normalise_locale(actor.locale) or known.profile_locale,
        )
        if wanted != stored:
            users.save(conn, ws=actor.ws, user_id=actor.user_id, prefs=wanted, now=now)
        self._cache[key] = wanted
        return wanted

    def lookup(self, conn: sa.Connection, *, ws: str, user_id: str) -> UserPrefs:
        """Someone else's settings (for a DM in *their* language and zone)."""
        cached = self._cache.get((ws, user_id))
        if cached is None:
            # Someone Baton has not met yet is remembered with empty settings too; ``observe``
            # replaces the entry the first time they write.
            cached = users.get(conn, ws=ws, user_id=user_id) or UserPrefs()
            self._cache[(ws, user_id)] = cached
        return cached

    def reader(
        self, conn: sa.Connection, *, ws: str, user_id: str, locale: str, tz: str
    ) -> tuple[str, ZoneInfo]:
        """Language and zone to address ``user_id`` in, with the team defaults ``locale``/``tz``."""
        prefs = self.lookup(conn, ws=ws, user_id=user_id)
        return prefs.locale or prefs.profile_locale or locale, zone(
            prefs.tz or prefs.profile_tz, tz
        )

    def update(
        self, conn: sa.Connection, *, ws: str, user_id: str, prefs: UserPrefs, now: datetime
    ) -> None:
        """Store changed settings and refresh the cache."""
        users.save(conn, ws=ws, user_id=user_id, prefs=prefs, now=now)
        self._cache[(ws, user_id)] = prefs

    def forget(self) -> None:
        """Drop the cache (after a rollback, rows it saw may not exist)."""
        self._cache.clear()
