"""How a task is shown: one line for lists and boards, a card with its buttons, and the direct
message new owners get; always in the reader's language and time zone.

The line and the card are drawn for a ``View``: the person writing (a ``Ctx`` is one), or someone a
rule or a webhook tells about a task (a ``Reading`` in their language and zone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot import mentions
from bot.context import Ctx
from bot.events import Target
from bot.i18n import Translator
from bot.replies import Button, Card, Field, Reply
from bot.signals import Raised
from commands.tasks.columns import board_of
from commands.timefmt import day_time
from storage import tasks
from storage.tasks import TaskRow

# History lines written by Baton itself on behalf of a rule, a webhook or a recurring task carry
# an actor id of this form instead of a person's: ``baton:rule:3``.
_AUTOMATED = "baton:"
_AUTOMATED_KEYS = {"rule": "tasks.by_rule", "hook": "tasks.by_hook", "series": "tasks.by_series"}


class View(Protocol):
    """Whom a task is shown to: their language and zone, now, and the database to read from."""

    @property
    def conn(self) -> sa.Connection: ...

    @property
    def now(self) -> datetime: ...

    @property
    def locale(self) -> str: ...

    @property
    def tz(self) -> ZoneInfo: ...

    def t(self, key: str, /, **values: object) -> str: ...


@dataclass(frozen=True, slots=True)
class Reading:
    """A ``View`` for someone other than the writer (a person a rule notifies, a channel)."""

    conn: sa.Connection
    now: datetime
    locale: str
    tz: ZoneInfo
    translator: Translator

    def t(self, key: str, /, **values: object) -> str:
        """Message ``key`` in this reader's language."""
        return self.translator.t(key, self.locale, **values)


def team_reading(raised: Raised) -> Reading:
    """A channel as a ``View``: the team's language and zone."""
    locale, tz = raised.team
    return Reading(raised.conn, raised.now, locale, tz, raised.translator)


def person_reading(raised: Raised, *, ws: str, user_id: str) -> Reading:
    """One person as a ``View``: their own language and zone."""
    locale, tz = raised.reader(ws=ws, user_id=user_id)
    return Reading(raised.conn, raised.now, locale, tz, raised.translator)


def automated(kind: str, number: int) -> str:
    """The actor id of Baton acting for rule / hook / series ``number``."""
    return f"{_AUTOMATED}{kind}:{number}"


def who(view: View, actor_id: str) -> str:
    """Who did something, as history shows it: a person's mention, or "rule 3" for Baton."""
    kind, _, number = actor_id.removeprefix(_AUTOMATED).partition(":")
    if actor_id.startswith(_AUTOMATED) and kind in _AUTOMATED_KEYS:
        return view.t(_AUTOMATED_KEYS[kind], number=number)
    return mentions.token(actor_id)


def owners_text(view: View, task: TaskRow) -> str:
    """Owners as mention tokens, or "nobody"."""
    return ", ".join(mentions.token(u) for u in task.owners) or view.t("tasks.nobody")


def due_text(view: View, task: TaskRow) -> str:
    """The due date in the reader's zone, marked when overdue."""
    if task.due_at is None:
        return view.t("tasks.no_due")
    text = day_time(task.due_at, view.tz, view.locale)
    if task.done_at is None and task.due_at < view.now:
        text += f" ({view.t('tasks.overdue_mark')})"
    return text


def line(view: View, task: TaskRow) -> str:
    """One task on one line, for lists and boards."""
    title = mentions.inert(task.title)
    parts = [f"#{task.number} {title}"]
    if task.owners:
        parts.append(owners_text(view, task))
    if task.due_at is not None:
        parts.append(due_text(view, task))
    if task.priority:
        parts.append(
            "!" + view.t("tasks.priority_high" if task.priority > 0 else "tasks.priority_low")
        )
    parts.append(f"[{task.column}]")
    if task.deleted_at is not None:
        parts.append(view.t("tasks.status_deleted", number=task.number))
    return " · ".join(parts)


def _status(view: View, task: TaskRow) -> str:
    """The column, or that the task is deleted (and how to bring it back)."""
    if task.deleted_at is not None:
        return view.t("tasks.status_deleted", number=task.number)
    return task.column


def card(
    view: View, task: TaskRow, *, extra: tuple[Field, ...] = (), buttons: bool = True
) -> Card:
    """The task as a card with Start / Done / Snooze buttons (those that still make sense, and
    none without ``buttons``: a card shown where pressing them would be refused)."""
    priority = {1: "tasks.priority_high", -1: "tasks.priority_low"}.get(
        task.priority, "tasks.priority_normal"
    )
    fields = [
        Field(view.t("tasks.field_owner"), owners_text(view, task)),
        Field(view.t("tasks.field_due"), due_text(view, task)),
        Field(view.t("tasks.field_status"), _status(view, task)),
        Field(view.t("tasks.field_priority"), view.t(priority)),
    ]
    if task.tags:
        fields.append(Field(view.t("tasks.field_tags"), " ".join(f"#{t}" for t in task.tags)))
    title = f"#{task.number} {mentions.inert(task.title)}"
    pressed = _buttons(view, task) if buttons else ()
    return Card(title=title, fields=(*fields, *extra), buttons=pressed)


def _buttons(view: View, task: TaskRow) -> tuple[Button, ...]:
    """Start (unless started), Done and Snooze, for a task still open."""
    if task.done_at is not None or task.deleted_at is not None:
        return ()
    config = (
        board_of(view, task.channel)
        if isinstance(view, Ctx)
        else tasks.board(view.conn, channel=task.channel)
    )
    value = str(task.number)
    found: list[Button] = []
    if task.column != config.started:
        found.append(Button(view.t("tasks.button_start"), "task.start", value))
    found.append(Button(view.t("tasks.button_done"), "task.done", value, "primary"))
    found.append(Button(view.t("tasks.button_snooze"), "task.snooze", value))
    return tuple(found)


def show(ctx: Ctx, task: TaskRow, key: str, *, new: bool = False, **values: object) -> Reply:
    """A reply with message ``key`` and the task's card; a button press updates the card it was on
    in place, unless ``new`` (a task created from another feature's card)."""
    action = ctx.inbound.action
    edit = action.message_ref if action is not None and not new else None
    return Reply(ctx.t(key, **values), card=card(ctx, task), edit_ref=edit)


def notify_owners(ctx: Ctx, task: TaskRow, new_owners: list[str]) -> list[Reply]:
    """A direct message to each new owner other than the actor, in their own language."""
    return owner_dms(
        task, new_owners, by=ctx.actor.user_id, reading=lambda user: _reading_for(ctx, user)
    )


def _reading_for(ctx: Ctx, user_id: str) -> Reading:
    """Another person of this workspace as a ``View`` (for a message to them)."""
    locale, tz = ctx.reader(user_id)
    return Reading(ctx.conn, ctx.now, locale, tz, ctx.translator)


def owner_dms(
    task: TaskRow, owners: Iterable[str], *, by: str, reading: Callable[[str], Reading]
) -> list[Reply]:
    """A direct message to each of ``owners`` that ``by`` (a person, or Baton for a rule or a
    webhook) gave them ``task``, in their own language; ``by`` is not told about themselves."""
    board = Target.parse(task.channel)
    replies = []
    for owner in owners:
        if owner == by:
            continue
        view = reading(owner)
        text = view.t(
            "tasks.assigned_dm",
            by=who(view, by),
            number=task.number,
            title=mentions.inert(task.title),
        )
        replies.append(Reply(text, to=Target(board.platform, board.workspace, user=owner)))
    return replies
