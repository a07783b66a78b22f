"""Task commands that change a task: start, done, move, assign, due, rename, note, checklist,
delete, restore and snooze.

Anyone who can see a task may start, move, comment on, tick and snooze it; renaming, re-dating,
reassigning and deleting are for its creator, its owners, its channel's managers and admins, and
so is forcing it past a WIP limit (``commands.access.rules``). Every change writes a history line.
"""

from __future__ import annotations

from datetime import time

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Card, Reply
from bot.routing import Router
from commands.access.rules import manages
from commands.parsing import parse_when
from commands.tasks import changes
from commands.tasks.access import NOTE_LIMIT, check_title, load, require_manage, split_number
from commands.tasks.columns import board_of, column_of
from commands.tasks.render import notify_owners, show
from commands.tasks.spec import names_of, plain_mentions
from commands.timefmt import day_time
from storage import tasks
from storage.tasks import TaskRow

router = Router("tasks.edit")
_FORCE = ("--force", "!force", "强制")


def move_to(ctx: Ctx, task: TaskRow, column: str, *, force: bool = False) -> TaskRow:
    """Move ``task`` into ``column`` of its board, honouring WIP limits unless forced."""
    config = board_of(ctx, task.channel)
    named = column_of(config, column)
    if named is None:
        raise Refusal(
            "tasks.unknown_column", column=column[:40], columns=", ".join(config.columns)
        )
    column = named
    if column == task.column:
        raise Refusal("tasks.already", number=task.number, column=column)
    limit = config.wip.get(column)
    if limit:
        count = tasks.column_counts(ctx.conn, ws=ctx.ws, channel=task.channel).get(column, 0)
        if count >= limit and not manages(ctx, task.channel):
            raise Refusal("tasks.wip_full_member", column=column, count=count, limit=limit)
        if count >= limit and not force:
            raise Refusal("tasks.wip_full", column=column, count=count, limit=limit)
    moved = changes.move(
        ctx.conn,
        task,
        column,
        by=ctx.actor.user_id,
        now=ctx.now,
        config=config,
        via=ctx.inbound.via,
    )
    ctx.emit(moved)
    return moved.task


def _log(ctx: Ctx, task: TaskRow, kind: str, detail: str = "") -> None:
    """One history line: the actor did ``kind`` to ``task`` now (and how, when not in chat)."""
    tasks.add_event(
        ctx.conn,
        task_id=task.id,
        at=ctx.now,
        actor_id=ctx.actor.user_id,
        kind=kind,
        detail=detail,
        via=ctx.inbound.via,
    )


def _reload(ctx: Ctx, task: TaskRow) -> TaskRow:
    fresh = tasks.get(ctx.conn, ws=ctx.ws, number=task.number)
    assert fresh is not None
    return fresh


def _forced(rest: str) -> tuple[str, bool]:
    words = rest.split()
    force = any(w.lower() in _FORCE for w in words)
    return " ".join(w for w in words if w.lower() not in _FORCE), force


@router.command("task start", "开始任务", "任务 开始", usage="task start <n>")
def start_task(ctx: Ctx, args: str) -> Reply:
    """Move a task to the board's "doing" column.
    zh: 把任务移到看板的“进行中”列。
    """
    number, force = _forced(args)
    task = load(ctx, number, example="task start 12")
    config = board_of(ctx, task.channel)
    task = move_to(ctx, task, config.started, force=force)
    return show(ctx, task, "tasks.moved", number=task.number, column=task.column)


@router.command("task done", "完成任务", "任务 完成", usage="task done <n>")
def finish_task(ctx: Ctx, args: str) -> Reply:
    """Mark a task done (its board's last column).
    zh: 把任务标记为完成(看板的最后一列)。
    """
    number, force = _forced(args)
    task = load(ctx, number, example="task done 12")
    config = board_of(ctx, task.channel)
    task = move_to(ctx, task, config.done, force=force)
    reply = show(ctx, task, "tasks.done", number=task.number)
    return Reply(reply.text, card=_done_card(ctx, reply), edit_ref=reply.edit_ref)


def _done_card(ctx: Ctx, reply: Reply) -> Card:
    assert reply.card is not None
    body = ctx.t("tasks.done_by", who=mentions.token(ctx.actor.user_id))
    return Card(reply.card.title, body, reply.card.fields, reply.card.buttons)


