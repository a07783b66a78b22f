"""``standup``: asynchronous standups across time zones, set up and run from a channel.

Each participant is asked in a direct message at the standup's time *in their own zone*, on its days
of *their* calendar; answers are collected for a window (3 h by default) and the channel gets one
summary with blockers on top (or each answer as it arrives). The conversation lives in
``standup_answers``, reports in ``standup_report``, the scheduler in ``standup_ticks``.
"""

from __future__ import annotations

import json
import re

from bot.context import Ctx, Refusal
from bot.feature import Feature
from bot.mentions import mentioned_ids, token
from bot.replies import Reply
from bot.routing import Router
from commands import standup_answers, standup_report
from commands.standup_common import supported_country
from commands.standup_messages import MESSAGES
from commands.standup_schedule import (
    DEFAULT_NAME,
    DEFAULT_WINDOW,
    NAME_RE,
    WEEKDAYS_MASK,
    describe_days,
    first_occurrence,
    parse_setup,
)
from commands.standup_ticks import TICKS
from storage import standups
from storage.standups import StandupRow

admin = Router("standup")
DEFAULT_MINUTE = 9 * 60 + 30
MAX_QUESTIONS = 10
MAX_QUESTION = 300
MAX_PER_CHANNEL = 20
_QUOTES = "\"'“”‘’「」『』"


def _channel(ctx: Ctx) -> str:
    if ctx.source.is_direct:
        raise Refusal("standup.channel_only")
    return str(ctx.source.without_thread())


def _pick(ctx: Ctx, name: str) -> StandupRow:
    """The standup called ``name`` in this channel, or its only one."""
    here = standups.in_channel(ctx.conn, channel=_channel(ctx))
    if name:
        found = [s for s in here if s.name == name.lower()]
        if not found:
            raise Refusal("standup.not_found", name=name[:40])
        return found[0]
    if not here:
        raise Refusal("standup.none_here")
    if len(here) > 1:
        raise Refusal("standup.which", names=", ".join(s.name for s in here))
    return here[0]


def _manage(ctx: Ctx, s: StandupRow) -> None:
    if not (ctx.is_admin or ctx.actor.user_id == s.owner_id):
        raise Refusal("standup.not_allowed", owner=token(s.owner_id))


def _schedule(ctx: Ctx, s: StandupRow, user_id: str) -> None:
    """Plan a participant's next prompt from now, in their own zone."""
    _, tz = ctx.reader(user_id)
    at, _ = first_occurrence(now=ctx.now, minute_of_day=s.minute_of_day, days=s.days, tz=tz)
    standups.reschedule(ctx.conn, standup_id=s.id, user_id=user_id, at=at)


def _add(ctx: Ctx, s: StandupRow, user_id: str) -> bool:
    _, tz = ctx.reader(user_id)
    at, _ = first_occurrence(now=ctx.now, minute_of_day=s.minute_of_day, days=s.days, tz=tz)
    return standups.add_member(
        ctx.conn, standup_id=s.id, user_id=user_id, next_prompt_at=at, now=ctx.now
    )


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" if not rest else f"{hours}h{rest:02d}" if hours else f"{rest}min"


def describe(ctx: Ctx, s: StandupRow) -> str:
    """One line about a standup's schedule, in the reader's language."""
    return (
        ctx.t(
            "standup.describe",
            name=s.name,
            time=f"{s.minute_of_day // 60:02d}:{s.minute_of_day % 60:02d}",
            days=describe_days(s.days, ctx.locale),
            window=_hours(s.window_minutes),
            style=ctx.t(f"standup.style_{s.style}"),
            people=len(standups.members(ctx.conn, standup_id=s.id)),
        )
        + (ctx.t("standup.paused_flag") if s.paused else "")
        + (ctx.t("standup.holidays_flag", country=s.holidays) if s.holidays else "")
    )


