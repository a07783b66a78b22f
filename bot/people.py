"""Who people are to Baton: their language and time zone, from their own setting, their platform
profile, or the team default (in that order), cached per process."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from bot import mentions
from bot.cjk import count_cjk, has_cjk
from bot.events import Actor
from bot.i18n import normalise_locale
from storage import users
from storage.users import UserPrefs

HABIT_LIMIT = 8  # the habit score stays within ±8: a change of habit shows within a few messages
_SEEN_LIMIT = 10
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def written_language(text: str, *, args: str | None = None) -> str | None:
    """The language a message is mostly written in: ``zh``, ``en``, or None when it says too little
    to tell (a bare command such as ``task list``, whose ``args`` are empty, or a number). Two
    Chinese characters weigh as much as one English word, so one Chinese word in an English
    sentence leaves it English; mentions (names) do not count."""
    if args is not None and not any(c.isalpha() for c in args):
        return None
    plain = mentions.MENTION_RE.sub(" ", text)
    chinese = count_cjk(plain) / 2
    english = len(_LATIN_WORD.findall(plain))
    if chinese > english:
        return "zh"
    return "en" if english > chinese else None


def language_shown(text: str, *, args: str | None, spoken: str | None) -> str | None:
    """The language a message shows its writer uses, for the habit Baton keeps: what it is written
    in; for a message that says too little to tell (a bare ``任务 列表``), Chinese when its command
    word is Chinese. English command words count for nothing: everyone types them."""
    written = written_language(text, args=args)
    if written is None and spoken == "zh":
        return "zh"
    return written


def usual_locale(prefs: UserPrefs) -> str | None:
    """The language to address someone in when no message of theirs says (a button press, a
    picture, a DM or reminder Baton starts): their ``lang`` setting, else the language they mostly
    write to Baton in, else their platform profile's; None when nothing is known."""
    if prefs.locale:
        return prefs.locale
    if prefs.writes:
        return "zh" if prefs.writes > 0 else "en"
    return prefs.profile_locale


def zone(name: str | None, default: str) -> ZoneInfo:
    """The zone called ``name``, or the team default when unset or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(default)


def choose_locale(prefs: UserPrefs, *, spoken: str | None, text: str, default: str) -> str:
    """The reply language: the person's own ``lang`` setting; else Chinese for a message in
    Chinese alone (a Chinese command, a Chinese sentence); else the language they mostly write in,
    so one Chinese word in an English answer does not switch the reply; else this message's
    language; else their platform profile; else the language of the command word (English command
    words are typed by everyone, so they only count without a profile); else the team default."""
    if prefs.locale:
        return prefs.locale
    plain = mentions.MENTION_RE.sub(" ", text)
    if spoken == "zh" or (has_cjk(plain) and not _LATIN_WORD.search(plain)):
        return "zh"
    if prefs.writes:
        return "zh" if prefs.writes > 0 else "en"
    if written_language(text) == "zh":
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

    def observe(
        self, conn: sa.Connection, actor: Actor, now: datetime, *, wrote: str | None = None
    ) -> UserPrefs:
        """The actor's settings, recording their display name and profile hints when new or
        changed, one more message seen, and the language it was written in (``wrote``)."""
        key = (actor.ws, actor.user_id)
        stored = self._cache.get(key) or users.get(conn, ws=actor.ws, user_id=actor.user_id)
        known = stored or UserPrefs()
        vote = {"zh": 1, "en": -1}.get(wrote or "", 0)
        wanted = UserPrefs(
            display_name=actor.display_name or known.display_name,
            tz=known.tz,
            locale=known.locale,
            profile_tz=actor.tz or known.profile_tz,
            profile_locale=normalise_locale(actor.locale) or known.profile_locale,
            writes=max(-HABIT_LIMIT, min(HABIT_LIMIT, known.writes + vote)),
            messages=min(_SEEN_LIMIT, known.messages + 1),
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
        return usual_locale(prefs) or locale, zone(prefs.tz or prefs.profile_tz, tz)

    def update(
        self, conn: sa.Connection, *, ws: str, user_id: str, prefs: UserPrefs, now: datetime
    ) -> None:
        """Store changed settings and refresh the cache."""
        users.save(conn, ws=ws, user_id=user_id, prefs=prefs, now=now)
        self._cache[(ws, user_id)] = prefs

    def forget(self) -> None:
        """Drop the cache (after a rollback, rows it saw may not exist)."""
        self._cache.clear()
