"""Mention tokens: the one way a person is referred to inside text that crosses the core.

A mention is ``<@USER_ID>``. Adapters turn platform mentions into tokens on the way in and tokens into
platform mentions on the way out; everything else they escape. User-supplied text that is echoed back
goes through :func:`inert`, so text a user typed can never become a mention, let alone ``@all``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Ids are letters of any script (the console names people ``小王``), digits and a few separators.
MENTION_RE = re.compile(r"<@([\w.:$\-+=/]{1,128})>")

# Ids that mean "everyone" on some platform: never rendered as a mention, whatever the source.
BROADCAST_IDS = frozenset({"all", "channel", "here", "everyone", "@all", "!channel", "!here"})

# Plain ``@name`` words: a name the platform did not turn into a mention (nobody it could link).
_PLAIN_AT = re.compile(r"(?<![\w<\u2060])[@＠]([\w.\-]{1,64})")
_EVERYONE = frozenset({"all", "channel", "here", "everyone", "所有人", "全体成员", "全员"})

# U+2060 WORD JOINER: invisible, keeps "<@x>" readable but no longer a token.
_JOINER = "\u2060"


def token(user_id: str) -> str:
    """The mention token for ``user_id``."""
    return f"<@{user_id}>"


def mentioned_ids(text: str) -> list[str]:
    """User ids mentioned in ``text``, in order, without broadcast ids or repeats."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        uid = match.group(1)
        if uid.lower() not in BROADCAST_IDS:
            seen.setdefault(uid, None)
    return list(seen)


def unresolved(text: str) -> list[str]:
    """Names written ``@name`` that are not mentions, in order and once each: people Baton cannot
    resolve, whom a reply should name rather than silently leave out (``@all`` is not a person)."""
    plain = MENTION_RE.sub(" ", text)
    names = (m.group(1) for m in _PLAIN_AT.finditer(plain))
    return list(dict.fromkeys(n for n in names if n.lower() not in _EVERYONE))


def inert(text: str) -> str:
    """``text`` with every would-be mention token broken, for echoing user input safely."""
    return text.replace("<@", "<" + _JOINER + "@")


def split(text: str) -> Iterator[tuple[str, str | None]]:
    """Yield ``(plain, None)`` and ``("", user_id)`` pieces so adapters can render each natively.

    Broadcast ids come back as plain text, so no adapter can ever render them as a mention.
    """
    pos = 0
    for match in MENTION_RE.finditer(text):
        if match.start() > pos:
            yield text[pos : match.start()], None
        uid = match.group(1)
        if uid.lower() in BROADCAST_IDS:
            yield inert(match.group(0)), None
        else:
            yield "", uid
        pos = match.end()
    if pos < len(text):
        yield text[pos:], None
