"""Task commands that create and show tasks: add, list, show, board, columns and WIP limits.

Changes to existing tasks live in ``tasks_edit``; both register on the router in ``tasks_common``.
"""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.feature import Feature
from bot.replies import Field, Reply
from commands import tasks_actions, tasks_edit  # noqa: F401  (they register on the router)
from commands.tasks_common import (
    TaskSpec,
    card,
    check_title,
    fmt_time,
    line,
    load,
    names_of,
    notify_owners,
    parse_spec,
    router,
    show,
)
from commands.tasks_messages import MESSAGES
from storage import tasks
from storage.tasks import BoardConfig

LIST_LIMIT = 20
BOARD_TITLES = 5
_EVENT_KINDS = frozenset(
    {"created", "moved", "assigned", "due", "renamed", "note", "check_added", "checked",
     "unchecked", "deleted", "restored", "snoozed"}
)  # fmt: skip


def channel_key(ctx: Ctx) -> str:
    """The board a message belongs to: its channel, without thread (a DM is its own board)."""
    return str(ctx.source.without_thread())


@router.command(
    "task add",
    "task new",
    "新建任务",
    "任务 新建",
    "添加任务",
    usage="task add <title> [@owner] [due:<when>] [!high|!low] [#tag]",
)
def add_task(ctx: Ctx, args: str) -> list[Reply]:
    """Create a task; mentioned people own it (e.g. task add Restock SKU-1 @alice due:fri #stock).
    zh: 新建任务(例如 新建任务 补货 SKU-1 @alice 截止:周五 #库存),被 @ 的人是负责人。
    """
    return create_task(ctx, parse_spec(ctx, args))


def create_task(ctx: Ctx, spec: TaskSpec) -> list[Reply]:
    """Store a task from a parsed spec; the reply shows its card, new owners get a DM."""
    if not spec.title:
        raise Refusal("tasks.no_title")
    check_title(spec.title)
    channel = channel_key(ctx)
    config = tasks.board(ctx.conn, channel=channel)
    task = tasks.create(
        ctx.conn,
        ws=ctx.ws,
        channel=channel,
        source=ctx.inbound.message_ref or "",
        title=spec.title,
        column=config.columns[0],
        priority=spec.priority,
        tags=spec.tags,
        creator_id=ctx.actor.user_id,
        owner_ids=spec.owners,
        due_at=spec.due_at,
        now=ctx.now,
    )
    created = show(
        ctx, task, "tasks.created", number=task.number, title=mentions.inert(task.title)
    )
    return [created, *notify_owners(ctx, task, spec.owners)]


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
        f"{fmt_time(at, ctx.tz, ctx.locale)} {mentions.token(who)} "
        + ctx.t(f"tasks.ev_{kind}", detail=mentions.inert(detail))
        for at, who, kind, detail in tasks.history(ctx.conn, task_id=task.id)
        if kind in _EVENT_KINDS
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


@router.command("task columns", "任务 列", "看板 列", usage="task columns todo,doing,review,done")
def set_columns(ctx: Ctx, args: str) -> Reply:
    """Set this channel's board columns, in order; the last one means done.
    zh: 设置本频道看板的列(按顺序,最后一列表示完成)。
    """
    names = [
        n.strip().lower() for n in args.replace(",", ",").replace(" ", ",").split(",") if n.strip()
    ]
    if (
        not 2 <= len(names) <= 10
        or len(set(names)) != len(names)
        or any(len(n) > 40 for n in names)
    ):
        raise Refusal("tasks.columns_bad")
    channel = channel_key(ctx)
    old = tasks.board(ctx.conn, channel=channel)
    wip = {k: v for k, v in old.wip.items() if k in names}
    tasks.save_board(ctx.conn, channel=channel, config=BoardConfig(tuple(names), wip))
    return ctx.say("tasks.columns_set", columns=" → ".join(names))


@router.command("task wip", "任务 在制品", "看板 上限", usage="task wip <column> <limit>")
def set_wip(ctx: Ctx, args: str) -> Reply:
    """Limit how many tasks a column may hold (0 removes the limit).
    zh: 设置某一列最多容纳的任务数(0 表示取消上限)。
    """
    parts = args.split()
    if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) > 10_000:
        raise Refusal("tasks.wip_bad")
    column, limit = parts[0].lower(), int(parts[1])
    channel = channel_key(ctx)
    config = tasks.board(ctx.conn, channel=channel)
    if column not in config.columns:
        raise Refusal(
            "tasks.unknown_column", column=column[:40], columns=", ".join(config.columns)
        )
    wip = {k: v for k, v in config.wip.items() if k != column}
    if limit:
        wip[column] = limit
    tasks.save_board(ctx.conn, channel=channel, config=BoardConfig(config.columns, wip))
    if limit:
        return ctx.say("tasks.wip_set", column=column, limit=limit)
    return ctx.say("tasks.wip_cleared", column=column)


FEATURE = Feature(name="tasks", router=router, messages=MESSAGES)
