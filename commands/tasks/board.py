"""A channel's board layout: its columns, in order, and the work-in-progress limit of each, set by
hand or from a template; all the channel's managers' and the admins' to change."""

from __future__ import annotations

from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.tasks.access import channel_key
from commands.tasks.columns import column_of
from commands.tasks.templates import TEMPLATES, Template, template_named
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


_LANGUAGES = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "chinese": "zh", "中文": "zh"}


@router.command(
    "task board template",
    "看板 模板",
    "任务 看板 模板",
    usage="task board template <orders|launch|after-sales|default> [en|zh]",
)
def apply_template(ctx: Ctx, args: str) -> Reply:
    """Set this channel's columns and suggested WIP limits from a template, named in your language (managers).
    zh: 用模板设置本频道看板的列和建议的在制品上限,列名用您的语言(频道管理员)。
    """
    words = args.split()
    locale = ctx.locale
    if len(words) > 1 and words[-1].lower() in _LANGUAGES:
        locale = _LANGUAGES[words.pop().lower()]
    if not words:
        return ctx.say("tasks.templates", templates=_listing(ctx.locale))
    template = template_named(" ".join(words))
    if template is None:
        raise Refusal(
            "tasks.template_unknown", name=" ".join(words)[:40], templates=_listing(ctx.locale)
        )
    require_manager(ctx, channel_key(ctx), "tasks.what_columns")
    return _apply(ctx, template, locale)


def _apply(ctx: Ctx, template: Template, locale: str) -> Reply:
    """Save the template's board; tasks in columns it does not have move to the column of the
    same meaning (either language), else: done ones to its last column, open ones to its first."""
    channel = channel_key(ctx)
    old = tasks.board(ctx.conn, channel=channel)
    new = template.config(locale)
    moved = 0
    for column in tasks.column_counts(ctx.conn, ws=ctx.ws, channel=channel):
        if column in new.columns:
            continue
        target = column_of(new, column) or (new.done if column == old.done else new.columns[0])
        moved += tasks.move_column(ctx.conn, channel=channel, old=column, new=target, now=ctx.now)
    tasks.save_board(ctx.conn, channel=channel, config=new)
    limits = ", ".join(f"{column} {limit}" for column, limit in new.wip.items())
    reply = ctx.t(
        "tasks.template_set",
        name=template.title(ctx.locale),
        columns=" → ".join(new.columns),
        limits=limits or "-",
    )
    if moved:
        reply += "\n" + ctx.t("tasks.template_moved", count=moved)
    return Reply(reply)


def _listing(locale: str) -> str:
    return ", ".join(template.title(locale) for template in TEMPLATES)
