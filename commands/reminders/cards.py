"""The messages task reminders send: the owner's card with its buttons, and the overdue notes for
the channel, the creator and the admins. Labels and formatted dates are cached per tick, because a
morning tick may render tens of thousands of them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import mentions
from bot.i18n import Translator
from bot.replies import Button, Card, Reply
from commands.reminders.rules import OwnerRule
from commands.timefmt import spoken

_LABELS = ("btn_done", "btn_start", "btn_snooze_hour", "btn_snooze_tomorrow")


class Cards:
    """Renders reminder messages in each reader's language and zone."""

    def __init__(self, translator: Translator, now: datetime) -> None:
        self._t = translator
        self._now = now
        self._labels: dict[str, tuple[str, ...]] = {}
        self._moments: dict[tuple[datetime, str, str], str] = {}

    def owner_card(
        self, due_at: datetime, rule: OwnerRule, locale: str, tz: ZoneInfo, number: int, name: str
    ) -> Reply:
        """The owner's reminder: what is due when, with Done / Start / Snooze buttons."""
        t = self._t.t
        if rule.days < 0:
            body = t(
                "reminders.overdue", locale, days=-rule.days, when=self.moment(due_at, tz, locale)
            )
        elif rule.days > 0:
            body = t(
                "reminders.due_in", locale, days=rule.days, when=self.moment(due_at, tz, locale)
            )
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
        return Reply(f"{title}\n{body}", card=Card(title=title, body=body, buttons=buttons))

    def overdue_note(
        self,
        key: str,
        due_at: datetime,
        owners: str,
        days: int,
        locale: str,
        tz: ZoneInfo,
        number: int,
        name: str,
    ) -> Reply:
        """A plain note about an overdue task (channel, creator, admins)."""
        text = self._t.t(
            key,
            locale,
            owners=owners,
            number=number,
            title=mentions.inert(name),
            days=days,
            when=self.moment(due_at, tz, locale),
        )
        return Reply(text)

    def labels(self, locale: str) -> tuple[str, ...]:
        """Button labels in ``locale``."""
        found = self._labels.get(locale)
        if found is None:
            found = tuple(self._t.t(f"reminders.{key}", locale) for key in _LABELS)
            self._labels[locale] = found
        return found

    def moment(self, at: datetime, tz: ZoneInfo, locale: str) -> str:
        """``at`` formatted for the reader (many tasks share a due time)."""
        key = (at, tz.key, locale)
        found = self._moments.get(key)
        if found is None:
            found = spoken(at, tz, locale)
            self._moments[key] = found
        return found
