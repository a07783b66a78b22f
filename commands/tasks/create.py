"""``task add``: a chat message becomes a tracked task with owners, a due date and tags, or, with a
recurrence (``every fri 17:00``), a recurring task (:mod:`commands.tasks.recurring`)."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.tasks import changes
from commands.tasks.access import channel_key, check_title
from commands.tasks.columns import board_of
from commands.tasks.recurring import start_series
from commands.tasks.render import notify_owners, show
from commands.tasks.spec import TaskSpec, parse_spec

router = Router("tasks.create")


@router.command(
    "task add",
    "task new",
    "新建任务",
    "任务 新建",
    "任务 添加",
    "添加任务",
    usage="task add <title> [@owner] [due:<when>] [!high|!low] [#tag] [every <when>]",
)
def add_task(ctx: Ctx, args: str) -> list[Reply]:
    """Create a task; mentioned people own it (e.g. task add Restock SKU-1 @alice due:fri #stock; every fri 17:00 repeats it).
    zh: 新建任务(例如 新建任务 补货 SKU-1 @alice 截止:周五 #库存;加 每周五 17点 则每周重复),被 @ 的人是负责人。
    """
    spec = parse_spec(ctx, args)
    made = start_series(ctx, spec) if spec.every is not None else create_task(ctx, spec)
    return [*made, *ctx.left_out(args)]


def create_task(ctx: Ctx, spec: TaskSpec) -> list[Reply]:
    """Store a task from a parsed spec; the reply shows its card, new owners get a DM."""
    if not spec.title:
        raise Refusal("tasks.no_title")
    check_title(spec.title)
    new = changes.NewTask(
        channel=channel_key(ctx),
        title=spec.title,
        creator_id=ctx.actor.user_id,
        owners=spec.owners,
        tags=spec.tags,
        priority=spec.priority,
        due_at=spec.due_at,
        source=ctx.inbound.message_ref or "",
        via=ctx.inbound.via,
    )
    made = changes.create(ctx.conn, new, now=ctx.now, config=board_of(ctx, new.channel))
    task = made.task
    created = show(
        ctx, task, "tasks.created", number=task.number, title=mentions.inert(task.title)
    )
    if spec.kept:
        note = ctx.t("tasks.due_kept", words=mentions.inert(spec.kept))
        created = Reply(f"{created.text}\n{note}", card=created.card, edit_ref=created.edit_ref)
    ctx.emit(made)
    return [created, *notify_owners(ctx, task, spec.owners)]