@router.command("task move", "移动任务", "任务 移动", usage="task move <n> <column> [--force]")
def move_task(ctx: Ctx, args: str) -> Reply:
    """Move a task to another column (refused when the column is full, unless a manager forces).
    zh: 把任务移到另一列(该列已满时会被拒绝,频道管理员可加 --force 强制)。
    """
    rest, force = _forced(args)
    task, column = split_number(ctx, rest, "task move 12 doing")
    if not column:
        raise Refusal("tasks.need_text", example=f"task move {task.number} doing")
    task = move_to(ctx, task, column.lower(), force=force)
    return show(ctx, task, "tasks.moved", number=task.number, column=task.column)


@router.command(
    "task assign", "指派任务", "任务 指派", "任务 分配", usage="task assign <n> @user [@user ...]"
)
def assign_task(ctx: Ctx, args: str) -> list[Reply]:
    """Give a task to someone else (creator, owners, managers, admins); they get a direct message.
    zh: 把任务指派给别人(仅创建人、负责人、频道管理员或管理员),对方会收到私信。
    """
    task, rest = split_number(ctx, args, "task assign 12 @alice")
    owners = mentions.mentioned_ids(rest)
    if not owners:
        if left := ctx.left_out(rest):
            return left
        raise Refusal("tasks.need_owner", number=task.number)
    require_manage(ctx, task, "assign")
    previous = set(task.owners)
    task = changes.assign(
        ctx.conn, task, owners, by=ctx.actor.user_id, now=ctx.now, names=names_of(ctx)
    )
    who = ", ".join(mentions.token(u) for u in owners)
    added = [u for u in owners if u not in previous]
    return [
        show(ctx, task, "tasks.assigned", number=task.number, owners=who),
        *notify_owners(ctx, task, added),
        *ctx.left_out(rest),
    ]


@router.command("task due", "任务 截止", "设置截止", usage="task due <n> <when>|none")
def set_due(ctx: Ctx, args: str) -> Reply:
    """Set or clear (none) a task's due date, read in your time zone (creator, owners, managers).
    zh: 设置或清除(无)任务的截止时间,按您的时区理解(创建人、负责人、频道管理员)。
    """
    task, rest = split_number(ctx, args, "task due 12 fri")
    require_manage(ctx, task, "due")
    if rest.lower() in ("none", "clear", "-", "无", "清除"):
        tasks.update(ctx.conn, task_id=task.id, now=ctx.now, due_at=None)
        _log(ctx, task, "due", "-")
        return show(ctx, _reload(ctx, task), "tasks.due_cleared", number=task.number)
    when = parse_when(rest, now=ctx.now, tz=ctx.tz)
    if when is None:
        raise Refusal("tasks.bad_due", when=rest[:60] or "?")
    tasks.update(ctx.conn, task_id=task.id, now=ctx.now, due_at=when.at)
    _log(ctx, task, "due", when.at.isoformat())  # shown in each reader's zone by task show
    due = day_time(when.at, ctx.tz, ctx.locale)
    return show(ctx, _reload(ctx, task), "tasks.due_set", number=task.number, due=due)


@router.command("task rename", "任务 重命名", "任务 改名", usage="task rename <n> <new title>")
def rename_task(ctx: Ctx, args: str) -> Reply:
    """Give a task a new title (creator, owners, managers, admins).
    zh: 给任务改一个新标题(创建人、负责人、频道管理员或管理员)。
    """
    task, rest = split_number(ctx, args, "task rename 12 New title")
    require_manage(ctx, task, "rename")
    title = plain_mentions(rest, names_of(ctx))
    if not title:
        raise Refusal("tasks.need_text", example=f"task rename {task.number} New title")
    check_title(title)
    tasks.update(ctx.conn, task_id=task.id, now=ctx.now, title=title)
    detail = f"{task.title} → {title}"[:4000]
    _log(ctx, task, "renamed", detail)
    return show(
        ctx, _reload(ctx, task), "tasks.renamed", number=task.number, title=mentions.inert(title)
    )


@router.command("task note", "任务 备注", "备注任务", usage="task note <n> <text>")
def note_task(ctx: Ctx, args: str) -> Reply:
    """Add a note to a task's history.
    zh: 给任务添加一条备注。
    """
    task, rest = split_number(ctx, args, "task note 12 Supplier confirmed")
    note = plain_mentions(rest, names_of(ctx))
    if not note:
        raise Refusal("tasks.need_text", example=f"task note {task.number} Supplier confirmed")
    if len(note) > NOTE_LIMIT:
        raise Refusal("tasks.note_too_long", length=len(note), limit=NOTE_LIMIT)
    _log(ctx, task, "note", note)
    return ctx.say("tasks.noted", number=task.number)


