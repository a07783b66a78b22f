"""Who takes part in a channel's standup and what it asks: ``standup add/remove/join/leave``,
``standup questions`` and ``standup holidays``, plus the lookups every channel command shares.

Anyone may join or leave; everything else about a channel's standups is for its managers and the
admins (``commands.access.rules``)."""

from __future__ import annotations

import json
import re

from bot.context import Ctx, Refusal
from bot.mentions import mentioned_ids, token
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager as require_channel_manager
from commands.standups.common import make_up_days, supported_country
from commands.standups.schedule import NAME_RE, describe_days, first_occurrence
from storage import standups
from storage.standups import StandupRow

router = Router("standups.members")
MAX_QUESTIONS = 10
MAX_QUESTION = 300
_QUOTES = "\"'“”‘’「」『』"


def channel_key(ctx: Ctx) -> str:
    if ctx.source.is_direct:
        raise Refusal("standup.channel_only")
    return str(ctx.source.without_thread())


def pick(ctx: Ctx, name: str) -> StandupRow:
    """The standup called ``name`` in this channel, or its only one."""
    here = standups.in_channel(ctx.conn, channel=channel_key(ctx))
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


def require_manager(ctx: Ctx, channel: str) -> None:
    """Refuse unless the actor may set up and change the standups of ``channel``."""
    require_channel_manager(ctx, channel, "standup.what_change")


def schedule_member(ctx: Ctx, s: StandupRow, user_id: str) -> None:
    """Plan a participant's next prompt from now, in their own zone."""
    _, tz = ctx.reader(user_id)
    at, _ = first_occurrence(
        now=ctx.now, minute_of_day=s.minute_of_day, days=s.days, tz=tz, extra=make_up_days(s)
    )
    standups.reschedule(ctx.conn, standup_id=s.id, user_id=user_id, at=at)


def add_member(ctx: Ctx, s: StandupRow, user_id: str) -> bool:
    _, tz = ctx.reader(user_id)
    at, _ = first_occurrence(
        now=ctx.now, minute_of_day=s.minute_of_day, days=s.days, tz=tz, extra=make_up_days(s)
    )
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


def _words_and_people(args: str) -> tuple[str, list[str]]:
    people = mentioned_ids(args)
    words = [w for w in re.sub(r"<@[^>]*>", " ", args).split() if NAME_RE.match(w.lower())]
    return (words[0] if words else ""), people


@router.command("standup add", "站会 添加", usage="standup add @a @b [name]")
def add_people(ctx: Ctx, args: str) -> list[Reply]:
    """Add people to a standup (managers).
    zh: 把同事加入站会(频道管理员)。
    """
    name, people = _words_and_people(args)
    if not people:
        if left := ctx.left_out(args):
            return left
        raise Refusal("standup.add_nobody")
    s = pick(ctx, name)
    require_manager(ctx, s.channel)
    added = [uid for uid in people if add_member(ctx, s, uid)]
    reply = ctx.t("standup.added", name=s.name, people=" ".join(token(u) for u in added) or "-")
    if already := [uid for uid in people if uid not in added]:
        reply += "\n" + ctx.t("standup.already_in", people=" ".join(token(u) for u in already))
    return [Reply(reply), *ctx.left_out(args)]


@router.command("standup remove", "站会 移除", usage="standup remove @a [name]")
def remove_people(ctx: Ctx, args: str) -> Reply | list[Reply]:
    """Remove people from a standup (managers).
    zh: 把同事移出站会(频道管理员)。
    """
    name, people = _words_and_people(args)
    if not people:
        if left := ctx.left_out(args):
            return left
        raise Refusal("standup.add_nobody")
    s = pick(ctx, name)
    require_manager(ctx, s.channel)
    gone = [u for u in people if standups.remove_member(ctx.conn, standup_id=s.id, user_id=u)]
    removed = ctx.say(
        "standup.removed", name=s.name, people=" ".join(token(u) for u in gone) or "-"
    )
    return [removed, *ctx.left_out(args)]


@router.command("standup join", "站会 加入", usage="standup join [name]")
def join_standup(ctx: Ctx, args: str) -> Reply:
    """Take part in this channel's standup.
    zh: 参加本频道的站会。
    """
    s = pick(ctx, args.strip())
    if not add_member(ctx, s, ctx.actor.user_id):
        return ctx.say("standup.already_member", name=s.name)
    return ctx.say("standup.joined", name=s.name, summary=describe(ctx, s))


@router.command("standup leave", "站会 退出", usage="standup leave [name]")
def leave_standup(ctx: Ctx, args: str) -> Reply:
    """Stop taking part in this channel's standup.
    zh: 退出本频道的站会。
    """
    s = pick(ctx, args.strip())
    if not standups.remove_member(ctx.conn, standup_id=s.id, user_id=ctx.actor.user_id):
        return ctx.say("standup.not_member", name=s.name)
    return ctx.say("standup.left", name=s.name)


def _split_questions(text: str) -> list[str]:
    return [part.strip().strip(_QUOTES).strip() for part in text.split("|") if part.strip()]


@router.command(
    "standup questions", "站会 问题", usage='standup questions [name] "…" | "…" | default'
)
def set_questions(ctx: Ctx, args: str) -> Reply:
    """Set a standup's own questions, separated by | (or default).
    zh: 自定义站会问题,用 | 分隔(或 default 恢复默认)。
    """
    here = {s.name: s for s in standups.in_channel(ctx.conn, channel=channel_key(ctx))}
    first, _, rest = args.strip().partition(" ")
    name = first.lower() if first.lower() in here and rest.strip() else ""
    text = rest if name else args
    s = pick(ctx, name)
    require_manager(ctx, s.channel)
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


@router.command("standup holidays", "站会 节假日", usage="standup holidays [name] CN|off")
def set_holidays(ctx: Ctx, args: str) -> Reply:
    """Skip the public holidays of a country (standup holidays CN), or off.
    zh: 跳过某国法定节假日(站会 节假日 CN),或 off 关闭。
    """
    words = args.split()
    if not words:
        raise Refusal("standup.holidays_invalid", code="")
    s = pick(ctx, words[0] if len(words) > 1 else "")
    require_manager(ctx, s.channel)
    code = words[-1]
    if code.lower() in ("off", "none", "关闭", "无"):
        standups.update(ctx.conn, standup_id=s.id, values={"holidays": None})
        return ctx.say("standup.holidays_off", name=s.name)
    country = supported_country(code)
    if country is None:
        raise Refusal("standup.holidays_invalid", code=code[:20])
    standups.update(ctx.conn, standup_id=s.id, values={"holidays": country})
    return ctx.say("standup.holidays_set", name=s.name, country=country)
