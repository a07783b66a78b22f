"""DingTalk payloads as Baton ``Inbound`` values: robot messages and interactive card clicks.

A robot message's ``atUsers`` are the people it @mentioned (``staffId`` is the user id Baton uses;
the robot itself appears with only its ``dingtalkId`` and is dropped). Their ``@Name`` in the text
becomes a ``<@staffId>`` token; everything else the user typed is made inert first, so typed text
can never turn into a token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters.dingtalk.render import decode_button
from bot import mentions
from bot.events import Actor, ButtonAction, Inbound, Media, Platform, Quote, Target

GROUP = "2"
MAX_TEXT = 20000
# What a message without words carried, by DingTalk's ``msgtype``.
MEDIA = {
    "audio": Media.VOICE,
    "picture": Media.PICTURE,
    "file": Media.FILE,
    "video": Media.FILE,
}


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def message_text(msg: Any) -> str:
    """The words of a text or rich-text message, or what DingTalk heard in a voice message (its
    ``recognition``); other kinds carry none."""
    if msg.message_type == "text" and msg.text is not None:
        return str(msg.text.content or "")
    if msg.message_type == "richText" and msg.rich_text_content is not None:
        return "".join(str(item.get("text", "")) for item in msg.rich_text_content.rich_text_list)
    if msg.message_type == "audio":
        return str(_obj(msg.extensions.get("content")).get("recognition") or "")
    return ""


def quoted(msg: Any) -> Quote | None:
    """The message a text message replies to (DingTalk's ``text.repliedMsg``: its words and id;
    DingTalk gives no link to a message)."""
    extra = _obj(getattr(msg.text, "extensions", None)) if msg.text is not None else {}
    replied = _obj(extra.get("repliedMsg"))
    if not extra.get("isReplyMsg") or not replied:
        return None
    content = _obj(replied.get("content"))
    words = str(content.get("text") or "") or "".join(
        str(_obj(item).get("text") or "") for item in content.get("richText") or []
    )
    ref = str(replied.get("msgId") or "") or None
    return Quote(mentions.inert(words[:MAX_TEXT]).strip(), ref)


def mentioned_ids(msg: Any) -> list[str]:
    """Staff ids of the people a message @mentioned, without the robot itself."""
    found: dict[str, None] = {}
    for user in msg.at_users or []:
        if user.staff_id and user.dingtalk_id != msg.chatbot_user_id:
            found.setdefault(str(user.staff_id), None)
    return list(found)


def _tokenise(text: str, staff_id: str, name: str) -> str:
    """Replace the first ``@Name`` (or ``@staffId``) with the token; append it when absent."""
    token = mentions.token(staff_id)
    for written in (f"@{name}" if name else "", f"@{staff_id}"):
        if written and written in text:
            return text.replace(written, token, 1)
    return f"{text.rstrip()} {token}"


def message_inbound(
    msg: Any, *, workspace: str, now: datetime, names: Mapping[str, str]
) -> Inbound:
    """A robot message (Stream callback data or HTTP body, parsed by ``ChatbotMessage``)."""
    corp = str(msg.chatbot_corp_id or msg.sender_corp_id or workspace)
    user_id = str(msg.sender_staff_id or msg.sender_id or "")
    # isAdmin: DingTalk says the sender administers the organisation the robot serves.
    actor = Actor(
        Platform.DINGTALK,
        corp,
        user_id,
        str(msg.sender_nick or ""),
        platform_admin=msg.is_admin is True,
    )
    text = mentions.inert(message_text(msg)[:MAX_TEXT])
    people = []
    for staff_id in mentioned_ids(msg):
        name = names.get(staff_id, "")
        text = _tokenise(text, staff_id, name)
        people.append(Actor(Platform.DINGTALK, corp, staff_id, name))
    group = str(msg.conversation_type) == GROUP
    if group:
        source = Target(Platform.DINGTALK, corp, str(msg.conversation_id))
    else:
        source = Target.direct(actor)
    return Inbound(
        event_id=str(msg.message_id),
        actor=actor,
        source=source,
        text=text.strip(),
        # Groups deliver only messages that @mention the robot; one-to-one chats are all for it.
        is_direct=bool(msg.is_in_at_list) or not group,
        received_at=now,
        mentions=tuple(people),
        message_ref=str(msg.message_id),
        thread_root=str(msg.message_id),  # no threads: a reply quotes the message
        media=MEDIA.get(str(msg.message_type)),
        quoted=quoted(msg),
    )


def _button_in(content: Mapping[str, Any]) -> tuple[str, str] | None:
    """Find the clicked button: Baton's encoded id among the action ids or parameters, or a
    template that passes ``action``/``value`` parameters itself."""
    private = content.get("cardPrivateData") or {}
    params = private.get("params") or {}
    if not isinstance(params, dict):
        params = {}
    candidates = [*(private.get("actionIds") or []), *params.values()]
    for candidate in candidates:
        if isinstance(candidate, str) and (decoded := decode_button(candidate)):
            return decoded
    action = params.get("action")
    if isinstance(action, str) and action:
        return action, str(params.get("value", ""))
    return None


def card_inbound(
    data: Mapping[str, Any], *, event_id: str, workspace: str, now: datetime, name: str
) -> Inbound | None:
    """A card button click (topic ``/v1.0/card/instances/callback``); None if not Baton's."""
    try:
        content = json.loads(data.get("content") or "{}")
    except ValueError:
        return None
    if not isinstance(content, dict):
        return None
    button = _button_in(content)
    user_id = str(data.get("userId") or "")
    out_track_id = str(data.get("outTrackId") or "")
    if button is None or not user_id or not out_track_id:
        return None
    corp = str(data.get("corpId") or workspace)
    actor = Actor(Platform.DINGTALK, corp, user_id, name)
    space_id = str(data.get("spaceId") or "")
    if data.get("spaceType") == "IM_GROUP" and space_id:
        source = Target(Platform.DINGTALK, corp, space_id)
    else:
        source = Target.direct(actor)
    return Inbound(
        event_id=f"card:{event_id}",
        actor=actor,
        source=source,
        text="",
        is_direct=True,
        received_at=now,
        action=ButtonAction(button[0], button[1], out_track_id),
    )
