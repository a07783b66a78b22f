"""Replies as Slack sees them: escaped mrkdwn with native mentions, and Cards as Block Kit.

Every piece of text is escaped (``&``, ``<``, ``>``), so nothing a user typed can become a link, a
user mention or ``<!channel>``; only ``<@USER_ID>`` tokens from the core become native mentions, and
broadcast ids never do (``bot.mentions.split``). Buttons carry Baton's action name in their
``action_id`` (``baton|<action>|<n>``) and its value in ``value``.
"""

from __future__ import annotations

import re
from typing import Any

from bot import mentions
from bot.replies import Card, Reply

Block = dict[str, Any]
ACTION_PREFIX = "baton|"
MAX_TEXT = 3000  # a section's text limit
MAX_FIELD = 2000
MAX_FIELDS = 10  # per section
MAX_BUTTONS = 25  # per actions block
_STYLES = {"primary": "primary", "danger": "danger"}
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")  # a public or private channel, as Slack names them


def escape(text: str) -> str:
    """Slack's three control characters, escaped as Slack's docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Core text (with mention tokens) as Slack text: tokens become ``<@U…>``, all else escaped."""
    return "".join(
        escape(plain) if uid is None else f"<@{uid}>" for plain, uid in mentions.split(text)
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object (Slack renders no mentions in it; mention tokens become names as text)."""
    words = "".join(plain if uid is None else f"@{uid}" for plain, uid in mentions.split(text))
    return {"type": "plain_text", "text": _clip(words or " ", limit), "emoji": True}


def action_id(action: str, index: int) -> str:
    """The ``action_id`` of a button: unique within its block, and naming Baton's action."""
    return f"{ACTION_PREFIX}{action}|{index}"[:255]


def parse_action_id(value: str) -> str | None:
    """Baton's action name from a button's ``action_id``; None for buttons Baton did not make."""
    if not value.startswith(ACTION_PREFIX):
        return None
    action, _, _index = value[len(ACTION_PREFIX) :].rpartition("|")
    return action or None


def card_blocks(card: Card) -> list[Block]:
    """A Card as Block Kit: header, body, fields (10 per section) and one row of buttons."""
    blocks: list[Block] = [{"type": "header", "text": _plain(card.title, 150)}]
    if card.body:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip(mrkdwn(card.body), MAX_TEXT)},
            }
        )
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{escape(f.label)}*\n{mrkdwn(f.value)}", MAX_FIELD)}
        for f in card.fields
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    if card.buttons:
        elements = []
        for index, button in enumerate(card.buttons[:MAX_BUTTONS]):
            element: Block = {
                "type": "button",
                "action_id": action_id(button.action, index),
                "text": _plain(button.label, 75),
                "value": button.value[:2000],
            }
            if button.style in _STYLES:
                element["style"] = _STYLES[button.style]
            elements.append(element)
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def message_args(reply: Reply) -> dict[str, Any]:
    """``chat.postMessage``/``chat.update`` arguments for a reply: text fallback plus blocks.

    ``parse="none"`` and ``link_names=False`` stop Slack from turning typed ``@channel`` into a
    broadcast on its side.
    """
    args: dict[str, Any] = {
        "text": _clip(mrkdwn(reply.text), 40000),
        "parse": "none",
        "link_names": False,
        "unfurl_links": False,
    }
    if reply.card is not None:
        blocks = card_blocks(reply.card)
        if reply.text and reply.text != reply.card.title:
            text_block = {"type": "mrkdwn", "text": _clip(mrkdwn(reply.text), MAX_TEXT)}
            blocks.insert(0, {"type": "section", "text": text_block})
        args["blocks"] = blocks[:50]
    return args


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home tab for a reply (its card, or its text)."""
    blocks = card_blocks(reply.card) if reply.card is not None else []
    if reply.text:
        blocks.insert(
            0,
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip(mrkdwn(reply.text), MAX_TEXT)},
            },
        )
    return {"type": "home", "blocks": blocks[:100]}


def answered_in(args: dict[str, Any], channel: str) -> dict[str, Any]:
    """Message arguments for an answer sent by DM because Baton cannot post in ``channel``: it
    names the conversation it answers (a channel link; a DM has no name to show)."""
    if not _CHANNEL_ID.fullmatch(channel):
        return args
    note = f"↩ <#{channel}>"
    answered = {**args, "text": f"{note}\n{args['text']}"}
    if "blocks" in args:  # the text is then only a fallback: the note is a block of its own
        context = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
        answered["blocks"] = [context, *args["blocks"]][:50]
    return answered