@admin.command(
    "standup setup", "站会 设置", "站会 创建",
    usage="standup setup [name] 09:30 [mon-fri] [window 3h] [summary|each]",
)  # fmt: skip
def setup_standup(ctx: Ctx, args: str) -> Reply:
    """Set up (or change) a standup in this channel: time, days, window, report style.
    zh: 在本频道设置(或修改)站会:时间、日期、收集时长、汇报方式。
    """
    spec = parse_setup(args)
    if isinstance(spec, str):
        raise Refusal("standup.setup_invalid", word=spec[:40])
    channel = _channel(ctx)
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
        _manage(ctx, existing)
        standups.update(ctx.conn, standup_id=existing.id, values=changes)
        s = standups.get(ctx.conn, standup_id=existing.id)
        assert s is not None
        for user_id in standups.members(ctx.conn, standup_id=s.id):
            _schedule(ctx, s, user_id)
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
    _add(ctx, s, ctx.actor.user_id)
    return ctx.say("standup.created", summary=describe(ctx, s), name=name)


@admin.command("standup list", "站会 列表", usage="standup list")
def list_standups(ctx: Ctx, args: str) -> Reply:
    """List this channel's standups.
    zh: 列出本频道的站会。
    """
    here = standups.in_channel(ctx.conn, channel=_channel(ctx))
    if not here:
        raise Refusal("standup.none_here")
    lines = [ctx.t("standup.list_header")]
    for s in here:
        people = " ".join(token(u) for u in standups.members(ctx.conn, standup_id=s.id))
        lines.append(f"• {describe(ctx, s)}\n  {people or '-'}")
    return Reply("\n".join(lines))


def _words_and_people(args: str) -> tuple[str, list[str]]:
    people = mentioned_ids(args)
    words = [w for w in re.sub(r"<@[^>]*>", " ", args).split() if NAME_RE.match(w.lower())]
    return (words[0] if words else ""), people


@admin.command("standup add", "站会 添加", usage="standup add @a @b [name]")
def add_people(ctx: Ctx, args: str) -> Reply:
    """Add people to a standup (owner or admins).
    zh: 把同事加入站会(负责人或管理员)。
    """
    name, people = _words_and_people(args)
    if not people:
        raise Refusal("standup.add_nobody")
    s = _pick(ctx, name)
    _manage(ctx, s)
    added = [uid for uid in people if _add(ctx, s, uid)]
    return ctx.say("standup.added", name=s.name, people=" ".join(token(u) for u in added) or "-")


@admin.command("standup remove", "站会 移除", usage="standup remove @a [name]")
def remove_people(ctx: Ctx, args: str) -> Reply:
    """Remove people from a standup (owner or admins).
    zh: 把同事移出站会(负责人或管理员)。
    """
    name, people = _words_and_people(args)
    if not people:
        raise Refusal("standup.add_nobody")
    s = _pick(ctx, name)
    _manage(ctx, s)
    gone = [u for u in people if standups.remove_member(ctx.conn, standup_id=s.id, user_id=u)]
    return ctx.say("standup.removed", name=s.name, people=" ".join(token(u) for u in gone) or "-")


@admin.command("standup join", "站会 加入", usage="standup join [name]")
def join_standup(ctx: Ctx, args: str) -> Reply:
    """Take part in this channel's standup.
    zh: 参加本频道的站会。
    """
    s = _pick(ctx, args.strip())
    if not _add(ctx, s, ctx.actor.user_id):
        return ctx.say("standup.already_member", name=s.name)
    return ctx.say("standup.joined", name=s.name, summary=describe(ctx, s))


@admin.command("standup leave", "站会 退出", usage="standup leave [name]")
def leave_standup(ctx: Ctx, args: str) -> Reply:
    """Stop taking part in this channel's standup.
    zh: 退出本频道的站会。
    """
    s = _pick(ctx, args.strip())
    if not standups.remove_member(ctx.conn, standup_id=s.id, user_id=ctx.actor.user_id):
        return ctx.say("standup.not_member", name=s.name)
    return ctx.say("standup.left", name=s.name)


def _split_questions(text: str) -> list[str]:
    return [part.strip().strip(_QUOTES).strip() for part in text.split("|") if part.strip()]


