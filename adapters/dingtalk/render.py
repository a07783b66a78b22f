"""Baton replies as DingTalk messages: text and markdown bodies, interactive card data, and the
button ids that bring a click back as a ``ButtonAction``.

DingTalk only notifies people listed in ``at.atUserIds`` (and everyone only with ``isAtAll``, which
Baton never sets); the ``@staffId`` in the text is where the client draws the mention. User text is
escaped so that no ``@`` in it can line up with a mention: every ``@`` gets a word joiner after it.

Markdown bodies (cards, and the markdown a card degrades to) escape everything else that has a
meaning there, so nothing a user typed becomes a link, an image (a remote image tells its server
who looked), emphasis, a heading, a quote, a list or a ``<font>`` tag: markdown's punctuation gets a
backslash, and ``](`` and ``<tag`` are also broken with a word joiner, so links, images and tags stay
inert even in a client that shows backslash escapes as typed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot import mentions
from bot.replies import Button, Card, Reply

_JOINER = "\u2060"
_MD_PUNCTUATION = re.compile(r"[\\`*_~\[\]<>|]")
# Block markers at the start of a line: a heading's hashes, a quote, a list item, a rule or a
# setext underline, a numbered item (``12.`` or ``12)`` before a space).
_MD_LINE_START = re.compile(
    r"^([ \t]*)(#+(?=[ \t]|$)|[>+=-]|\d{1,9}(?=[.)](?:[ \t]|$)))", re.MULTILINE
)
_MD_LINK = re.compile(r"\](?=\()")
_MD_TAG = re.compile(r"<(?=[A-Za-z/!?])")
BUTTON_PREFIX = "bt."
MAX_BUTTON_ID = 1024
MAX_QUOTE = 80
_COLORS = {"primary": "blue", "danger": "red"}
_ORDER = ["msgTitle", "staticMsgContent", "msgButtons"]

Namer = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Body:
    """One outgoing message: the webhook form and the OpenAPI ``msgKey``/``msgParam`` form."""

    kind: str  # "text" | "markdown"
    title: str
    text: str
    at_ids: tuple[str, ...]

    def webhook(self) -> dict[str, object]:
        """The ``sessionWebhook`` JSON; ``isAtAll`` is always false."""
        at = {"atUserIds": list(self.at_ids), "isAtAll": False}
        if self.kind == "markdown":
            return {
                "msgtype": "markdown",
                "markdown": {"title": self.title, "text": self.text},
                "at": at,
            }
        return {"msgtype": "text", "text": {"content": self.text}, "at": at}

    def openapi(self) -> tuple[str, dict[str, str]]:
        """``(msgKey, msgParam)`` for the robot send APIs."""
        if self.kind == "markdown":
            return "sampleMarkdown", {"title": self.title, "text": self.text}
        return "sampleText", {"content": self.text}


def escape(text: str) -> str:
    """User-visible text with every ``@`` defused, so it can never become a mention."""
    return text.replace("@", "@" + _JOINER)


def escape_markdown(text: str) -> str:
    """Text for a markdown body: shown as typed, with no link, image, emphasis, heading, quote,
    list or tag it could have formed, and no ``@`` that could line up with a mention."""
    text = _MD_PUNCTUATION.sub(r"\\\g<0>", text)
    text = _MD_LINE_START.sub(lambda m: f"{m.group(1)}{_escape_marker(m.group(2))}", text)
    text = _MD_TAG.sub("<" + _JOINER, _MD_LINK.sub("]" + _JOINER, text))
    return escape(text)


def _escape_marker(marker: str) -> str:
    """A block marker at the start of a line, literal: ``\\#``, ``\\-``, and ``12\\.`` for a
    numbered item (the backslash goes before the ``.`` or ``)`` that follows the number)."""
    return marker + "\\" if marker.isdigit() else "\\" + marker


def render(
    text: str, *, native: bool, name: Namer, markdown: bool = False
) -> tuple[str, tuple[str, ...]]:
    """Mention tokens as DingTalk mentions, everything else escaped; returns text and ids to @.

    ``native`` (session webhook): ``@staffId`` plus the id in ``atUserIds``. Otherwise (OpenAPI
    sample messages and cards, which take no at-list) the person's name as plain text.
    ``markdown``: the text goes into a markdown body, so markdown is escaped too.
    """
    plain = escape_markdown if markdown else escape
    out: list[str] = []
    ids: dict[str, None] = {}
    for piece, uid in mentions.split(text):
        if uid is None:
            out.append(plain(piece))
        elif native:
            out.append(f"@{uid}")
            ids.setdefault(uid, None)
        else:
            out.append("@" + plain(name(uid) or uid))
    return "".join(out), tuple(ids)


def card_markdown(
    card: Card, *, native: bool, name: Namer, heading: bool = True
) -> tuple[str, tuple[str, ...]]:
    """A card as DingTalk markdown: a heading, the body, then ``**label**: value`` lines; only
    Baton's own markup (the heading, the bold labels) is markdown, the text in it never."""
    parts: list[str] = []
    ids: list[str] = []
    if card.body:
        body, found = render(card.body, native=native, name=name, markdown=True)
        parts.append(body)
        ids.extend(found)
    for field in card.fields:
        # Bold opened on one line does not close on the next: a label is kept to one line.
        one_line = " ".join(field.label.split("\n"))
        label = render(one_line, native=False, name=name, markdown=True)[0]
        value, found = render(field.value, native=native, name=name, markdown=True)
        parts.append(f"**{label}**: {value}")
        ids.extend(found)
    if heading and card.title:
        parts.insert(0, "### " + render(card.title, native=False, name=name, markdown=True)[0])
    return "\n\n".join(parts), tuple(dict.fromkeys(ids))


