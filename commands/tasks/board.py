"""A channel's board layout: its columns, in order, and the work-in-progress limit of each; both
are the channel's managers' and the admins' to change."""

from __future__ import annotations

from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.tasks.access import channel_key
from commands.tasks.columns import column_of
from storage import tasks
from storage.tasks import BoardConfig

router = Router("tasks.board")


@router.command("task columns", "任务 列", "看板 列", usage="task columns todo,doing,review,done")
def set_columns(ctx: Ctx, args: str) -> Reply:
    """Set this channel's board columns, in order; the last one means done (managers).
    zh: 设置本频道看板的列(按顺序,最后一列表示完成;频道管理员)。
    """
    require_manager(ctx, channel_key(ctx), "tasks.what_columns")
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
    """Limit how many tasks a column may hold (0 removes the limit; managers).
    zh: 设置某一列最多容纳的任务数(0 表示取消上限;频道管理员)。
    """
    require_manager(ctx, channel_key(ctx), "tasks.what_wip")
    parts = args.split()
    if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) > 10_000:
        raise Refusal("tasks.wip_bad")
    limit = int(parts[1])
    channel = channel_key(ctx)
    config = tasks.board(ctx.conn, channel=channel)
    column = column_of(config, parts[0]) or ""
    if not column:
        raise Refusal(
            "tasks.unknown_column", column=parts[0][:40], columns=", ".join(config.columns)
        )
    wip = {k: v for k, v in config.wip.items() if k != column}
    if limit:
        wip[column] = limit
    tasks.save_board(ctx.conn, channel=channel, config=BoardConfig(config.columns, wip))
    if limit:
        return ctx.say("tasks.wip_set", column=column, limit=limit)
    return ctx.say("tasks.wip_cleared", column=column)
