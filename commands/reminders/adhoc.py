"""Ad-hoc reminders: ``remind me|@user <when> <text>`` (one-off or recurring), ``remind list``,
``remind cancel <n>``, and the tick that fires them.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot import mentions
from bot.cjk import has_cjk
from bot.context import Ctx, Refusal, TickCtx
from bot.events import Target
from bot.people import zone
from bot.replies import Reply
from bot.routing import Router
from commands.parsing import parse_when
from commands.recurrence import Every, next_occurrence, parse_every
from commands.timefmt import spoken
from storage import adhoc
from storage import reminders as store

router = Router("reminders.adhoc")
MORNING = time(9, 0)
MAX_TEXT = 500
_ME = ("me", "我")


@router.command("remind", "提醒", usage="remind me|@user <when> <text>")
def add_reminder(ctx: Ctx, args: str) -> Reply:
    """Remind me or someone: remind me in 2h stretch / remind @bob every monday 9:00 report.
    zh: 提醒我或同事:提醒 我 明天10点 开会 / 提醒 @bob 每周一9点 交周报。
    """
    who, rest = _recipient(ctx, args)
    if who is None or not rest:
        return ctx.say("reminders.usage")
    every, when, text = _split_when(ctx, rest)
    if every is None and when is None:
        return ctx.say("reminders.bad_when")
    if not text:
        return ctx.say("reminders.usage")
    if len(text) > MAX_TEXT:
        raise Refusal("error.too_long", length=len(text), limit=MAX_TEXT)
    tz = ctx.reader(who)[1] if every is not None and who != ctx.actor.user_id else ctx.tz
    if every is not None:
        when = next_occurrence(every.every, every.at, after=ctx.now, tz=tz)
    assert when is not None
    if when <= ctx.now:
        return ctx.say("reminders.past")
    target = Target(ctx.source.platform, ctx.source.workspace, user=who)
    reminder = adhoc.Adhoc(
        0, ctx.ws, ctx.actor.user_id, who, str(target), text, when,
        every.every if every else None, f"{every.at:%H:%M}" if every else None, tz.key,
        ctx.locale if who == ctx.actor.user_id else None,
    )  # fmt: skip
    number = adhoc.add(ctx.conn, reminder=reminder, now=ctx.now)
    key = "reminders.added_repeat" if every else "reminders.added"
    return ctx.say(key, id=number, who=_whom(ctx, who), when=_when(ctx, when), text=text)


@router.command("remind list", "提醒 列表", "提醒列表", usage="remind list")
def list_reminders(ctx: Ctx, args: str) -> Reply:
    """Your reminders (the ones you set and the ones set for you).
    zh: 查看您设置的和别人为您设置的提醒。
    """
    rows = adhoc.active_for(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if not rows:
        return ctx.say("reminders.none")
    lines = [ctx.t("reminders.list_header")]
    for row in rows:
        repeat = ctx.t("reminders.repeats") if row.every else ""
        lines.append(
            ctx.t(
                "reminders.list_line",
                id=row.id,
                when=_when(ctx, row.next_at),
                who=_whom(ctx, row.user_id),
                text=row.text,
                repeat=repeat,
            )
        )
    return Reply("\n".join(lines))


@router.command("remind cancel", "提醒 取消", "取消提醒", usage="remind cancel <n>")
def cancel_reminder(ctx: Ctx, args: str) -> Reply:
    """Cancel one of your reminders by its number.
    zh: 按编号取消提醒。
    """
    number = args.strip().lstrip("#")
    if not number.isdigit() or len(number) > 9:
        return ctx.say("reminders.cancel_usage")
    if not adhoc.cancel(
        ctx.conn, ws=ctx.ws, reminder_id=int(number), by=ctx.actor.user_id, now=ctx.now
    ):
        raise Refusal("reminders.cancel_unknown", id=number)
    return ctx.say("reminders.cancelled", id=number)


def _recipient(ctx: Ctx, args: str) -> tuple[str | None, str]:
    text = args.strip()
    for word in _ME:
        if text.lower().startswith(word) and (
            len(text) == len(word) or text[len(word)].isspace() or has_cjk(word)
        ):
            return ctx.actor.user_id, text[len(word) :].strip()
    match = mentions.MENTION_RE.match(text)
    if match and match.group(1).lower() not in mentions.BROADCAST_IDS:
        return match.group(1), text[match.end() :].strip()
    return None, text


def _split_when(ctx: Ctx, rest: str) -> tuple[Every | None, datetime | None, str]:
    """The longest leading phrase that reads as a time (or recurrence), and the text after it."""
    words = rest.split()
    candidates = [
        (" ".join(words[:n]), " ".join(words[n:])) for n in range(min(6, len(words)), 0, -1)
    ]
    if has_cjk(words[0]):  # Chinese is often written without spaces: 明天10点开会
        head, tail = words[0], " ".join(words[1:])
        candidates += [(head[:i], f"{head[i:]} {tail}".strip()) for i in range(len(head), 1, -1)]
    for phrase, text in candidates:
        if every := parse_every(phrase):
            return every, None, text
        if when := parse_when(phrase, now=ctx.now, tz=ctx.tz, default_time=MORNING):
            return None, when.at, text
    return None, None, ""


def _whom(ctx: Ctx, user_id: str) -> str:
    return ctx.t("reminders.you") if user_id == ctx.actor.user_id else mentions.token(user_id)


def _when(ctx: Ctx, moment: datetime) -> str:
    return spoken(moment, ctx.tz, ctx.locale)


def fire_adhoc(ctx: TickCtx) -> None:
    """Send ad-hoc reminders whose moment has come; recurring ones move to their next moment."""
    with ctx.engine.connect() as conn:
        due = adhoc.due(conn, now=ctx.now)
    for row in due:
        with ctx.engine.begin() as conn:
            key = (f"adhoc:{row.id}", "fire", row.next_at.isoformat())
            if not store.claim(conn, keys=[key], now=ctx.now):
                continue
            upcoming = None
            if row.every and row.at_time:
                at = time.fromisoformat(row.at_time)
                after = max(ctx.now, row.next_at)
                upcoming = next_occurrence(row.every, at, after=after, tz=zone(row.tz, "UTC"))
            moved = adhoc.advance(
                conn, reminder_id=row.id, was=row.next_at, to=upcoming, now=ctx.now
            )
            if not moved:  # cancelled meanwhile: the claim stays, nothing is sent
                continue
            locale = row.locale or ctx.reader(conn, ws=row.ws, user_id=row.user_id)[0]
            key_name = "reminders.fire" if row.creator_id == row.user_id else "reminders.fire_from"
            text = ctx.translator.t(
                key_name, locale, text=row.text, creator=mentions.token(row.creator_id)
            )
            if upcoming is not None:
                reader_tz = ZoneInfo(row.tz)
                text += "\n" + ctx.translator.t(
                    "reminders.fire_next", locale, when=spoken(upcoming, reader_tz, locale)
                )
            ctx.outbox.enqueue(
                conn,
                Target.parse(row.target),
                Reply(text),
                dedupe_key=f"adhoc:{row.id}:{row.next_at.timestamp():.0f}",
            )
