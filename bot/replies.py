"""Platform-neutral outbound vocabulary: what Baton says, and the card and buttons it shows.

Every ``Reply`` has plain ``text`` that any platform can show; a ``Card`` is rendered natively where the
platform has cards (Block Kit, Feishu interactive cards, DingTalk cards) and degrades to text elsewhere.
Text may contain ``<@USER_ID>`` mention tokens; everything else in it is inert user-visible text that
adapters escape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.events import Target


@dataclass(frozen=True, slots=True)
class Button:
    """A button that, when pressed, comes back to Baton as ``ButtonAction(action, value)``."""

    label: str
    action: str
    value: str = ""
    style: str = "default"  # "default" | "primary" | "danger"


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value shown on a card (``Owner: @alice``)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Card:
    """A titled block with fields and buttons."""

    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Origin:
    """Whom a reply answers, and how it may reach them: the person who asked (a reply that cannot
    be posted where they asked goes to them directly), the address the platform gave for answering
    that message (``Inbound.reply_url``) and when they asked (such addresses expire)."""

    user: str
    url: str | None = None
    asked_at: datetime | None = None

    def to_dict(self) -> dict[str, str | None]:
        """As stored in the outbox."""
        at = None if self.asked_at is None else self.asked_at.isoformat()
        return {"user": self.user, "url": self.url, "at": at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Origin:
        """Inverse of :meth:`to_dict`."""
        at = data.get("at")
        return cls(str(data["user"]), data.get("url"), datetime.fromisoformat(at) if at else None)


@dataclass(frozen=True, slots=True)
class Reply:
    """One message Baton sends.

    ``to=None`` answers where the message came from. ``edit_ref`` names a platform message to update
    in place (a card after its button was pressed). ``ephemeral`` replies are meant for the actor
    alone (help, a mistake, a refusal): shown only to them where the platform can do so in place,
    otherwise where they asked. ``origin`` (set by the core on every reply to a message) says whom
    a reply answers and how else it may reach them.
    """

    text: str
    card: Card | None = None
    to: Target | None = None
    ephemeral: bool = False
    edit_ref: str | None = None
    origin: Origin | None = None

    def to_json(self) -> str:
        """Serialise for the outbox; ``to`` is stored separately as the row's target.

        Built by hand rather than with ``dataclasses.asdict`` (which deep-copies every value): a
        scheduled burst serialises tens of thousands of replies in one tick.
        """
        card = None
        if self.card is not None:
            c = self.card
            card = {
                "title": c.title,
                "body": c.body,
                "fields": [{"label": f.label, "value": f.value} for f in c.fields],
                "buttons": [
                    {"label": b.label, "action": b.action, "value": b.value, "style": b.style}
                    for b in c.buttons
                ],
            }
        data: dict[str, Any] = {
            "text": self.text,
            "card": card,
            "ephemeral": self.ephemeral,
            "edit_ref": self.edit_ref,
        }
        if self.origin is not None:
            data["origin"] = self.origin.to_dict()
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, to: Target | None = None) -> Reply:
        """Inverse of :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        card_data = data.pop("card")
        origin = data.pop("origin", None)  # absent in rows stored before replies carried it
        card = None
        if card_data is not None:
            card = Card(
                title=card_data["title"],
                body=card_data["body"],
                fields=tuple(Field(**f) for f in card_data["fields"]),
                buttons=tuple(Button(**b) for b in card_data["buttons"]),
            )
        return cls(
            card=card, to=to, origin=None if origin is None else Origin.from_dict(origin), **data
        )