@admin.command(
    "standup questions", "站会 问题", usage='standup questions [name] "…" | "…" | default'
)
def set_questions(ctx: Ctx, args: str) -> Reply:
    """Set a standup's own questions, separated by | (or default).
    zh: 自定义站会问题,用 | 分隔(或 default 恢复默认)。
    """
    here = {s.name: s for s in standups.in_channel(ctx.conn, channel=_channel(ctx))}
    first, _, rest = args.strip().partition(" ")
    name = first.lower() if first.lower() in here and rest.strip() else ""
    text = rest if name else args
    s = _pick(ctx, name)
    _manage(ctx, s)
    if text.strip().lower() in ("default", "默认"):
        standups.update(ctx.conn, standup_id=s.id, values={"questions": None})
        return ctx.say("standup.questions_default", name=s.name)
    asked = _split_questions(text)
    if not asked or len(asked) > MAX_QUESTIONS or any(len(q) > MAX_QUESTION for q in asked):
        raise Refusal("standup.questions_invalid", limit=MAX_QUESTIONS, length=MAX_QUESTION)
    standups.update(
        ctx.conn, standup_id=s.id, values={"questions": json.dumps(asked, ensure_ascii=False)}
    )
    listed = "\n".join(f"{i}. {q}" for i, q in enumerate(asked, start=1))
    return ctx.say("standup.questions_set", name=s.name, questions=listed)


@admin.command("standup holidays", "站会 节假日", usage="standup holidays [name] CN|off")
def set_holidays(ctx: Ctx, args: str) -> Reply:
    """Skip the public holidays of a country (standup holidays CN), or off.
    zh: 跳过某国法定节假日(站会 节假日 CN),或 off 关闭。
    """
    words = args.split()
    if not words:
        raise Refusal("standup.holidays_invalid", code="")
    s = _pick(ctx, words[0] if len(words) > 1 else "")
    _manage(ctx, s)
    code = words[-1]
    if code.lower() in ("off", "none", "关闭", "无"):
        standups.update(ctx.conn, standup_id=s.id, values={"holidays": None})
        return ctx.say("standup.holidays_off", name=s.name)
    country = supported_country(code)
    if country is None:
        raise Refusal("standup.holidays_invalid", code=code[:20])
    standups.update(ctx.conn, standup_id=s.id, values={"holidays": country})
    return ctx.say("standup.holidays_set", name=s.name, country=country)


@admin.command("standup pause", "站会 暂停", usage="standup pause [name]")
def pause_standup(ctx: Ctx, args: str) -> Reply:
    """Pause a standup: nobody is asked until it is resumed.
    zh: 暂停站会:恢复之前不再提问。
    """
    s = _pick(ctx, args.strip())
    _manage(ctx, s)
    standups.update(ctx.conn, standup_id=s.id, values={"paused": True})
    return ctx.say("standup.paused", name=s.name)


@admin.command("standup resume", "站会 恢复", usage="standup resume [name]")
def resume_standup(ctx: Ctx, args: str) -> Reply:
    """Resume a paused standup from its next occurrence (nothing missed is sent).
    zh: 恢复站会,从下一次开始(暂停期间的不补发)。
    """
    s = _pick(ctx, args.strip())
    _manage(ctx, s)
    standups.update(ctx.conn, standup_id=s.id, values={"paused": False})
    for user_id in standups.members(ctx.conn, standup_id=s.id):
        _schedule(ctx, s, user_id)
    return ctx.say("standup.resumed", name=s.name)


@admin.command("standup delete", "站会 删除", usage="standup delete [name]")
def delete_standup(ctx: Ctx, args: str) -> Reply:
    """Delete a standup with its history (owner or admins).
    zh: 删除站会及其记录(负责人或管理员)。
    """
    s = _pick(ctx, args.strip())
    _manage(ctx, s)
    standups.delete(ctx.conn, standup_id=s.id)
    return ctx.say("standup.deleted", name=s.name)


def _merged(*parts: Router) -> Router:
    """One router for the feature from the routers of its modules."""
    router = Router("standup")
    for part in parts:
        router.commands.extend(part.commands)
        router.actions.update(part.actions)
        router.fallbacks.extend(part.fallbacks)
    return router


FEATURE = Feature(
    name="standup",
    router=_merged(admin, standup_answers.router, standup_report.router),
    messages=MESSAGES,
    ticks=TICKS,
)
