"""Task commands that show tasks: lists (here, mine, someone's, a tag's, overdue, a column), one
task with its checklist and history, and the channel's board."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Field, Reply
from bot.routing import Router
from commands.access.rules import viewer
from commands.tasks.access import channel_key, load
from commands.tasks.render import card, line
from commands.tasks.spec import names_of
from commands.timefmt import day_time
from storage import tasks

router = Router("tasks.views")
LIST_LIMIT = 20
BOARD_TITLES = 5


@router.command(
    "task list",
    "tasks",
    "task ls",
    "任务列表",
    "任务 列表",
    "查看任务列表",
    usage="task list [mine|@user|#tag|overdue|<column>]",
)
def list_tasks(ctx: Ctx, args: str) -> Reply:
    """List open tasks here, or mine, someone's, a tag's, overdue ones or one column's.
    zh: 列出这里未完成的任务,或 我的 / @某人 / #标签 / 逾期 / 某一列 的任务。
    """
    word = args.strip().split()[0] if args.strip() else ""
    lower = word.lower()
    query: dict[str, object] = {"ws": ctx.ws}
    if lower in ("mine", "me", "my", "我的", "我"):
        query["owner"], what = ctx.actor.user_id, ctx.t("tasks.what_mine")
    elif ids := mentions.mentioned_ids(word):
        name = names_of(ctx).get(ids[0], ids[0])
        query["owner"], what = ids[0], ctx.t("tasks.what_user", user=f"@{name}")
    elif word.startswith("#") and len(word) > 1:
        query["tag"], what = word[1:].lower(), ctx.t("tasks.what_tag", tag=word[1:].lower())
    elif lower in ("overdue", "late", "逾期", "已逾期", "过期"):
        query["due_before"], what = ctx.now, ctx.t("tasks.what_overdue")
    elif word:
        config = tasks.board(ctx.conn, channel=channel_key(ctx))
        if lower not in config.columns:
            raise Refusal(
                "tasks.unknown_column", column=word[:40], columns=", ".join(config.columns)
            )
        query.update(channel=channel_key(ctx), column=lower, open_only=lower != config.done)
        what = ctx.t("tasks.what_column", column=lower)
    else:
        query["channel"], what = channel_key(ctx), ctx.t("tasks.what_open")
    return _listing(ctx, what, query)


@router.command("my tasks", "mytasks", "我的任务", usage="my tasks")
def my_tasks(ctx: Ctx, args: str) -> Reply:
    """List the open tasks you own, in every channel.
    zh: 列出您负责的所有未完成任务。
    """
    return _listing(ctx, ctx.t("tasks.what_mine"), {"ws": ctx.ws, "owner": ctx.actor.user_id})


def _listing(ctx: Ctx, what: str, query: dict[str, object]) -> Reply:
    """Tasks matching ``query`` that the actor may see from here (another channel's only when
    they created or own them)."""
    query["viewer"] = viewer(ctx)
    rows, total = tasks.search(ctx.conn, limit=LIST_LIMIT, **query)  # type: ignore[arg-type]
    if total == 0:
        return ctx.say("tasks.list_empty")
    lines = [ctx.t("tasks.list_header", what=what, total=total), *(line(ctx, t) for t in rows)]
    if total > len(rows):
        lines.append(ctx.t("tasks.list_more", more=total - len(rows)))
    return Reply("\n".join(lines))


@router.command(
    "task show", "task info", "查看任务", "任务 详情", "任务 查看", usage="task show <n>"
)
def show_task(ctx: Ctx, args: str) -> Reply:
    """Show a task: owner, due date, status, checklist, notes and full history.
    zh: 查看任务详情:负责人、截止时间、状态、清单、备注和完整历史。
    """
    task = load(ctx, args.strip(), example="task show 12", deleted_ok=True)
    checks = tasks.checklist(ctx.conn, task_id=task.id)
    check_lines = [
        f"{'☑' if done else '☐'} {pos}. {mentions.inert(text)}" for pos, text, done in checks
    ]
    history = [
        f"{day_time(h.at, ctx.tz, ctx.locale)} {mentions.token(h.actor_id)} "
        + ctx.t(f"tasks.ev_{h.kind}", detail=mentions.inert(h.detail))
        + (ctx.t("tasks.via_web") if h.via == "web" else "")
        for h in tasks.history(ctx.conn, task_id=task.id)
        if h.kind in tasks.HISTORY_KINDS
    ]
    extra = []
    if check_lines:
        extra.append(Field(ctx.t("tasks.field_checklist"), "\n".join(check_lines)))
    extra.append(Field(ctx.t("tasks.field_history"), "\n".join(history)))
    return Reply(line(ctx, task), card=card(ctx, task, extra=tuple(extra)))


@router.command("task board", "board", "看板", "任务 看板", usage="task board")
def show_board(ctx: Ctx, args: str) -> Reply:
    """Show this channel's board: each column with its count and first titles.
    zh: 查看本频道的看板:每一列的任务数和前几个标题。
    """
    channel = channel_key(ctx)
    config = tasks.board(ctx.conn, channel=channel)
    counts = tasks.column_counts(ctx.conn, ws=ctx.ws, channel=channel)
    lines = [ctx.t("tasks.board_header", columns=" → ".join(config.columns))]
    for column in config.columns:
        limit = f"/{config.wip[column]}" if column in config.wip else ""
        lines.append(
            ctx.t("tasks.board_column", column=column, count=counts.get(column, 0), limit=limit)
        )
        rows, _ = tasks.search(
            ctx.conn,
            ws=ctx.ws,
            channel=channel,
            column=column,
            open_only=False,
            limit=BOARD_TITLES,
        )
        lines.extend(f"  #{t.number} {mentions.inert(t.title)}" for t in rows)
    return Reply("\n".join(lines))