def message_body(reply: Reply, *, native: bool, name: Namer, quote: str = "") -> Body:
    """A reply as a text message, or as markdown when it carries a card."""
    markdown = reply.card is not None
    text, ids = render(reply.text, native=native, name=name, markdown=markdown)
    if quote:
        clipped = quote[:MAX_QUOTE].replace("\n", " ")
        parent = render(clipped, native=False, name=name, markdown=markdown)[0]
        text = f"「{parent}」\n{text}"
    if reply.card is None:
        return Body("text", "", text, ids)
    body, card_ids = card_markdown(reply.card, native=native, name=name)
    title = render(reply.card.title or reply.text[:40], native=False, name=name)[0]
    if reply.card.buttons:
        labels = " · ".join(f"[{escape_markdown(b.label)}]" for b in reply.card.buttons)
        body = f"{body}\n\n{labels}"
    combined = f"{text}\n\n{body}" if text and reply.text != reply.card.title else body
    return Body("markdown", title, combined, tuple(dict.fromkeys((*ids, *card_ids))))


def encode_button(button: Button) -> str:
    """A button id carrying its action and value, so a click needs no server-side lookup."""
    packed = json.dumps([button.action, button.value], ensure_ascii=False, separators=(",", ":"))
    return BUTTON_PREFIX + base64.urlsafe_b64encode(packed.encode()).decode().rstrip("=")


def decode_button(button_id: str) -> tuple[str, str] | None:
    """Inverse of :func:`encode_button`; None for anything Baton did not make."""
    if not button_id.startswith(BUTTON_PREFIX) or len(button_id) > MAX_BUTTON_ID:
        return None
    data = button_id[len(BUTTON_PREFIX) :]
    try:
        packed = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    except (binascii.Error, ValueError):
        return None
    if (
        not isinstance(packed, list)
        or len(packed) != 2
        or not all(isinstance(part, str) for part in packed)
    ):
        return None
    return packed[0], packed[1]


def card_params(reply: Reply, *, name: Namer) -> dict[str, str]:
    """``cardParamMap`` for the interactive card template (every value a string).

    The variables are those of DingTalk's general-purpose AI card template, which dingtalk-stream
    itself uses for cards with callback buttons: ``msgTitle``, ``staticMsgContent`` (markdown),
    ``flowStatus`` (3 = finished) and ``sys_full_json_obj`` holding the buttons, each with
    ``request: true`` so a click is sent back to the app.
    """
    card = reply.card or Card(title="")
    markdown, _ = card_markdown(card, native=False, name=name, heading=False)
    text = render(reply.text, native=False, name=name, markdown=True)[0]
    if text and reply.text != card.title:
        markdown = f"{text}\n\n{markdown}" if markdown else text
    buttons = [
        {
            "text": button.label[:30],
            "color": _COLORS.get(button.style, "gray"),
            "id": encode_button(button),
            "request": True,
        }
        for button in card.buttons
    ]
    layout = {"order": _ORDER, "msgButtons": buttons}
    return {
        "msgTitle": render(card.title, native=False, name=name)[0],
        "staticMsgContent": markdown,
        "flowStatus": "3",
        "sys_full_json_obj": json.dumps(layout, ensure_ascii=False),
    }
