"""Per-chat pacing for the outbox: how often one conversation may receive a message.

Slack allows about 1 message/s per channel, Feishu 5/s per chat, a DingTalk webhook robot 20/min
(then it throttles for 10 minutes). The pacer remembers, per chat, when the next message may go; the outbox hands a message for a busy chat back to the queue for that moment instead
of sleeping, so one busy channel never holds up the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.events import Platform, Target


@dataclass(frozen=True, slots=True)
class Pace:
    """A chat may receive ``burst`` messages at once, then one per ``gap``."""

    gap: timedelta
    burst: int = 1


# Slack allows short bursts above 1/s per channel; Feishu allows 5 QPS per chat.
# DingTalk allows 20/min per webhook: a conversation may get a short burst (a person typing several
# commands), and the adapter itself moves past its 20th webhook message a minute to the OpenAPI.
PACING: Mapping[Platform, Pace] = {
    Platform.SLACK: Pace(timedelta(seconds=1), burst=3),
    Platform.FEISHU: Pace(timedelta(seconds=0.2), burst=5),
    Platform.DINGTALK: Pace(timedelta(seconds=3), burst=10),
}
_FORGET_AFTER = 10_000  # chats remembered before those long free are dropped


def chat_key(target: Target) -> str:
    """The conversation a platform's per-chat limit counts: a channel (threads and ephemeral
    messages included) or a direct conversation."""
    where = target.channel or f"@{target.user}"
    return f"{target.platform.value}:{target.workspace}/{where}"


class Pacer:
    """Each chat's pace, as a generic cell rate algorithm: per chat, the theoretical moment the
    next message is due (``_due``); a message may go when that is at most ``burst - 1`` gaps ahead."""

    def __init__(self, paces: Mapping[Platform, Pace] = PACING) -> None:
        self._paces = dict(paces)
        self._due: dict[str, datetime] = {}

    def busy_until(self, target: Target, now: datetime) -> datetime | None:
        """When ``target``'s chat may receive a message again if it may not at ``now``; otherwise
        None, and this message counts against the chat."""
        pace = self._paces.get(target.platform)
        if pace is None:
            return None
        chat = chat_key(target)
        due = max(self._due.get(chat, now), now)
        allowed = due - pace.gap * (pace.burst - 1)
        if allowed > now:
            return allowed
        self._due[chat] = due + pace.gap
        if len(self._due) > _FORGET_AFTER:
            self._due = {k: v for k, v in self._due.items() if v > now}
        return None

    def throttled(self, target: Target, until: datetime) -> None:
        """The platform said the chat is rate-limited until ``until`` (a 429's Retry-After)."""
        pace = self._paces.get(target.platform, Pace(timedelta(0)))
        self._due[chat_key(target)] = until + pace.gap * (pace.burst - 1)
