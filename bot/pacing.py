"""Per-chat pacing for the outbox: how often one conversation may receive a message.

Slack allows about 1 message/s per channel, Feishu 5/s per chat, a DingTalk webhook robot 20/min
(then it throttles for 10 minutes). The pacer remembers, per chat, the earliest moment the next
message may go; the outbox hands a message for a busy chat back to the queue for that moment instead
of sleeping, so one busy channel never holds up the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.events import Platform, Target

PACING: Mapping[Platform, timedelta] = {
    Platform.SLACK: timedelta(seconds=1),
    Platform.FEISHU: timedelta(seconds=0.2),
    Platform.DINGTALK: timedelta(seconds=3),
}
_FORGET_AFTER = 10_000  # chats remembered before those long free are dropped


def chat_key(target: Target) -> str:
    """The conversation a platform's per-chat limit counts: a channel (threads and ephemeral
    messages included) or a direct conversation."""
    where = target.channel or f"@{target.user}"
    return f"{target.platform.value}:{target.workspace}/{where}"


class Pacer:
    """The next free moment of each chat, in this process."""

    def __init__(self, gaps: Mapping[Platform, timedelta] = PACING) -> None:
        self._gaps = dict(gaps)
        self._next_free: dict[str, datetime] = {}

    def busy_until(self, target: Target, now: datetime) -> datetime | None:
        """When ``target``'s chat is free again if it is busy at ``now``; otherwise None, and the
        chat's slot is taken for this message."""
        gap = self._gaps.get(target.platform)
        if gap is None:
            return None
        chat = chat_key(target)
        free = self._next_free.get(chat)
        if free is not None and free > now:
            return free
        self._next_free[chat] = now + gap
        if len(self._next_free) > _FORGET_AFTER:
            self._next_free = {k: v for k, v in self._next_free.items() if v > now}
        return None

    def throttled(self, target: Target, until: datetime) -> None:
        """The platform said the chat is rate-limited until ``until`` (a 429's Retry-After)."""
        self._next_free[chat_key(target)] = until
