"""Platform-neutral outbound vocabulary: what Baton says, and the card and buttons it shows.

Every ``Reply`` has plain ``text`` that any platform can show; a ``Card`` is rendered natively where the
platform has cards (Block Kit, Feishu interactive cards, DingTalk cards) and degrades to text elsewhere.
Text may contain ``<@USER_ID>`` mention tokens; everything else in it is inert user-visible text that
adapters escape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
class Reply:
    """One message Baton sends.

    ``to=None`` answers where the message came from. ``edit_ref`` names a platform message to update
    in place (a card after its button was pressed). ``ephemeral`` replies are shown only to the actor
    where the platform supports it.
    """

    text: str
    card: Card | None = None
    to: Target | None = None
    ephemeral: bool = False
    edit_ref: str | None = None

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
        data = {
            "text": self.text,
            "card": card,
            "ephemeral": self.ephemeral,
            "edit_ref": self.edit_ref,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, to: Target | None = None) -> Reply:
        """Inverse of :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        card_data = data.pop("card")
        card = None
        if card_data is not None:
            card = Card(
                title=card_data["title"],
                body=card_data["body"],
                fields=tuple(Field(**f) for f in card_data["fields"]),
                buttons=tuple(Button(**b) for b in card_data["buttons"]),
            )
        return cls(card=card, to=to, **data)
