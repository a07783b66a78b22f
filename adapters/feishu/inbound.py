"""Feishu/Lark events (as plain dicts) into Baton's ``Inbound``: who, where, what, which button.

Pure functions, no SDK. Mentions arrive as ``@_user_N`` placeholders in the text with a ``mentions``
list resolving them; they become ``<@open_id>`` tokens (the bot's own is removed, ``@_all`` stays plain
text). Everything else the user typed goes through ``mentions.inert`` first, so typed ``<@x>`` is no
token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.feishu.render import is_person_id
from bot import mentions
from bot.events import Actor, ButtonAction, Inbound, Media, Platform, Quote, Target

_PLACEHOLDER = re.compile(r"@_user_\d{1,4}|@_all")
_SPACES = re.compile(r"[ \t]{2,}")
_POST_TEXT_TAGS = frozenset({"text", "a", "code_block", "md"})
# What a message without words carried, by Feishu's ``message_type``: Feishu gives no transcript
# of a voice message.
MEDIA = {"audio": Media.VOICE, "image": Media.PICTURE, "file": Media.FILE, "media": Media.FILE}
MAX_QUOTE = 4000
_LINK = re.compile(r"https://[\w.-]+/\S{1,500}$")  # a link Feishu gives, kept only when it is one

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Profile:
    """What the contact API says about a person (empty when the scope is missing)."""

    name: str = ""
    tz: str | None = None
    admin: bool = False  # a tenant manager (administers the whole organisation)


def _obj(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def tenant_of(data: Json) -> str:
    """The tenant (Baton's workspace) an event belongs to."""
    header = _obj(data.get("header"))
    operator = _obj(_obj(data.get("event")).get("operator"))
    return _str(header.get("tenant_key")) or _str(operator.get("tenant_key")) or "default"


def event_id_of(data: Json) -> str:
    """The event's own id (``header.event_id``), the key for dropping redeliveries."""
    return _str(_obj(data.get("header")).get("event_id"))


def sender_of(data: Json) -> str | None:
    """The open_id of a human sender, or None for apps and malformed events."""
    sender = _obj(_obj(data.get("event")).get("sender"))
    if sender.get("sender_type") not in (None, "user"):
        return None
    return _str(_obj(sender.get("sender_id")).get("open_id")) or None


def operator_of(data: Json) -> str | None:
    """The open_id of whoever pressed a card button."""
    return _str(_obj(_obj(data.get("event")).get("operator")).get("open_id")) or None


def _post_text(content: Json) -> str:
    """A rich-text (post) message as plain text; ``at`` elements keep their ``@_user_N`` key."""
    if "content" not in content:  # some payloads wrap the post per language
        content = next((_obj(v) for v in content.values() if isinstance(v, dict)), {})
    lines = [_str(content.get("title"))] if content.get("title") else []
    for paragraph in content.get("content") or []:
        parts: list[str] = []
        for element in paragraph if isinstance(paragraph, list) else []:
            element = _obj(element)
            tag = element.get("tag")
            if tag in _POST_TEXT_TAGS:
                parts.append(_str(element.get("text")))
            elif tag == "at":
                key = _str(element.get("user_id"))
                parts.append(key if key.startswith("@_") else "@" + _str(element.get("user_name")))
        lines.append("".join(parts))
    return "\n".join(lines)


def message_text(message: Json) -> str | None:
    """The text of a ``text`` or ``post`` message with placeholders intact; None for other kinds."""
    try:
        content = _obj(json.loads(_str(message.get("content")) or "{}"))
    except ValueError:
        return None
    kind = message.get("message_type")
    if kind == "text":
        return _str(content.get("text"))
    if kind == "post":
        return _post_text(content)
    return None


def _resolve_mentions(
    text: str, message: Json, *, tenant: str, bot_open_id: str | None
) -> tuple[str, tuple[Actor, ...], bool]:
    """Placeholders → tokens; returns the text, the people mentioned and whether Baton was."""
    by_key: dict[str, Json] = {}
    for mention in message.get("mentions") or []:
        mention = _obj(mention)
        by_key[_str(mention.get("key"))] = mention
    people: dict[str, Actor] = {}
    addressed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal addressed
        mention = by_key.get(match.group(0))
        if mention is None:
            return "@all" if match.group(0) == "@_all" else match.group(0)
        open_id = _str(_obj(mention.get("id")).get("open_id"))
        name = _str(mention.get("name"))
        if bot_open_id and open_id == bot_open_id:
            addressed = True
            return ""
        if not is_person_id(open_id):
            return "@" + (name or "all")
        people.setdefault(open_id, Actor(Platform.FEISHU, tenant, open_id, name))
        return mentions.token(open_id)

    resolved = _PLACEHOLDER.sub(replace, mentions.inert(text))
    lines = (_SPACES.sub(" ", line).strip() for line in resolved.splitlines())
    return "\n".join(lines).strip(), tuple(people.values()), addressed


def _actor(tenant: str, open_id: str, profile: Profile) -> Actor:
    return Actor(
        Platform.FEISHU, tenant, open_id, profile.name, profile.tz, platform_admin=profile.admin
    )


def message_inbound(
    data: Json, *, bot_open_id: str | None, profile: Profile, received_at: datetime
) -> Inbound | None:
    """An ``im.message.receive_v1`` event as an Inbound; None when it is nothing Baton reads."""
    event = _obj(data.get("event"))
    message = _obj(event.get("message"))
    sender = sender_of(data)
    event_id = event_id_of(data)
    raw = message_text(message)
    # A message without words is read in a DM only: in a chat it cannot be addressed to Baton.
    media = (
        MEDIA.get(_str(message.get("message_type"))) if message.get("chat_type") == "p2p" else None
    )
    if sender is None or not event_id or (raw is None and media is None):
        return None
    tenant = tenant_of(data)
    text, people, addressed = _resolve_mentions(
        raw or "", message, tenant=tenant, bot_open_id=bot_open_id
    )
    actor = _actor(tenant, sender, profile)
    if message.get("chat_type") == "p2p":
        source = Target.direct(actor)
        direct = True
    else:
        chat = _str(message.get("chat_id"))
        if not chat:
            return None
        thread = _str(message.get("root_id")) if message.get("thread_id") else ""
        source = Target(Platform.FEISHU, tenant, chat, thread or None)
        direct = addressed
    return Inbound(
        event_id=event_id,
        actor=actor,
        source=source,
        text=text,
        is_direct=direct,
        received_at=received_at,
        mentions=people,
        message_ref=_str(message.get("message_id")) or None,
        thread_root=source.thread or _str(message.get("message_id")) or None,
        media=media,
    )


def parent_of(data: Json) -> str | None:
    """The id of the message an ``im.message.receive_v1`` message replies to, if any."""
    return _str(_obj(_obj(data.get("event")).get("message")).get("parent_id")) or None


def quote_of(message: Json) -> Quote:
    """A message read back from the Open API (``im/v1/messages/:id``) as the message another one
    quotes: its words, with people's placeholders as their names and nothing left that could
    mention anyone; and the link that opens it in Feishu."""
    names = {
        _str(_obj(m).get("key")): _str(_obj(m).get("name")) for m in message.get("mentions") or []
    }
    raw = message_text(message) or ""

    def name(match: re.Match[str]) -> str:
        return "@" + (names.get(match.group(0)) or "all")

    words = _PLACEHOLDER.sub(name, mentions.inert(raw[:MAX_QUOTE]))
    link = _str(message.get("message_app_link"))
    return Quote(
        words.strip(), _str(message.get("message_id")) or None, link if _LINK.match(link) else None
    )


def from_legacy_card(data: Json, event_id: str) -> Json:
    """A click in the legacy card callback format (flat: ``open_id``, ``open_message_id``,
    ``action`` …, no header) in the shape of ``card.action.trigger``, so both are read alike."""
    tenant = _str(data.get("tenant_key"))
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "card.action.trigger",
            "tenant_key": tenant,
        },
        "event": {
            "operator": {"open_id": _str(data.get("open_id")), "tenant_key": tenant},
            "token": _str(data.get("token")),
            "action": _obj(data.get("action")),
            "context": {
                "open_message_id": _str(data.get("open_message_id")),
                "open_chat_id": _str(data.get("open_chat_id")),
            },
        },
    }


def action_inbound(data: Json, *, profile: Profile, received_at: datetime) -> Inbound | None:
    """A ``card.action.trigger`` callback as an Inbound; None when the button is not Baton's."""
    event = _obj(data.get("event"))
    value = _obj(_obj(event.get("action")).get("value"))
    operator = operator_of(data)
    event_id = event_id_of(data)
    action = _str(value.get("a"))
    if operator is None or not event_id or not action:
        return None
    tenant = tenant_of(data)
    context = _obj(event.get("context"))
    actor = _actor(tenant, operator, profile)
    chat = _str(context.get("open_chat_id"))
    source = Target(Platform.FEISHU, tenant, chat) if chat else Target.direct(actor)
    message_ref = _str(context.get("open_message_id")) or None
    return Inbound(
        event_id=event_id,
        actor=actor,
        source=source,
        text="",
        is_direct=True,
        received_at=received_at,
        action=ButtonAction(action, _str(value.get("v")), message_ref),
        message_ref=message_ref,
    )
