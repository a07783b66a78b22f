"""Slack payloads as ``Inbound`` values: commands, mentions, messages, button clicks, shortcuts.

Slack text arrives escaped, with mentions as ``<@U…>`` (or ``<@U…|name>``), broadcasts as
``<!channel>``, channels as ``<#C…|name>`` and links as ``<url|label>``. Only user mentions become
core mention tokens; everything else is unescaped into plain text made inert, so a typed
``<@U1>`` or ``<!here>`` can never come back out as a ping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.slack.render import parse_action_id
from bot import mentions
from bot.events import Actor, ButtonAction, Inbound, Media, Platform, Target

Json = dict[str, Any]
_ANGLE = re.compile(r"<([^<>]*)>")
SLASH_COMMANDS = {
    "/task": "task",
    "/faq": "faq",
    "/ask": "ask",
    "/standup": "standup",
    "/remind": "remind",
}
SHORTCUT_ID = "create_task"
MAX_TITLE = 150  # characters of a message that become a task's title by the shortcut
TITLE_LIMIT = 200  # the longest title Baton stores, the link back included
# Message subtypes that are a person talking: a file shared with a caption is read as its caption.
PERSON_SUBTYPES = frozenset({"file_share"})


@dataclass(frozen=True, slots=True)
class Profile:
    """What ``users.info`` says about a person."""

    name: str = ""
    tz: str | None = None
    locale: str | None = None
    admin: bool = False  # a workspace admin or owner


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _angle(inner: str) -> str:
    """The plain-text reading of one ``<…>`` sequence that is not a user mention."""
    body, _, label = inner.partition("|")
    if body.startswith("!"):
        name = body[1:].split("^")[0]
        return "@" + (label or name)
    if body.startswith("#"):
        return "#" + (label or body[1:])
    return f"{label} ({body})" if label and label != body else body


def to_core_text(text: str, *, bot_user_id: str | None = None) -> tuple[str, list[str]]:
    """Slack text → core text with mention tokens, and the people mentioned (not the bot)."""
    out: list[str] = []
    people: list[str] = []
    pos = 0
    for match in _ANGLE.finditer(text):
        out.append(mentions.inert(_unescape(text[pos : match.start()])))
        inner = match.group(1)
        if inner.startswith("@"):
            uid = inner[1:].partition("|")[0]
            if uid and uid == bot_user_id:
                pass  # talking to Baton: not part of the command
            elif uid and uid.lower() not in mentions.BROADCAST_IDS:
                out.append(mentions.token(uid))
                people.append(uid)
            else:
                out.append(mentions.inert(_unescape(_angle(inner))))
        else:
            out.append(mentions.inert(_unescape(_angle(inner))))
        pos = match.end()
    out.append(mentions.inert(_unescape(text[pos:])))
    return " ".join("".join(out).split(" ")).strip(), people


def _actor(team: str, user: str, profile: Profile) -> Actor:
    return Actor(
        Platform.SLACK, team, user, profile.name, profile.tz, profile.locale, profile.admin
    )


def command_inbound(body: Json, *, profile: Profile, now: datetime) -> Inbound:
    """A slash command: ``/task add x`` → ``/task add x``; ``/baton help`` → ``/help``. The slash
    stays (routing ignores it): it marks the text as a command even while a conversation such as
    a standup is waiting for answers."""
    command = str(body.get("command", "")).strip().lower()
    text, people = to_core_text(str(body.get("text", "")))
    prefix = SLASH_COMMANDS.get(command)
    text = "/" + (f"{prefix} {text}".strip() if prefix else text)
    team = str(body.get("team_id", ""))
    return Inbound(
        event_id=f"cmd:{body.get('trigger_id') or body.get('response_url')}",
        actor=_actor(team, str(body.get("user_id", "")), profile),
        source=Target(Platform.SLACK, team, str(body.get("channel_id", ""))),
        text=text,
        is_direct=True,
        received_at=now,
        mentions=tuple(Actor(Platform.SLACK, team, uid) for uid in people),
        reply_url=_reply_url(body),
    )


def _reply_url(body: Json) -> str | None:
    """The ``response_url`` Slack gave with a command, shortcut or click."""
    return str(body.get("response_url") or "") or None


def _media(event: Json, *, caption: str) -> Media | None:
    """What the files shared with a message are, by the first one's type. Slack gives bots no
    transcript: a voice clip is read by its caption, like any file, and only one without a caption
    is a voice message Baton cannot hear (never "heard" its caption)."""
    files = event.get("files") or []
    if not files or not isinstance(files[0], dict):
        return None
    kind = str(files[0].get("mimetype") or "")
    if kind.startswith("image/"):
        return Media.PICTURE
    return Media.VOICE if kind.startswith("audio/") and not caption else Media.FILE


def message_inbound(
    body: Json, *, bot_user_id: str | None, profile: Profile, now: datetime
) -> Inbound | None:
    """An ``app_mention`` or ``message`` event (a file shared with a caption is its caption); None
    for bot messages, edits and other subtypes."""
    event: Json = body.get("event") or {}
    subtype = event.get("subtype")
    if event.get("bot_id") or (subtype and subtype not in PERSON_SUBTYPES):
        return None
    if not event.get("user"):
        return None
    if event.get("user") == bot_user_id:
        return None
    team = str(body.get("team_id") or event.get("team") or "")
    mention = event.get("type") == "app_mention"
    direct = mention or event.get("channel_type") == "im"
    if (
        event.get("type") == "message"
        and not direct
        and bot_user_id
        and f"<@{bot_user_id}" in str(event.get("text", ""))
    ):
        return None  # the app_mention event for the same message handles it
    text, people = to_core_text(str(event.get("text", "")), bot_user_id=bot_user_id)
    thread = event.get("thread_ts")
    return Inbound(
        event_id=str(body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"),
        actor=_actor(team, str(event["user"]), profile),
        source=Target(
            Platform.SLACK, team, str(event.get("channel", "")), str(thread) if thread else None
        ),
        text=text,
        is_direct=direct,
        received_at=now,
        mentions=tuple(Actor(Platform.SLACK, team, uid) for uid in people),
        message_ref=f"{event.get('channel')}:{event.get('ts')}",
        thread_root=str(thread or event.get("ts") or "") or None,
        media=_media(event, caption=text),
    )


def action_inbound(body: Json, *, profile: Profile, now: datetime) -> Inbound | None:
    """A ``block_actions`` click on a Baton button; None for buttons Baton did not make."""
    actions = body.get("actions") or []
    if not actions:
        return None
    action: Json = actions[0]
    name = parse_action_id(str(action.get("action_id", "")))
    if name is None:
        return None
    user: Json = body.get("user") or {}
    team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    container: Json = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    message_ts = container.get("message_ts")
    ref = f"{channel}:{message_ts}" if channel and message_ts else None
    if container.get("is_ephemeral") and body.get("response_url"):
        ref = str(body["response_url"])  # ephemeral messages are updated through response_url
    actor = _actor(team, str(user.get("id", "")), profile)
    if channel and container.get("type") != "view":
        thread = ((body.get("message") or {}).get("thread_ts")) or None
        source = Target(Platform.SLACK, team, channel, thread)
    else:
        source = Target.direct(actor)
    key = f"{message_ts or container.get('view_id')}:{action.get('action_ts')}:{actor.user_id}"
    return Inbound(
        event_id=f"act:{key}",
        actor=actor,
        source=source,
        text="",
        is_direct=True,
        received_at=now,
        action=ButtonAction(name, str(action.get("value", "")), ref),
        reply_url=_reply_url(body),
    )


def shortcut_inbound(body: Json, *, profile: Profile, permalink: str, now: datetime) -> Inbound:
    """The "Create task from message" shortcut: ``task add <message text> <link back>``."""
    message: Json = body.get("message") or {}
    team = str((body.get("team") or {}).get("id") or "")
    text, _people = to_core_text(str(message.get("text", "")))
    # The link back always fits: the words give way to it, up to Baton's title limit.
    room = max(min(MAX_TITLE, TITLE_LIMIT - len(permalink) - 1), 0)
    title = " ".join(text.split())[:room] or "(no text)"
    channel = str((body.get("channel") or {}).get("id") or "")
    return Inbound(
        event_id=f"cmd:{body.get('trigger_id')}",
        actor=_actor(team, str((body.get("user") or {}).get("id", "")), profile),
        source=Target(Platform.SLACK, team, channel),
        text=f"task add {title} {permalink}".strip(),
        is_direct=True,
        received_at=now,
        message_ref=f"{channel}:{message.get('ts')}",
        reply_url=_reply_url(body),
    )


def home_inbound(body: Json, *, profile: Profile, now: datetime) -> Inbound | None:
    """App Home opened: the ``home.open`` action for that person."""
    event: Json = body.get("event") or {}
    if event.get("tab", "home") != "home" or not event.get("user"):
        return None
    actor = _actor(str(body.get("team_id") or ""), str(event["user"]), profile)
    event_id = str(body.get("event_id") or f"home:{event['user']}:{event.get('event_ts')}")
    return home_for(actor, event_id, now)


def home_for(actor: Actor, event_id: str, now: datetime) -> Inbound:
    """The ``home.open`` action for ``actor`` (its replies become their Home tab)."""
    return Inbound(
        event_id=event_id,
        actor=actor,
        source=Target.direct(actor),
        text="",
        is_direct=True,
        received_at=now,
        action=ButtonAction("home.open"),
    )


def permalink_fallback(channel: str, ts: str) -> str:
    """A link back to a message without asking Slack (``chat.getPermalink`` failed)."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
