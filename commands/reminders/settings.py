"""Reminder settings per workspace or channel: quiet hours, weekends and due-soon days.

A channel's own setting wins over its workspace's, which wins over the defaults (quiet 21:00-09:00,
no weekends, 3/1/0 days before the due date). Anyone may read them; a channel's are its managers'
and the admins' to change, the workspace's the admins'.
"""

from __future__ import annotations

from dataclasses import replace

from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.reminders.rules import Policy, parse_due_soon, parse_quiet
from storage import reminders as store

router = Router("reminders.settings")
_ON = {"on", "yes", "true", "开", "开启", "打开", "是"}
_OFF = {"off", "no", "false", "关", "关闭", "否"}
_WORKSPACE = {"workspace", "ws", "team", "全局", "工作区", "团队"}
_QUIET = {"quiet", "安静", "免打扰", "勿扰"}
_WEEKENDS = {"weekends", "weekend", "周末"}
_DUE_SOON = {"due-soon", "duesoon", "due", "提前", "到期前"}


def policy_for(overrides: dict[str, store.SettingRow], *scopes: str) -> Policy:
    """The policy in force for the first (most specific) of ``scopes``, e.g. (channel, workspace)."""
    policy = Policy()
    for scope in reversed(scopes):
        row = overrides.get(scope)
        if row is None:
            continue
        if row.quiet and (quiet := parse_quiet(row.quiet)):
            policy = replace(policy, quiet_start=quiet[0], quiet_end=quiet[1])
        if row.weekends is not None:
            policy = replace(policy, weekends=row.weekends)
        if row.due_soon and (days := parse_due_soon(row.due_soon)):
            policy = replace(policy, due_soon=days)
    return policy


@router.command("remind settings", "提醒 设置", "提醒设置", usage="remind settings [...]")
def remind_settings(ctx: Ctx, args: str) -> Reply:
    """Task reminder settings: remind settings quiet 22:00-08:00 | weekends on|off | due-soon 3d,1d,0d.
    zh: 任务提醒设置:提醒 设置 安静 22:00-08:00 | 周末 开|关 | 提前 3d,1d,0d。

    Without arguments, the settings in force here; a change applies to this channel (its
    managers and admins), or (with ``workspace`` first, or in a DM) to the whole workspace, which
    only admins may change.
    """
    words = args.split()
    channel = None if ctx.source.is_direct else str(ctx.source.without_thread())
    if words and words[0].lower() in _WORKSPACE:
        words, channel = words[1:], None
    scope = channel or ctx.ws
    if not words:
        return _show(ctx, scope)
    if channel is None and not ctx.is_admin:
        raise Refusal("reminders.settings_admin_only")
    if channel is not None:
        require_manager(ctx, channel, "reminders.what_settings")
    name, value = words[0].lower(), " ".join(words[1:])
    if name in _QUIET and (quiet := parse_quiet(value)):
        stored = f"{quiet[0]:%H:%M}-{quiet[1]:%H:%M}"
        store.save_setting(ctx.conn, scope=scope, now=ctx.now, quiet=stored)
    elif name in _WEEKENDS and value.lower() in _ON | _OFF:
        store.save_setting(ctx.conn, scope=scope, now=ctx.now, weekends=value.lower() in _ON)
    elif name in _DUE_SOON and (days := parse_due_soon(value)):
        stored = ",".join(str(d) for d in days)
        store.save_setting(ctx.conn, scope=scope, now=ctx.now, due_soon=stored)
    else:
        return ctx.say("reminders.settings_usage")
    return _show(ctx, scope, changed=True)


def _show(ctx: Ctx, scope: str, *, changed: bool = False) -> Reply:
    overrides = store.settings(ctx.conn)
    policy = policy_for(overrides, scope, ctx.ws)
    where = (
        ctx.t("reminders.scope_workspace") if scope == ctx.ws else ctx.t("reminders.scope_channel")
    )
    weekends = ctx.t("reminders.weekends_on" if policy.weekends else "reminders.weekends_off")
    return ctx.say(
        "reminders.settings_changed" if changed else "reminders.settings_show",
        where=where,
        quiet=policy.quiet_text,
        weekends=weekends,
        due_soon=policy.due_soon_text,
    )
