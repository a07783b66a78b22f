"""Setting a standup up and running it from its channel: setup, list, pause, resume, delete (all
but the list are for the channel's managers and the admins)."""

from __future__ import annotations

from bot.context import Ctx, Refusal
from bot.mentions import token
from bot.replies import Reply
from bot.routing import Router
from commands.standups.members import (
    add_member,
    channel_key,
    describe,
    pick,
    require_manager,
    schedule_member,
)
from commands.standups.schedule import (
    DEFAULT_NAME,
    DEFAULT_WINDOW,
    WEEKDAYS_MASK,
    parse_setup,
)
from storage import standups

router = Router("standups.setup")
DEFAULT_MINUTE = 9 * 60 + 30
MAX_PER_CHANNEL = 20


@router.command(
    "standup setup", "站会 设置", "站会 创建",
    usage="standup setup [name] 09:30 [mon-fri] [window 3h] [summary|each]",
)  # fmt: skip
def setup_standup(ctx: Ctx, args: str) -> Reply:
    """Set up (or change) a standup in this channel: time, days, window, report style (managers).
    zh: 在本频道设置(或修改)站会:时间、日期、收集时长、汇报方式(频道管理员)。
    """
    spec = parse_setup(args)
    if isinstance(spec, str):
        raise Refusal("standup.setup_invalid", word=spec[:40])
    channel = channel_key(ctx)
    require_manager(ctx, channel)
    name = spec.name or DEFAULT_NAME
    here = standups.in_channel(ctx.conn, channel=channel)
    existing = next((s for s in here if s.name == name), None)
    changes = {
        key: value
        for key, value in (
            ("minute_of_day", spec.minute_of_day),
            ("days", spec.days),
            ("window_minutes", spec.window_minutes),
            ("style", spec.style),
        )
        if value is not None
    }
    if existing is not None:
        standups.update(ctx.conn, standup_id=existing.id, values=changes)
        s = standups.get(ctx.conn, standup_id=existing.id)
        assert s is not None
        for user_id in standups.members(ctx.conn, standup_id=s.id):
            schedule_member(ctx, s, user_id)
        return ctx.say("standup.updated", summary=describe(ctx, s))
    if len(here) >= MAX_PER_CHANNEL:
        raise Refusal("standup.too_many", limit=MAX_PER_CHANNEL)
    settings = {
        "minute_of_day": DEFAULT_MINUTE,
        "days": WEEKDAYS_MASK,
        "window_minutes": DEFAULT_WINDOW,
        "style": "summary",
        **changes,
    }
    standup_id = standups.create(
        ctx.conn, ws=ctx.ws, channel=channel, name=name, owner_id=ctx.actor.user_id,
        locale=ctx.locale, settings=settings, now=ctx.now,
    )  # fmt: skip
    s = standups.get(ctx.conn, standup_id=standup_id)
    assert s is not None
    add_member(ctx, s, ctx.actor.user_id)
    return ctx.say("standup.created", summary=describe(ctx, s), name=name)


@router.command("standup list", "站会 列表", usage="standup list")
def list_standups(ctx: Ctx, args: str) -> Reply:
    """List this channel's standups.
    zh: 列出本频道的站会。
    """
    here = standups.in_channel(ctx.conn, channel=channel_key(ctx))
    if not here:
        raise Refusal("standup.none_here")
    lines = [ctx.t("standup.list_header")]
    for s in here:
        people = " ".join(token(u) for u in standups.members(ctx.conn, standup_id=s.id))
        lines.append(f"• {describe(ctx, s)}\n  {people or '-'}")
    return Reply("\n".join(lines))


@router.command("standup pause", "站会 暂停", usage="standup pause [name]")
def pause_standup(ctx: Ctx, args: str) -> Reply:
    """Pause a standup: nobody is asked until it is resumed.
    zh: 暂停站会:恢复之前不再提问。
    """
    s = pick(ctx, args.strip())
    require_manager(ctx, s.channel)
    standups.update(ctx.conn, standup_id=s.id, values={"paused": True})
    return ctx.say("standup.paused", name=s.name)


@router.command("standup resume", "站会 恢复", usage="standup resume [name]")
def resume_standup(ctx: Ctx, args: str) -> Reply:
    """Resume a paused standup from its next occurrence (nothing missed is sent).
    zh: 恢复站会,从下一次开始(暂停期间的不补发)。
    """
    s = pick(ctx, args.strip())
    require_manager(ctx, s.channel)
    standups.update(ctx.conn, standup_id=s.id, values={"paused": False})
    for user_id in standups.members(ctx.conn, standup_id=s.id):
        schedule_member(ctx, s, user_id)
    return ctx.say("standup.resumed", name=s.name)


@router.command("standup delete", "站会 删除", usage="standup delete [name]")
def delete_standup(ctx: Ctx, args: str) -> Reply:
    """Delete a standup with its history (managers).
    zh: 删除站会及其记录(频道管理员)。
    """
    s = pick(ctx, args.strip())
    require_manager(ctx, s.channel)
    standups.delete(ctx.conn, standup_id=s.id)
    return ctx.say("standup.deleted", name=s.name)
