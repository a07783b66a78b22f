"""``manager add/rm/list``: who, besides the admins, manages a channel.

Only admins name and remove managers, and managers cannot name others: who may change a channel's
settings then widens only by an admin's deliberate act, never by a chain of appointments.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import here
from storage import managers

router = Router("access.managers")
MAX_PEOPLE = 20


def _channel(ctx: Ctx) -> str:
    """The channel the command is about: the one it was typed in (never a DM)."""
    if ctx.source.is_direct:
        raise Refusal("access.channel_only")
    return here(ctx)


def _people(ctx: Ctx, args: str, example: str) -> list[str]:
    """The people mentioned, without broadcasts (``@all`` is nobody)."""
    people = mentions.mentioned_ids(args)
    if not people:
        raise Refusal("access.need_people", example=example)
    if len(people) > MAX_PEOPLE:
        raise Refusal("access.too_many", count=len(people), limit=MAX_PEOPLE)
    return people


def _require_admin(ctx: Ctx) -> None:
    if not ctx.is_admin:
        raise Refusal("access.admins_only")


def _names(user_ids: list[str]) -> str:
    return ", ".join(mentions.token(u) for u in user_ids)


def _current(ctx: Ctx, channel: str) -> str:
    return _names(managers.of_channel(ctx.conn, channel=channel)) or ctx.t("access.nobody")


def _change(
    ctx: Ctx, args: str, *, example: str, key: str, change: Callable[[str, str], bool]
) -> Reply:
    """Apply ``change(channel, user_id)`` to everyone mentioned (admins only), then say who it
    changed and who manages the channel now."""
    channel = _channel(ctx)
    people = _people(ctx, args, example)
    _require_admin(ctx)
    changed = [user_id for user_id in people if change(channel, user_id)]
    return ctx.say(key, people=_names(changed) or "-", managers=_current(ctx, channel))


@router.command(
    "manager add",
    "managers add",
    "频道管理员 添加",
    "管理员 添加",
    usage="manager add @name [@name ...]",
)
def add_managers(ctx: Ctx, args: str) -> Reply:
    """Make people managers of this channel (admins only): its settings and its tasks are theirs.
    zh: 指定本频道的频道管理员(仅限管理员):他们管理本频道的设置和任务。
    """

    def add(channel: str, user_id: str) -> bool:
        by, now = ctx.actor.user_id, ctx.now
        return managers.add(ctx.conn, channel=channel, user_id=user_id, added_by=by, now=now)

    return _change(
        ctx, args, example="manager add @alice", key="access.managers_added", change=add
    )


@router.command(
    "manager rm",
    "manager remove",
    "managers rm",
    "频道管理员 移除",
    "频道管理员 删除",
    "管理员 移除",
    "管理员 删除",
    usage="manager rm @name [@name ...]",
)
def remove_managers(ctx: Ctx, args: str) -> Reply:
    """Remove managers of this channel (admins only).
    zh: 移除本频道的频道管理员(仅限管理员)。
    """

    def remove(channel: str, user_id: str) -> bool:
        return managers.remove(ctx.conn, channel=channel, user_id=user_id)

    return _change(
        ctx, args, example="manager rm @alice", key="access.managers_removed", change=remove
    )


@router.command(
    "manager list",
    "managers",
    "频道管理员 列表",
    "频道管理员",
    "管理员 列表",
    usage="manager list",
)
def list_managers(ctx: Ctx, args: str) -> Reply:
    """Who manages this channel.
    zh: 查看本频道的频道管理员。
    """
    return ctx.say("access.managers_list", managers=_current(ctx, _channel(ctx)))
