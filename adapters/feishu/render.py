"""Baton replies as Feishu/Lark message content: text with ``<at>`` mentions, schema 2.0 cards.

Pure functions, no SDK: the adapter sends what these return. Everything a user could have typed is
escaped, so echoed text can never become an ``@all``, a mention, a link or card markup: in text
messages every ``<tag`` and ``](`` is broken with an invisible word joiner; in card markdown every character with a
meaning (``< > * _ ~ [ ] # ` &``) becomes an HTML entity, which card markdown decodes for display.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot import mentions
from bot.replies import Button, Card, Reply

# Feishu ids (open_id ``ou_…``, user_id) are short and alphanumeric; anything else is not a person.
_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_TAG_START = re.compile(r"<(?=[A-Za-z/!])")
_LINK = re.compile(r"\]\(")
_JOINER = "\u2060"
_MD_SPECIAL = re.compile(r"[&<>*_~\[\]#`]")
_STYLES = {"primary": "primary", "danger": "danger"}
MAX_TEXT = 30_000  # characters of a text message (the request limit is 150 KB)
MAX_CARD_TEXT = 6_000  # characters per card block: a whole card must stay under 30 KB

WORKING_TOAST = {"type": "info", "content": "Working…", "i18n": {"zh_cn": "处理中…"}}


def is_person_id(user_id: str) -> bool:
    """True when ``user_id`` can be rendered as a mention (never a broadcast id such as ``all``)."""
    return bool(_ID_RE.match(user_id)) and user_id.lower() not in mentions.BROADCAST_IDS


def escape_text(text: str) -> str:
    """Plain text for a ``text`` message: tags (``<at user_id="all">``) and ``[links](…)`` can no
    longer form."""
    return _LINK.sub("]" + _JOINER + "(", _TAG_START.sub("<" + _JOINER, text))


def escape_markdown(text: str) -> str:
    """Plain text for card markdown: every markup character as an entity."""
    return _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", text)


def text_with_mentions(text: str) -> str:
    """Reply text for a ``text`` message: tokens become ``<at user_id="…"></at>``, the rest escaped."""
    out: list[str] = []
    for plain, uid in mentions.split(text):
        if uid is None:
            out.append(escape_text(plain))
        elif is_person_id(uid):
            out.append(f'<at user_id="{uid}"></at>')
        else:
            out.append(escape_text(mentions.token(uid)))
    return "".join(out)


def markdown_with_mentions(text: str) -> str:
    """Reply text for card markdown: tokens become ``<at id=…></at>``, the rest escaped."""
    out: list[str] = []
    for plain, uid in mentions.split(text):
        if uid is None:
            out.append(escape_markdown(plain))
        elif is_person_id(uid):
            out.append(f"<at id={uid}></at>")
        else:
            out.append(escape_markdown(mentions.token(uid)))
    return "".join(out)


def plain(text: str) -> str:
    """Text for places that show no mentions (titles, button labels, previews): ``@id`` instead."""
    return "".join(p if uid is None else f"@{uid}" for p, uid in mentions.split(text))


def text_content(reply: Reply) -> str:
    """The ``content`` JSON string of a ``text`` message."""
    return json.dumps({"text": text_with_mentions(reply.text[:MAX_TEXT])}, ensure_ascii=False)


def card(reply: Reply) -> dict[str, Any]:
    """A schema 2.0 interactive card for ``reply``; a reply without a card becomes a plain one
    (Feishu can only update cards in place)."""
    shown = reply.card or Card(title="")
    elements: list[dict[str, Any]] = []
    if reply.text and reply.text != shown.title:
        elements.append(_markdown(reply.text))
    if shown.body:
        elements.append(_markdown(shown.body))
    if shown.fields:
        lines = (
            f"**{markdown_with_mentions(f.label)}**: {markdown_with_mentions(f.value)}"
            for f in shown.fields
        )
        elements.append({"tag": "markdown", "content": "\n".join(lines)})
    if shown.buttons:
        elements.append(_button_row(shown.buttons))
    data: dict[str, Any] = {
        "schema": "2.0",
        "config": {"update_multi": True, "summary": {"content": plain(reply.text)[:100]}},
        "body": {"elements": elements},
    }
    if shown.title:
        data["header"] = {"title": {"tag": "plain_text", "content": plain(shown.title)[:200]}}
    return data


def card_content(reply: Reply) -> str:
    """The ``content`` JSON string of an ``interactive`` message."""
    return json.dumps(card(reply), ensure_ascii=False)


def button_value(button: Button) -> dict[str, str]:
    """What a button carries back in ``card.action.trigger`` (Feishu requires an object)."""
    return {"a": button.action, "v": button.value}


def toast(text: str) -> dict[str, Any]:
    """A success toast showing the first line of ``text``."""
    first = plain(text).strip().splitlines()[0] if text.strip() else "OK"
    return {"type": "success", "content": first[:100]}


def _markdown(text: str) -> dict[str, Any]:
    return {"tag": "markdown", "content": markdown_with_mentions(text[:MAX_CARD_TEXT])}


def _button_row(buttons: tuple[Button, ...]) -> dict[str, Any]:
    columns = [
        {
            "tag": "column",
            "width": "auto",
            "elements": [
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": plain(b.label)[:40]},
                    "type": _STYLES.get(b.style, "default"),
                    "behaviors": [{"type": "callback", "value": button_value(b)}],
                }
            ],
        }
        for b in buttons
    ]
    return {"tag": "column_set", "flex_mode": "flow", "columns": columns}
