"""A rule in words, in the reader's language: ``when moved to shipped → notify @cs``."""

from __future__ import annotations

from bot import mentions
from commands.tasks.render import View
from storage import channel_names
from storage.rules import RuleRow


def describe(view: View, rule: RuleRow) -> str:
    """What ``rule`` does, as a sentence of its trigger and its action."""
    when = view.t(f"automation.when_{rule.trigger}", column=rule.trigger_arg, tag=rule.trigger_arg)
    target = where(view, rule.action_arg, home=rule.channel)
    action = view.t(
        f"automation.do_{rule.action}",
        target=target,
        tag=rule.action_arg,
        column=rule.action_arg,
        title=f" “{mentions.inert(rule.action_text)}”" if rule.action_text else "",
    )
    return f"{when} → {action}"


def where(view: View, address: str, *, home: str) -> str:
    """``@id`` as a mention; ``#<channel key>`` as ``#name`` (or "this channel" for ``home``)."""
    if address.startswith("@"):
        return mentions.token(address[1:])
    channel = address.removeprefix("#")
    if channel == home:
        return view.t("automation.this_channel")
    name = channel_names.name_of(view.conn, channel=channel)
    return f"#{name}" if name else view.t("automation.unnamed_channel")
