"""Platform-neutral inbound events, built the way an adapter would hand them to Baton.

The defaults match the console chat of ``tests.conftest``: alice, in #ops of the console
workspace, at the frozen clock's start. Tests that go through a real adapter build platform
payloads instead (``tests.fakes.slack``, ``tests.fakes.feishu``, ``tests.fakes.dingtalk``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from adapters.console import WORKSPACE
from bot.events import Actor, ButtonAction, Inbound, Platform, Target
from tests.conftest import START

CHANNEL = "ops"


def make_actor(
    user: str = "alice",
    *,
    platform: Platform = Platform.CONSOLE,
    workspace: str = WORKSPACE,
    name: str | None = None,
    tz: str | None = None,
    locale: str | None = None,
    platform_admin: bool = False,
) -> Actor:
    """A person; like the console, shown by their user id unless ``name`` says otherwise;
    ``platform_admin`` when the platform says they administer the workspace or group."""
    display = user if name is None else name
    return Actor(platform, workspace, user, display, tz, locale, platform_admin)


def make_inbound(
    text: str,
    *,
    user: str = "alice",
    channel: str = CHANNEL,
    dm: bool = False,
    thread: str | None = None,
    platform: Platform = Platform.CONSOLE,
    workspace: str = WORKSPACE,
    is_direct: bool = True,
    event_id: str | None = None,
    received_at: datetime = START,
    mentions: tuple[Actor, ...] = (),
    thread_root: str | None = None,
    message_ref: str | None = None,
    action: ButtonAction | None = None,
    platform_admin: bool = False,
) -> Inbound:
    """A message from ``user``: in ``channel`` (a ``thread`` of it), or to Baton directly (``dm``).

    ``is_direct=False`` is a channel message Baton overhears rather than one addressed to it.
    Each call gets a fresh ``event_id`` unless one is given (a redelivery reuses it).
    """
    actor = make_actor(user, platform=platform, workspace=workspace, platform_admin=platform_admin)
    source = Target.direct(actor) if dm else Target(platform, workspace, channel, thread)
    return Inbound(
        event_id=event_id or uuid.uuid4().hex,
        actor=actor,
        source=source,
        text=text,
        is_direct=is_direct,
        received_at=received_at,
        mentions=mentions,
        action=action,
        message_ref=message_ref,
        thread_root=thread_root,
    )


def make_button(
    action: str,
    value: str = "",
    *,
    message_ref: str | None = None,
    user: str = "alice",
    channel: str = CHANNEL,
    dm: bool = False,
    event_id: str | None = None,
    received_at: datetime = START,
) -> Inbound:
    """A press of a button ``action``/``value`` on the message ``message_ref``, as adapters send it:
    no text, addressed to Baton, where the card was (a channel, or the DM with ``dm``)."""
    return make_inbound(
        "",
        user=user,
        channel=channel,
        dm=dm,
        event_id=event_id,
        received_at=received_at,
        action=ButtonAction(action, value, message_ref),
    )
