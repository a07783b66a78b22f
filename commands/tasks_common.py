"""Shared pieces of the task commands: the router, argument parsing, lookups, permissions and
how a task is shown (text line and card), always in the reader's language and time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import mentions
from bot.context import Ctx, Refusal
from bot.events import Actor, Target
from bot.replies import Button, Card, Field, Reply
from bot.routing import Router
from commands.parsing import parse_when
from storage import tasks
from storage.tasks import TaskRow

router = Router("tasks")

TITLE_LIMIT = 200
NOTE_LIMIT = 2000
_TOKEN = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|\S+')
_QUOTES = {'"': '"', "“": "”", "「": "」"}
_DUE_PREFIXES = ("due:", "截止:", "到期:")
_PRIORITIES = {"!high": 1, "!高": 1, "!urgent": 1, "!紧急": 1, "!low": -1, "!低": -1}
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}
MAX_DUE_WORDS = 4


@dataclass
class TaskSpec:
    """What ``task add`` was asked to create."""

    title: str = ""
    owners: list[str] = field(default_factory=list)
    due_text: str | None = None
    due_at: datetime | None = None
    priority: int = 0
    tags: list[str] = field(default_factory=list)


def words(text: str) -> list[str]:
    """Split on spaces, keeping quoted phrases whole."""
    return _TOKEN.findall(text)


def unquote(word: str) -> str:
    """A quoted phrase without its quotes."""
    if len(word) >= 2 and _QUOTES.get(word[0]) == word[-1]:
        return word[1:-1]
    return word


def plain_mentions(text: str, names: dict[str, str]) -> str:
    """Mention tokens left in free text become plain ``@name`` (never a live mention)."""
    return mentions.MENTION_RE.sub(lambda m: f"@{names.get(m.group(1), m.group(1))}", text)


def names_of(ctx: Ctx) -> dict[str, str]:
    """Display names of the people mentioned in this message."""
    return {a.user_id: a.name for a in ctx.inbound.mentions}


def parse_spec(ctx: Ctx, args: str) -> TaskSpec:
    """Read ``<title> [@owner ...] [due:<when>] [!high|!low] [#tag ...]``; raises Refusal when the
    due date cannot be read, so nothing is created."""
    spec = TaskSpec()
    title: list[str] = []
    parts = words(args)
    i = 0
    while i < len(parts):
        word = parts[i]
        lower = word.lower()
        prefix = next((p for p in _DUE_PREFIXES if lower.startswith(p)), None)
        if prefix is not None:
            i = _read_due(ctx, spec, parts, i, word[len(prefix) :])
            continue
        ids = mentions.mentioned_ids(word)
        if ids and mentions.MENTION_RE.fullmatch(word):
            spec.owners.extend(u for u in ids if u not in spec.owners)
        elif lower in _PRIORITIES:
            spec.priority = _PRIORITIES[lower]
        elif word.startswith("#") and len(word) > 1 and not word[1:].isdigit():
            spec.tags.append(word[1:].lower()[:40])
        else:
            title.append(unquote(word))
        i += 1
    spec.title = plain_mentions(" ".join(title).strip(), names_of(ctx))
    return spec


def _read_due(ctx: Ctx, spec: TaskSpec, parts: list[str], i: int, first: str) -> int:
    """Take the longest run of words after ``due:`` that reads as a time; returns the next index."""
    start = [first] if first else []
    following = parts[i + 1 : i + 1 + MAX_DUE_WORDS]
    for extra in range(len(following), -1, -1):
        phrase = " ".join([*start, *following[:extra]]).strip()
        if not phrase:
            continue
        when = parse_when(phrase, now=ctx.now, tz=ctx.tz)
        if when is not None:
            spec.due_text, spec.due_at = phrase, when.at
            return i + 1 + extra
    raise Refusal("tasks.bad_due", when=(" ".join([*start, *following[:1]]) or "?")[:60])


def number_of(word: str) -> int | None:
    """``12`` or ``#12`` → 12."""
    digits = word.lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def load(ctx: Ctx, word: str, *, example: str, deleted_ok: bool = False) -> TaskRow:
    """The task a command names, or a polite refusal."""
    number = number_of(word)
    if number is None:
        raise Refusal("tasks.need_number", example=example)
    task = tasks.get(ctx.conn, ws=ctx.ws, number=number)
    if task is None:
        raise Refusal("tasks.not_found", number=number)
    if task.deleted_at is not None and not deleted_ok:
        raise Refusal("tasks.deleted_hint", number=number)
    return task


def split_number(ctx: Ctx, args: str, example: str) -> tuple[TaskRow, str]:
    """``<n> rest…`` → (task, rest)."""
    head, _, rest = args.strip().partition(" ")
    return load(ctx, head, example=example), rest.strip()


def may_manage(ctx: Ctx, task: TaskRow) -> bool:
    """Creator, owners and admins may reassign or delete."""
    me = ctx.actor.user_id
    return ctx.is_admin or me == task.creator_id or me in task.owners


def require_manage(ctx: Ctx, task: TaskRow, what: str) -> None:
    """Refuse, saying why, unless the actor may manage ``task``."""
    if not may_manage(ctx, task):
        raise Refusal("tasks.forbidden", what=ctx.t(f"tasks.what_{what}"), number=task.number)


def check_title(title: str) -> None:
    """Refuse over-long titles before anything is written."""
    if len(title) > TITLE_LIMIT:
        raise Refusal("tasks.title_too_long", length=len(title), limit=TITLE_LIMIT)


def fmt_time(moment: datetime, tz: ZoneInfo, locale: str) -> str:
    """A moment as the reader reads it; end-of-day due dates show as a date only."""
    local = moment.astimezone(tz)
    day = f"{local:%Y-%m-%d} {_WEEKDAYS.get(locale, _WEEKDAYS['en'])[local.weekday()]}"
    if (local.hour, local.minute) == (23, 59):
        return day
    return f"{day} {local:%H:%M}"


def owners_text(ctx: Ctx, task: TaskRow) -> str:
    """Owners as mention tokens, or "nobody"."""
    return ", ".join(mentions.token(u) for u in task.owners) or ctx.t("tasks.nobody")


def due_text(ctx: Ctx, task: TaskRow) -> str:
    """The due date in the reader's zone, marked when overdue."""
    if task.due_at is None:
        return ctx.t("tasks.no_due")
    text = fmt_time(task.due_at, ctx.tz, ctx.locale)
    if task.done_at is None and task.due_at < ctx.now:
        text += f" ({ctx.t('tasks.overdue_mark')})"
    return text


def line(ctx: Ctx, task: TaskRow) -> str:
    """One task on one line, for lists and boards."""
    title = mentions.inert(task.title)
    parts = [f"#{task.number} {title}"]
    if task.owners:
        parts.append(owners_text(ctx, task))
    if task.due_at is not None:
        parts.append(due_text(ctx, task))
    if task.priority:
        parts.append(
            "!" + ctx.t("tasks.priority_high" if task.priority > 0 else "tasks.priority_low")
        )
    parts.append(f"[{task.column}]")
    return " · ".join(parts)


def card(ctx: Ctx, task: TaskRow, *, extra: tuple[Field, ...] = ()) -> Card:
    """The task as a card with Start / Done / Snooze buttons (those that still make sense)."""
    priority = {1: "tasks.priority_high", -1: "tasks.priority_low"}.get(
        task.priority, "tasks.priority_normal"
    )
    fields = [
        Field(ctx.t("tasks.field_owner"), owners_text(ctx, task)),
        Field(ctx.t("tasks.field_due"), due_text(ctx, task)),
        Field(ctx.t("tasks.field_status"), task.column),
        Field(ctx.t("tasks.field_priority"), ctx.t(priority)),
    ]
    if task.tags:
        fields.append(Field(ctx.t("tasks.field_tags"), " ".join(f"#{t}" for t in task.tags)))
    buttons: list[Button] = []
    if task.done_at is None and task.deleted_at is None:
        config = tasks.board(ctx.conn, channel=task.channel)
        value = str(task.number)
        if task.column != config.started:
            buttons.append(Button(ctx.t("tasks.button_start"), "task.start", value))
        buttons.append(Button(ctx.t("tasks.button_done"), "task.done", value, "primary"))
        buttons.append(Button(ctx.t("tasks.button_snooze"), "task.snooze", value))
    title = f"#{task.number} {mentions.inert(task.title)}"
    return Card(title=title, fields=(*fields, *extra), buttons=tuple(buttons))


def show(ctx: Ctx, task: TaskRow, key: str, *, new: bool = False, **values: object) -> Reply:
    """A reply with message ``key`` and the task's card; a button press updates the card it was on
    in place, unless ``new`` (a task created from another feature's card)."""
    action = ctx.inbound.action
    edit = action.message_ref if action is not None and not new else None
    return Reply(ctx.t(key, **values), card=card(ctx, task), edit_ref=edit)


def notify_owners(ctx: Ctx, task: TaskRow, new_owners: list[str]) -> list[Reply]:
    """A direct message to each new owner other than the actor, in their own language."""
    replies = []
    for owner in new_owners:
        if owner == ctx.actor.user_id:
            continue
        locale, _ = ctx.reader(owner)
        who = Actor(ctx.actor.platform, ctx.actor.workspace, owner)
        text = ctx.translator.t(
            "tasks.assigned_dm",
            locale,
            by=mentions.token(ctx.actor.user_id),
            number=task.number,
            title=mentions.inert(task.title),
        )
        replies.append(Reply(text, to=Target.direct(who)))
    return replies
