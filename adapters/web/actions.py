"""Changes made on the dashboard become the chat commands the person would have typed.

Each runs as them (their own platform identity), in the board's channel, through the sink the
adapter was handed: the same permissions, WIP limits, history (recorded "via web") and
notifications to others as in chat. The replies meant for the person are shown on the page;
everything addressed elsewhere (a direct message to a new owner) goes out through the outbox.

Commands are written in the page's language, so the reply comes back in it too (the chat answers
in the language a command was typed in, unless the person set their own).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from adapters.web.viewer import Viewer
from bot import mentions
from bot.events import Actor, Inbound, Target
from bot.replies import Reply
from bot.sink import Sink
from storage import users

TEXT_LIMIT = 2000  # longer text is refused before it becomes a command
_COMMANDS = {
    "move": {"en": "task move {number} {column}", "zh": "任务 移动 {number} {column}"},
    "check": {"en": "task check {number} {position}", "zh": "任务 清单 {number} {position}"},
    "check_add": {"en": "task check add {number} {text}", "zh": "任务 清单 添加 {number} {text}"},
    "note": {"en": "task note {number} {text}", "zh": "任务 备注 {number} {text}"},
    "add": {"en": "task add {text}", "zh": "新建任务 {text}"},
}
# ``@name`` as people type it, as the console reads it: not inside a word or a broken token.
_AT_NAME = re.compile(r"(?<![\w<\u2060])@([\w.\-]{1,64})", re.UNICODE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Typed:
    """Text a person typed on a page, made safe to hand to Baton: would-be mention tokens broken,
    ``@name`` of someone Baton knows turned into a mention of them."""

    text: str
    mentioned: tuple[Actor, ...] = ()


def command(kind: str, locale: str, **values: object) -> str:
    """The chat command for a change, in ``locale`` (English when it has no other)."""
    spelled = _COMMANDS[kind]
    return spelled.get(locale, spelled["en"]).format(**values)


def typed(conn: sa.Connection, viewer: Viewer, text: str) -> Typed:
    """What ``viewer`` typed, on one line, with the people it names resolved in their workspace
    (by display name, or by user id); a name Baton does not know stays text."""
    found: dict[str, Actor] = {}

    def resolve(match: re.Match[str]) -> str:
        name = match.group(1)
        known = users.get(conn, ws=viewer.ws, user_id=name)
        user_id = name if known is not None else users.find_by_name(conn, ws=viewer.ws, name=name)
        if user_id is None or user_id.lower() in mentions.BROADCAST_IDS:
            return match.group(0)
        found[user_id] = Actor(viewer.platform, viewer.workspace, user_id, name)
        return mentions.token(user_id)

    line = _SPACES.sub(" ", text).strip()
    return Typed(_AT_NAME.sub(resolve, mentions.inert(line)), tuple(found.values()))


def message(
    viewer: Viewer, channel: str, text: str, now: datetime, mentioned: tuple[Actor, ...] = ()
) -> Inbound:
    """The command ``text`` as ``viewer`` sending it in ``channel``, from the web."""
    return Inbound(
        event_id=f"web-{uuid.uuid4().hex}",
        actor=viewer.actor(),
        source=Target.parse(channel),
        text=text,
        is_direct=True,
        received_at=now,
        mentions=mentioned,
        via="web",
    )


async def run(sink: Sink, inbound: Inbound) -> list[Reply]:
    """Run one command; the replies for the person are returned to show, the rest delivered."""
    answered = await sink.answer(inbound, inline=lambda reply: reply.to is None)
    await sink.deliver(answered.later)
    return list(answered.inline)
