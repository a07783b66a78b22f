"""``hook add/list/rm/rotate``: a channel's inbound webhooks, which create tasks on its board when a
shop, a carrier or a monitor posts to them (:mod:`commands.automation.webhook`).

A webhook's URL and secret are sent to whoever adds it, by direct message, once; the secret is
never shown again (``hook rotate`` makes a new one). Webhooks are the channel's managers' and the
admins' to add and change; anyone in the channel may list them.
"""

from __future__ import annotations

import secrets

from bot import mentions
from bot.config import Settings
from bot.context import Ctx, Refusal
from bot.events import Target
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.automation.numbered import numbered
from commands.tasks.access import channel_key
from commands.tasks.columns import column_of
from commands.timefmt import day_time
from storage import hooks, tasks
from storage.hooks import HookRow

router = Router("automation.hooks")
MAX_HOOKS = 20


def hook_url(settings: Settings, hook_id: str) -> str:
    """Where a webhook is posted to: ``BATON_PUBLIC_URL/hooks/<id>``."""
    return f"{settings.dashboard_url}/hooks/{hook_id}"


@router.command(
    "hook add",
    "webhook add",
    "钩子 添加",
    "添加钩子",
    "webhook 添加",
    usage="hook add [column] [#tag]",
)
def add_hook(ctx: Ctx, args: str) -> list[Reply]:
    """Add a webhook that creates tasks here (in a column, with a tag); its URL and secret come by DM (managers).
    zh: 添加一个在这里创建任务的 Webhook(可指定列和标签),地址和密钥私信给您(频道管理员)。
    """
    channel = channel_key(ctx)
    require_manager(ctx, channel, "automation.what_hooks")
    column, tag = _landing(ctx, channel, args)
    if len(hooks.of_channel(ctx.conn, channel=channel)) >= MAX_HOOKS:
        raise Refusal("automation.hook_limit", limit=MAX_HOOKS)
    secret = secrets.token_hex(32)
    row = hooks.add(
        ctx.conn,
        hook_id=secrets.token_hex(16),
        ws=ctx.ws,
        channel=channel,
        column=column,
        tag=tag,
        secret=secret,
        created_by=ctx.actor.user_id,
        now=ctx.now,
    )
    told = _secret_dm(ctx, row, secret, "automation.hook_secret")
    if ctx.source.is_direct:
        return [told]
    return [ctx.say("automation.hook_added", number=row.number, lands=_lands(ctx, row)), told]


def _landing(ctx: Ctx, channel: str, args: str) -> tuple[str | None, str | None]:
    """``[column] [#tag]``: the column of this board new tasks start in, and their tag."""
    words = args.split()
    tags = [w for w in words if w.startswith("#") and len(w) > 1]
    rest = " ".join(w for w in words if w not in tags)
    if not rest:
        return None, tags[0][1:].lower()[:40] if tags else None
    config = tasks.board(ctx.conn, channel=channel)
    column = column_of(config, rest)
    if column is None:
        raise Refusal(
            "automation.rule_bad_column",
            column=mentions.inert(rest[:40]),
            columns=", ".join(config.columns),
        )
    return column, tags[0][1:].lower()[:40] if tags else None


def _lands(ctx: Ctx, row: HookRow) -> str:
    """Where a webhook's tasks land: its column (or the board's first), and its tag."""
    column = row.column or ctx.t("automation.first_column")
    return column + (f" #{row.tag}" if row.tag else "")


def _secret_dm(ctx: Ctx, row: HookRow, secret: str, key: str) -> Reply:
    """The direct message that shows a webhook's URL and secret, to whoever asked."""
    text = ctx.t(
        key,
        number=row.number,
        lands=_lands(ctx, row),
        url=hook_url(ctx.settings, row.id),
        secret=secret,
    )
    return Reply(text, to=Target.direct(ctx.actor))


@router.command(
    "hook list", "hooks", "webhook list", "钩子 列表", "webhook 列表", usage="hook list"
)
def list_hooks(ctx: Ctx, args: str) -> Reply:
    """List this channel's webhooks: where their tasks land and how often they were used.
    zh: 列出本频道的 Webhook:任务落在哪里、被调用了几次。
    """
    rows = hooks.of_channel(ctx.conn, channel=channel_key(ctx))
    if not rows:
        return ctx.say("automation.hooks_none")
    lines = [ctx.t("automation.hooks_header")]
    for row in rows:
        last = day_time(row.last_used_at, ctx.tz, ctx.locale) if row.last_used_at else "-"
        lines.append(
            ctx.t(
                "automation.hook_line",
                number=row.number,
                lands=_lands(ctx, row),
                by=mentions.token(row.created_by),
                uses=row.uses,
                last=last,
            )
        )
    return Reply("\n".join(lines))


@router.command("hook rm", "hook remove", "钩子 删除", "webhook 删除", usage="hook rm <n>")
def remove_hook(ctx: Ctx, args: str) -> Reply:
    """Remove a webhook: its URL stops working; its tasks stay (managers).
    zh: 删除一个 Webhook:其地址立即失效,已创建的任务保留(频道管理员)。
    """
    row = _hook(ctx, args, "hook rm 1")
    hooks.remove(ctx.conn, hook_id=row.id)
    return ctx.say("automation.hook_removed", number=row.number)


@router.command("hook rotate", "钩子 轮换", "webhook 轮换", usage="hook rotate <n>")
def rotate_hook(ctx: Ctx, args: str) -> list[Reply]:
    """Give a webhook a new secret, sent to you by DM; the old one stops working at once (managers).
    zh: 给 Webhook 换一个新密钥(私信给您),旧密钥立即失效(频道管理员)。
    """
    row = _hook(ctx, args, "hook rotate 1")
    secret = secrets.token_hex(32)
    hooks.rotate(ctx.conn, hook_id=row.id, secret=secret, now=ctx.now)
    told = _secret_dm(ctx, row, secret, "automation.hook_rotated_dm")
    if ctx.source.is_direct:
        return [told]
    return [ctx.say("automation.hook_rotated", number=row.number), told]


def _hook(ctx: Ctx, args: str, example: str) -> HookRow:
    """The webhook of this channel ``args`` numbers, once the actor may change it."""

    def find(channel: str, number: int) -> HookRow | None:
        return hooks.get(ctx.conn, channel=channel, number=number)

    return numbered(ctx, args, what="hook", example=example, find=find)
