"""The buttons on task cards (Start, Done, Snooze, and "Create task" from other features' cards)
and the bare ``task`` command."""

from __future__ import annotations

import json
from datetime import timedelta

from rapidfuzz import fuzz

from bot.cjk import has_cjk
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.parsing import parse_when
from commands.tasks.access import load
from commands.tasks.create import create_task, from_quote
from commands.tasks.edit import finish_task, snooze, start_task
from commands.tasks.spec import TaskSpec, plain_mentions
from commands.tasks.views import list_tasks

router = Router("tasks.buttons")


@router.action("task.start")
def press_start(ctx: Ctx, value: str) -> Reply:
    """Start button on a task card."""
    return start_task(ctx, value)


@router.action("task.done")
def press_done(ctx: Ctx, value: str) -> Reply:
    """Done button on a task card."""
    return finish_task(ctx, value)


@router.action("task.snooze")
def presssnooze(ctx: Ctx, value: str) -> Reply:
    """Snooze button: ``<n>`` snoozes a day, ``<n>|<when>`` until that time."""
    number, _, when_text = value.partition("|")
    task = load(ctx, number, example="task snooze 12 1d")
    if when_text:
        return snooze(ctx, task, when_text)
    until = ctx.now + timedelta(days=1)
    return snooze(ctx, task, until.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M"))


@router.action("task.quickadd")
def press_quickadd(ctx: Ctx, value: str) -> list[Reply]:
    """A "Create task" button from another feature: value is JSON {title, owner, due, link}."""
    try:
        data = json.loads(value)
        title = str(data["title"]).strip()
    except (ValueError, KeyError, TypeError) as exc:
        raise Refusal("tasks.no_title") from exc
    owner = data.get("owner")
    due = data.get("due")
    spec = TaskSpec(
        title=plain_mentions(title, {}),
        owners=[owner] if isinstance(owner, str) and owner else [],
    )
    if isinstance(due, str) and due:
        when = parse_when(due, now=ctx.now, tz=ctx.tz)
        spec.due_at = when.at if when else None
    return create_task(ctx, spec)


@router.command("task", "任务", usage="task <subcommand>")
def task_usage(ctx: Ctx, args: str) -> Reply | list[Reply]:
    """Without a subcommand: the open tasks here; in reply to a message, a task made from it.
    zh: 不带子命令时:列出这里未完成的任务;回复或引用一条消息时,用它新建任务。
    """
    if not args.split():
        if ctx.inbound.quoted is not None:
            return create_task(ctx, from_quote(ctx, TaskSpec()))
        return list_tasks(ctx, "")
    chinese = has_cjk(args.split()[0])
    typed = f"{'任务' if chinese else 'task'} {args.strip()}".casefold()
    spellings = {
        alias.casefold(): usage.path
        for usage in ctx.commands
        if usage.group == "task"
        for alias in usage.aliases
        if " " in alias and has_cjk(alias) == chinese
    }
    scored = [(fuzz.ratio(typed[: len(alias)], alias), alias) for alias in spellings]
    score, best = max(scored, default=(0.0, ""))
    word = args.split()[0][:30]
    if score < 70:
        return ctx.tell("tasks.unknown_sub_plain")
    return ctx.tell("tasks.unknown_sub", word=word, suggestion=best)
