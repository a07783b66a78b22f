"""How a task is shown: one line for lists and boards, a card with its buttons, and the direct
message new owners get; always in the reader's language and time zone."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx
from bot.events import Actor, Target
from bot.replies import Button, Card, Field, Reply
from commands.timefmt import day_time
from storage import tasks
from storage.tasks import TaskRow


def owners_text(ctx: Ctx, task: TaskRow) -> str:
    """Owners as mention tokens, or "nobody"."""
    return ", ".join(mentions.token(u) for u in task.owners) or ctx.t("tasks.nobody")


def due_text(ctx: Ctx, task: TaskRow) -> str:
    """The due date in the reader's zone, marked when overdue."""
    if task.due_at is None:
        return ctx.t("tasks.no_due")
    text = day_time(task.due_at, ctx.tz, ctx.locale)
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
    if task.deleted_at is not None:
        parts.append(ctx.t("tasks.status_deleted", number=task.number))
    return " · ".join(parts)


def _status(ctx: Ctx, task: TaskRow) -> str:
    """The column, or that the task is deleted (and how to bring it back)."""
    if task.deleted_at is not None:
        return ctx.t("tasks.status_deleted", number=task.number)
    return task.column


def card(ctx: Ctx, task: TaskRow, *, extra: tuple[Field, ...] = ()) -> Card:
    """The task as a card with Start / Done / Snooze buttons (those that still make sense)."""
    priority = {1: "tasks.priority_high", -1: "tasks.priority_low"}.get(
        task.priority, "tasks.priority_normal"
    )
    fields = [
        Field(ctx.t("tasks.field_owner"), owners_text(ctx, task)),
        Field(ctx.t("tasks.field_due"), due_text(ctx, task)),
        Field(ctx.t("tasks.field_status"), _status(ctx, task)),
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
