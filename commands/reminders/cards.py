"""The messages task reminders send, one per recipient and tick: a single task as a card with its
buttons, several as one list with buttons per task, so a morning never brings a dozen messages.

The same task shows the same figures to everyone: days overdue are whole days since the due moment,
rounded up (a zone cannot change them), and a channel, read across zones, sees the zone with each
time. Labels and formatted dates are cached per tick, because a morning tick renders tens of
thousands of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import mentions
from bot.i18n import Translator
from bot.replies import Button, Card, Reply
from commands.reminders.rules import OwnerRule
from commands.timefmt import spoken

_LABELS = ("btn_done", "btn_start", "btn_snooze_hour", "btn_snooze_tomorrow")
BUTTON_TASKS = 5  # tasks of a list that get their own buttons (two each)


@dataclass(frozen=True, slots=True)
class Item:
    """One task in a reminder message: its heading, what is due when, and its buttons."""

    title: str
    body: str
    buttons: tuple[Button, ...] = ()


def overdue_days(due_at: datetime, now: datetime) -> int:
    """Whole days since ``due_at``, rounded up: the same figure in every zone."""
    return max(1, math.ceil((now - due_at) / timedelta(days=1)))


class Cards:
    """Renders reminder messages in each reader's language and zone."""

    def __init__(self, translator: Translator, now: datetime) -> None:
        self._t = translator
        self._now = now
        self._labels: dict[str, tuple[str, ...]] = {}
        self._moments: dict[tuple[datetime, str, str, bool], str] = {}

    def owner_item(
        self, due_at: datetime, rule: OwnerRule, locale: str, tz: ZoneInfo, number: int, name: str
    ) -> Item:
        """An owner's reminder of one task: what is due when, with Done / Start / Snooze."""
        t = self._t.t
        when = self.moment(due_at, tz, locale)
        if rule.days < 0:
            days = self.days(overdue_days(due_at, self._now), locale)
            body = t("reminders.overdue", locale, days=days, when=when)
        elif rule.days > 0:
            body = t("reminders.due_in", locale, days=self.days(rule.days, locale), when=when)
        else:
            key = "reminders.due_today" if due_at > self._now else "reminders.due_passed"
            body = t(key, locale, time=f"{due_at.astimezone(tz):%H:%M}")
        title = t("reminders.card_title", locale, number=number, title=mentions.inert(name))
        done, start, hour, tomorrow = self.labels(locale)
        n = str(number)
        buttons = (
            Button(done, "task.done", n, "primary"),
            Button(start, "task.start", n),
            Button(hour, "task.snooze", f"{n}|1h"),
            Button(tomorrow, "task.snooze", f"{n}|tomorrow 9:00"),
        )
        return Item(title, body, buttons)

    def overdue_item(
        self,
        key: str,
        due_at: datetime,
        owners: str,
        locale: str,
        tz: ZoneInfo,
        number: int,
        name: str,
    ) -> Item:
        """A note about an overdue task (the channel, with the zone; the creator; the admins)."""
        text = self._t.t(
            key,
            locale,
            owners=owners,
            number=number,
            title=mentions.inert(name),
            days=self.days(overdue_days(due_at, self._now), locale),
            when=self.moment(due_at, tz, locale, zoned=key == "reminders.channel_overdue"),
        )
        return Item("", text)

    def message(self, items: Sequence[Item], locale: str) -> Reply:
        """One message for everything a recipient gets this tick."""
        if len(items) == 1:
            item = items[0]
            if not item.title:
                return Reply(item.body)
            card = Card(title=item.title, body=item.body, buttons=item.buttons)
            return Reply(f"{item.title}\n{item.body}", card=card)
        key = "reminders.group_title" if items[0].title else "reminders.group_notes"
        header = self._t.t(key, locale, count=len(items))
        lines = [
            f"• {item.title} — {item.body}" if item.title else f"• {item.body}" for item in items
        ]
        buttons = tuple(
            Button(f"{button.label} {number}", button.action, button.value, button.style)
            for item in items[:BUTTON_TASKS]
            if item.buttons
            for button, number in zip(
                (item.buttons[0], item.buttons[3]), (_number(item),) * 2, strict=True
            )
        )
        if len(items) > BUTTON_TASKS and buttons:
            lines.append(self._t.t("reminders.group_more", locale))
        body = "\n".join(lines)
        if not buttons:
            return Reply(f"{header}\n{body}")
        return Reply(f"{header}\n{body}", card=Card(title=header, body=body, buttons=buttons))

    def days(self, count: int, locale: str) -> str:
        """``1 day``, ``2 days``, ``3 天``."""
        key = "reminders.days_one" if count == 1 else "reminders.days_other"
        return self._t.t(key, locale, count=count)

    def labels(self, locale: str) -> tuple[str, ...]:
        """Button labels in ``locale``."""
        found = self._labels.get(locale)
        if found is None:
            found = tuple(self._t.t(f"reminders.{key}", locale) for key in _LABELS)
            self._labels[locale] = found
        return found

    def moment(self, at: datetime, tz: ZoneInfo, locale: str, *, zoned: bool = False) -> str:
        """``at`` formatted for the reader (many tasks share a due time); ``zoned`` names the
        zone, for messages read across zones."""
        key = (at, tz.key, locale, zoned)
        found = self._moments.get(key)
        if found is None:
            found = spoken(at, tz, locale) + (f" ({tz.key})" if zoned else "")
            self._moments[key] = found
        return found


def _number(item: Item) -> str:
    """``#12``: the task a list item's buttons act on (their value starts with its number)."""
    return "#" + item.buttons[0].value.split("|")[0]
