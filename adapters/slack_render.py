"""Slack text and Block Kit, both ways, without the SDK.

Inbound, Slack's markup (``<@U1>``, ``<!channel>``, ``<https://x|label>``, ``&lt;``) becomes Baton's
neutral text: real user mentions become tokens, broadcasts become plain words, everything the user
typed is made inert. Outbound, tokens become ``<@U1>`` and every other character that Slack reads as
markup (``&``, ``<``, ``>``) is escaped, so text can never ping ``@channel``, ``@here`` or a person.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot import mentions
from bot.replies import Card, Reply

_MARKUP = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|[^>]*)?$")
ACTION_PREFIX = "baton:"
MAX_TEXT = 3000


def unescape(text: str) -> str:
    """Slack's three HTML entities back to characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Characters Slack reads as markup, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_neutral(text: str, *, bot_user_id: str | None) -> tuple[str, list[str]]:
    """Slack message text → Baton text with mention tokens, and the mentioned user ids."""
    out: list[str] = []
    people: list[str] = []
    pos = 0
    for match in _MARKUP.finditer(text):
        out.append(mentions.inert(unescape(text[pos : match.start()])))
        inner = match.group(1)
        user = _USER.match(inner)
        if user and user.group(1) == bot_user_id:
            pass  # the bot's own mention addresses the message; it is not part of the text
        elif user:
            people.append(user.group(1))
            out.append(mentions.token(user.group(1)))
        elif inner.startswith("!"):
            out.append("@" + inner[1:].split("|")[0].split("^")[0])  # a broadcast, as a plain word
        elif inner.startswith("#"):
            out.append("#" + inner.split("|")[-1])
        else:
            url, _, label = inner.partition("|")
            out.append(mentions.inert(unescape(label or url)))
        pos = match.end()
    out.append(mentions.inert(unescape(text[pos:])))
    return " ".join("".join(out).split()), people


def to_mrkdwn(text: str) -> str:
    """Baton text → Slack text: tokens as mentions, everything else escaped."""
    return "".join(
        escape(piece) if uid is None else f"<@{uid}>" for piece, uid in mentions.split(text)
    )[:MAX_TEXT]


def button_value(action: str, value: str) -> str:
    """What a Slack button carries: Baton's action and value."""
    return json.dumps({"a": action, "v": value}, ensure_ascii=False, separators=(",", ":"))


def parse_button(raw: str) -> tuple[str, str] | None:
    """The (action, value) a Baton button carried, or None for anything else."""
    try:
        data = json.loads(raw)
        return str(data["a"]), str(data["v"])
    except (ValueError, KeyError, TypeError):
        return None


def card_blocks(card: Card) -> list[dict[str, Any]]:
    """A card as Block Kit: a header section, the fields, the buttons."""
    head = f"*{to_mrkdwn(card.title)}*"
    if card.body:
        head += "\n" + to_mrkdwn(card.body)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    fields = [
        {"type": "mrkdwn", "text": f"*{to_mrkdwn(f.label)}*\n{to_mrkdwn(f.value)}"[:2000]}
        for f in card.fields
    ]
    for start in range(0, len(fields), 10):
        blocks.append({"type": "section", "fields": fields[start : start + 10]})
    if card.buttons:
        elements = []
        for index, button in enumerate(card.buttons[:25]):
            element: dict[str, Any] = {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}{index}",
                "text": {"type": "plain_text", "text": button.label[:75]},
                "value": button_value(button.action, button.value)[:2000],
            }
            if button.style in ("primary", "danger"):
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def message_payload(reply: Reply) -> dict[str, Any]:
    """``text`` (always: notifications and fallback) and ``blocks`` when there is a card."""
    payload: dict[str, Any] = {"text": to_mrkdwn(reply.text)}
    if reply.card is not None:
        payload["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": payload["text"] or " "}},
            *card_blocks(reply.card),
        ]
    return payload


def home_view(replies: list[Reply]) -> dict[str, Any]:
    """The App Home tab built from replies (their text and cards)."""
    blocks: list[dict[str, Any]] = []
    for reply in replies:
        blocks.extend(
            message_payload(reply).get("blocks", [])
            or [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": to_mrkdwn(reply.text) or " "},
                }
            ]
        )
    return {"type": "home", "blocks": blocks[:100]}
