"""Platform-neutral inbound vocabulary: who said what, where, and which button they pressed.

Adapters build these frozen values from platform payloads; commands only ever see these, never a
platform SDK object. Mentions travel inside ``Inbound.text`` as ``<@USER_ID>`` tokens (see
:mod:`bot.mentions`) with the resolved people in ``Inbound.mentions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    """The chat platforms Baton speaks to, and ``HOOKS``: the systems that post to its inbound
    webhooks (a delivery is answered in the HTTP response, never sent to)."""

    CONSOLE = "console"
    SLACK = "slack"
    FEISHU = "feishu"
    DINGTALK = "dingtalk"
    HOOKS = "hooks"


@dataclass(frozen=True, slots=True)
class Actor:
    """A person on one platform, optionally with what the platform's profile says about them.

    ``tz`` and ``locale`` are profile hints (Slack ``users.info``, Feishu ``time_zone``); a user's own
    ``tz``/``lang`` setting stored by Baton wins over them. ``platform_admin`` is the platform's
    word that this person administers the workspace or the conversation the message came from
    (Slack ``is_admin``/``is_owner``, DingTalk ``isAdmin``, Feishu ``is_tenant_manager``); it makes
    them a manager of that conversation (``commands.access``), never a Baton admin.
    """

    platform: Platform
    workspace: str
    user_id: str
    display_name: str = ""
    tz: str | None = None
    locale: str | None = None
    platform_admin: bool = False

    @property
    def name(self) -> str:
        """The name to show for this person: the display name, else the user id."""
        return self.display_name or self.user_id

    @property
    def ws(self) -> str:
        """The workspace key (``slack:T01``)."""
        return f"{self.platform.value}:{self.workspace}"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: a channel (optionally a thread in it) or one person directly.

    ``str(target)`` is stable and parseable, so targets are stored as text:
    ``slack:T01/C02``, ``slack:T01/C02/1700000000.1234`` (thread) or ``slack:T01/@U03`` (direct).
    A channel *and* a user (``slack:T01/C02?U03``) means "in that channel, shown to that user only"
    (ephemeral), where the platform supports it.
    """

    platform: Platform
    workspace: str
    channel: str = ""
    thread: str | None = None
    user: str | None = None

    def __post_init__(self) -> None:
        if not self.channel and not self.user:
            raise ValueError("a Target needs a channel or a user")

    @classmethod
    def direct(cls, actor: Actor) -> Target:
        """A direct message to ``actor``; the adapter opens the conversation if needed."""
        return cls(platform=actor.platform, workspace=actor.workspace, user=actor.user_id)

    @property
    def is_direct(self) -> bool:
        """True when this target is one person rather than a channel."""
        return not self.channel

    @property
    def ws(self) -> str:
        """The workspace key (``slack:T01``) that scopes task numbers and settings."""
        return f"{self.platform.value}:{self.workspace}"

    def without_thread(self) -> Target:
        """The same channel, outside any thread and for everyone (the channel a board belongs to)."""
        if not self.channel:
            return Target(self.platform, self.workspace, "", None, self.user)
        return Target(self.platform, self.workspace, self.channel)

    def only_for(self, user_id: str) -> Target:
        """This channel, shown only to ``user_id`` (an ephemeral reply)."""
        return Target(self.platform, self.workspace, self.channel, self.thread, user_id)

    def __str__(self) -> str:
        where = self.channel if self.channel else f"@{self.user}"
        base = f"{self.platform.value}:{self.workspace}/{where}"
        if self.thread:
            base = f"{base}/{self.thread}"
        return f"{base}?{self.user}" if self.channel and self.user else base

    @classmethod
    def parse(cls, text: str) -> Target:
        """Inverse of ``str(target)``."""
        platform, _, rest = text.partition(":")
        workspace, _, rest = rest.partition("/")
        rest, _, only_for = rest.partition("?")
        where, _, thread = rest.partition("/")
        if where.startswith("@"):
            return cls(Platform(platform), workspace, "", thread or None, where[1:])
        return cls(Platform(platform), workspace, where, thread or None, only_for or None)


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """A button press: which action, the value the button carried, and the message it sat on."""

    action: str
    value: str = ""
    message_ref: str | None = None


class Media(StrEnum):
    """What a message carried besides words."""

    VOICE = "voice"
    PICTURE = "picture"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Quote:
    """The message a message replies to or quotes: its words (core text), the platform's id for
    it, and a link back to it where the platform gives one."""

    text: str
    ref: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message (or button press) addressed to Baton, already translated by an adapter.

    ``event_id`` is the platform's own id for the delivery, used to drop redeliveries.
    ``is_direct`` is true for DMs, slash commands and @mentions: the user talked *to* Baton.
    ``thread_root`` is the platform's key for the thread a reply to this message belongs in (the
    thread it is in, or the one it would start), for replies "in the thread"; None where the
    platform has no threads. ``via`` names the way in when the person did not type in the chat
    but acted elsewhere as themselves (``"web"``: the dashboard); history records it.

    ``reply_url`` is an address the platform gave for answering this very message for a short
    while, also where Baton may not post (Slack's ``response_url``); replies carry it in their
    ``Origin``. ``media`` is what the message carried besides words (for a voice message, ``text``
    is the platform's transcript); ``quoted`` the message it replies to or quotes.
    """

    event_id: str
    actor: Actor
    source: Target
    text: str
    is_direct: bool
    received_at: datetime
    mentions: tuple[Actor, ...] = field(default=())
    action: ButtonAction | None = None
    message_ref: str | None = None
    thread_root: str | None = None
    via: str | None = None
    reply_url: str | None = None
    media: Media | None = None
    quoted: Quote | None = None