@router.command("task check add", "任务 清单 添加", "清单 添加", usage="task check add <n> <item>")
def add_check(ctx: Ctx, args: str) -> Reply:
    """Add an item to a task's checklist.
    zh: 给任务的清单添加一项。
    """
    task, rest = split_number(ctx, args, "task check add 12 Call supplier")
    item = plain_mentions(rest, names_of(ctx))
    if not item:
        raise Refusal("tasks.need_text", example=f"task check add {task.number} Call supplier")
    if len(item) > 500:
        raise Refusal("tasks.note_too_long", length=len(item), limit=500)
    position = tasks.add_check(ctx.conn, task_id=task.id, text=item)
    _log(ctx, task, "check_added", item)
    return ctx.say("tasks.check_added", number=task.number, position=position)


@router.command("task check", "任务 清单", "清单", usage="task check <n> <item-no>")
def tick_check(ctx: Ctx, args: str) -> Reply:
    """Tick (or untick) a checklist item.
    zh: 勾选(或取消勾选)清单中的一项。
    """
    task, rest = split_number(ctx, args, "task check 12 1")
    if not rest.isdigit():
        raise Refusal("tasks.need_text", example=f"task check {task.number} 1")
    result = tasks.toggle_check(
        ctx.conn, task_id=task.id, position=int(rest), actor_id=ctx.actor.user_id, now=ctx.now
    )
    if result is None:
        raise Refusal("tasks.check_missing", number=task.number, position=rest)
    text, done = result
    kind = "checked" if done else "unchecked"
    _log(ctx, task, kind, text)
    key = "tasks.check_done" if done else "tasks.check_undone"
    return ctx.say(key, number=task.number, position=rest, text=mentions.inert(text))


@router.command("task delete", "task rm", "删除任务", "任务 删除", usage="task delete <n>")
def delete_task(ctx: Ctx, args: str) -> Reply:
    """Delete a task (creator, owners, managers, admins); task restore brings it back.
    zh: 删除任务(仅创建人、负责人、频道管理员或管理员),可用 任务 恢复 找回。
    """
    task = load(ctx, args.strip(), example="task delete 12")
    require_manage(ctx, task, "delete")
    tasks.update(ctx.conn, task_id=task.id, now=ctx.now, deleted_at=ctx.now)
    _log(ctx, task, "deleted")
    return ctx.say("tasks.deleted", number=task.number)


@router.command("task restore", "恢复任务", "任务 恢复", usage="task restore <n>")
def restore_task(ctx: Ctx, args: str) -> Reply:
    """Bring back a deleted task.
    zh: 恢复一个已删除的任务。
    """
    task = load(ctx, args.strip(), example="task restore 12", deleted_ok=True)
    if task.deleted_at is None:
        raise Refusal("tasks.not_deleted", number=task.number)
    require_manage(ctx, task, "delete")
    tasks.update(ctx.conn, task_id=task.id, now=ctx.now, deleted_at=None)
    _log(ctx, task, "restored")
    return show(ctx, _reload(ctx, task), "tasks.restored", number=task.number)


@router.command("task snooze", "推迟任务", "任务 推迟", usage="task snooze <n> <when>")
def snooze_task(ctx: Ctx, args: str) -> Reply:
    """Pause reminders for a task until a time (e.g. task snooze 12 tomorrow 9:00).
    zh: 在某个时间之前暂停该任务的提醒(例如 任务 推迟 12 明天9点)。
    """
    task, rest = split_number(ctx, args, "task snooze 12 tomorrow")
    return snooze(ctx, task, rest or "1d")


def snooze(ctx: Ctx, task: TaskRow, when_text: str) -> Reply:
    when = parse_when(when_text, now=ctx.now, tz=ctx.tz, default_time=time(9, 0))
    if when is None or when.at <= ctx.now:
        raise Refusal("tasks.bad_due", when=when_text[:60])
    tasks.update(ctx.conn, task_id=task.id, now=ctx.now, snoozed_until=when.at)
    detail = when.at.isoformat()
    _log(ctx, task, "snoozed", detail)
    until = day_time(when.at, ctx.tz, ctx.locale)
    return show(ctx, _reload(ctx, task), "tasks.snoozed", number=task.number, until=until)
