"""Digests: an opt-in personal morning digest (``digest on 08:30``) and a weekly channel digest
(``digest weekly mon 09:00``): done this week, overdue, median time spent per board column.

Time per column comes from the task history: each ``move`` event (detail ``"a → b"``, ``"a -> b"``,
JSON ``{"to": ...}`` or the new column's name), ``start`` (into the board's second column) and
``done`` (into the last) closes the time spent in the previous column; a task without history counts
only towards the whole-task figure (created → done).
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot import mentions
from bot.context import Ctx, TickCtx
from bot.events import Target
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.parsing import parse_time_of_day
from commands.timefmt import spoken
from commands.weekdays import day_name, read_weekday
from storage import adhoc
from storage import digests as store
from storage import reminders as claims

router = Router("reminders.digests")
SOON = timedelta(days=3)
LIST_MAX = 8
_OFF = {"off", "关闭", "关"}
_ON = {"on", "开启", "开", "打开"}


@router.command("digest", "摘要", usage="digest on 08:30|off")
def personal_digest(ctx: Ctx, args: str) -> Reply:
    """Your morning digest of open, due-soon and overdue tasks: digest on 08:30 / digest off.
    zh: 早间任务摘要:摘要 开启 08:30 / 摘要 关闭。
    """
    words = args.split()
    if words and words[0].lower() in _OFF:
        adhoc.subscribe(ctx.conn, ws=ctx.ws, kind="daily", owner=ctx.actor.user_id,
                        at_time=None, weekday=None, now=ctx.now)  # fmt: skip
        return ctx.say("digests.off")
    if not words or words[0].lower() not in _ON:
        return ctx.say("digests.usage")
    at = parse_time_of_day(" ".join(words[1:])) if len(words) > 1 else time(8, 30)
    if at is None:
        return ctx.say("digests.usage")
    adhoc.subscribe(ctx.conn, ws=ctx.ws, kind="daily", owner=ctx.actor.user_id,
                    at_time=f"{at:%H:%M}", weekday=None, now=ctx.now)  # fmt: skip
    return ctx.say("digests.on", time=f"{at:%H:%M}", tz=ctx.tz.key)


@router.command("digest weekly", "摘要 每周", "每周摘要", usage="digest weekly mon 09:00|off")
def weekly_digest(ctx: Ctx, args: str) -> Reply:
    """This channel's weekly digest: digest weekly mon 09:00 / digest weekly off (managers).
    zh: 频道周报摘要:摘要 每周 周一 09:00 / 摘要 每周 关闭(频道管理员)。
    """
    if ctx.source.is_direct:
        return ctx.say("digests.weekly_channel_only")
    channel = str(ctx.source.without_thread())
    require_manager(ctx, channel, "digests.what_weekly")
    words = args.split()
    if words and words[0].lower() in _OFF:
        adhoc.subscribe(ctx.conn, ws=ctx.ws, kind="weekly", owner=channel,
                        at_time=None, weekday=None, now=ctx.now)  # fmt: skip
        return ctx.say("digests.weekly_off")
    day = read_weekday(words[0]) if words else None
    at = parse_time_of_day(" ".join(words[1:])) if len(words) > 1 else time(9, 0)
    if day is None or at is None:
        return ctx.say("digests.usage")
    adhoc.subscribe(ctx.conn, ws=ctx.ws, kind="weekly", owner=channel,
                    at_time=f"{at:%H:%M}", weekday=day, now=ctx.now)  # fmt: skip
    name = day_name(day, "zh") if ctx.locale == "zh" else day_name(day, "en").lower()
    return ctx.say("digests.weekly_on", day=name, time=f"{at:%H:%M}", tz=ctx.settings.timezone)


def send_digests(ctx: TickCtx) -> None:
    """Queue every digest whose local moment has come today (claimed once per day or week)."""
    due: list[tuple[adhoc.Digest, str, ZoneInfo, str]] = []
    with ctx.engine.connect() as conn:
        for sub in adhoc.digests(conn):
            if sub.kind == "daily":
                locale, tz = ctx.reader(conn, ws=sub.ws, user_id=sub.owner)
            else:
                locale, tz = ctx.settings.language, ZoneInfo(ctx.settings.timezone)
            local = ctx.now.astimezone(tz)
            if _due(sub, local):
                due.append((sub, locale, tz, local.date().isoformat()))
    for sub, locale, tz, day in due:
        with ctx.engine.begin() as conn:
            key = (f"digest:{sub.id}", sub.kind, day)
            if not claims.claim(conn, keys=[key], now=ctx.now):
                continue
            if sub.kind == "daily":
                target = Target.parse(f"{sub.ws}/@{sub.owner}")
                text = _daily(ctx, conn, sub, locale, tz)
            else:
                target = Target.parse(sub.owner)
                text = _weekly(ctx, conn, sub.owner, locale)
            ctx.outbox.enqueue(conn, target, Reply(text), dedupe_key="digest:" + "|".join(key))


def _due(sub: adhoc.Digest, local: datetime) -> bool:
    at = time.fromisoformat(sub.at_time)
    if sub.kind == "weekly":
        return local.weekday() == sub.weekday and local.time() >= at
    return local.weekday() < 5 and at <= local.time() < time(21, 0)


def _daily(ctx: TickCtx, conn: sa.Connection, sub: adhoc.Digest, locale: str, tz: ZoneInfo) -> str:
    tasks = store.open_tasks_of(conn, ws=sub.ws, user_id=sub.owner)

    def t(key: str, **values: object) -> str:
        return ctx.translator.t(key, locale, **values)

    if not tasks:
        return t("digests.daily_empty")
    overdue = [x for x in tasks if x.due_at is not None and x.due_at < ctx.now]
    soon = [x for x in tasks if x.due_at is not None and ctx.now <= x.due_at < ctx.now + SOON]
    rest = [x for x in tasks if x not in overdue and x not in soon]
    lines = [t("digests.daily_title", overdue=len(overdue), soon=len(soon), open=len(tasks))]
    for key, group in (("overdue", overdue), ("soon", soon), ("open", rest)):
        if not group:
            continue
        lines.append(t(f"digests.section_{key}"))
        for task in group[:LIST_MAX]:
            due = ""
            if task.due_at is not None:
                due = t("digests.due_suffix", when=spoken(task.due_at, tz, locale))
            lines.append(
                t("digests.line", number=task.number, title=mentions.inert(task.title), due=due)
            )
        if len(group) > LIST_MAX:
            lines.append(t("digests.more", count=len(group) - LIST_MAX))
    return "\n".join(lines)


def _weekly(ctx: TickCtx, conn: sa.Connection, channel: str, locale: str) -> str:

    def t(key: str, **values: object) -> str:
        return ctx.translator.t(key, locale, **values)

    done = store.done_since(conn, channel=channel, since=ctx.now - timedelta(days=7))
    overdue = store.overdue_count(conn, channel=channel, now=ctx.now)
    lines = [t("digests.weekly_title", done=len(done), overdue=overdue)]
    if done:
        lines.append(t("digests.section_done"))
        lines.extend(
            t("digests.line", number=x.number, title=mentions.inert(x.title), due="")
            for x in done[:LIST_MAX]
        )
        if len(done) > LIST_MAX:
            lines.append(t("digests.more", count=len(done) - LIST_MAX))
    columns = store.board_columns(conn, channel=channel)
    history = store.moves(conn, task_ids=[x.id for x in done])
    spent: dict[str, list[float]] = {}
    for task in done:
        for column, seconds in time_in_columns(task, history.get(task.id, []), columns).items():
            spent.setdefault(column, []).append(seconds)
    lines.append(t("digests.section_cycle") if done else t("digests.no_cycle"))
    for column in sorted(spent, key=lambda c: columns.index(c) if c in columns else 99):
        median = statistics.median(spent[column])
        lines.append(t("digests.cycle_line", column=column, duration=_duration(median, locale)))
    totals = [(x.done_at - x.created_at).total_seconds() for x in done if x.done_at]
    if totals:
        total = _duration(statistics.median(totals), locale)
        lines.append(t("digests.cycle_total", duration=total))
    return "\n".join(lines)


def time_in_columns(
    task: store.TaskLine, events: list[tuple[datetime, str, str]], columns: list[str]
) -> dict[str, float]:
    """Seconds the task spent in each column before it was done, from its history."""
    if not events:
        return {}
    current = columns[0] if columns else "todo"
    since = task.created_at
    spent: dict[str, float] = {}
    for at, kind, detail in events:
        if kind == "start":
            nxt = columns[1] if len(columns) > 2 else "doing"
        elif kind == "done":
            nxt = columns[-1] if columns else "done"
        else:
            nxt = _target_column(detail) or current
        if nxt != current:
            spent[current] = spent.get(current, 0.0) + max((at - since).total_seconds(), 0.0)
            current, since = nxt, at
    return spent


def _target_column(detail: str) -> str | None:
    text = detail.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        value = data.get("to") or data.get("column") if isinstance(data, dict) else None
        return str(value) if value else None
    for arrow in ("→", "->", "=>"):
        if arrow in text:
            return text.rsplit(arrow, 1)[1].strip() or None
    return text or None


def _duration(seconds: float, locale: str) -> str:
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.1f} 小时" if locale == "zh" else f"{hours:.1f} h"
    return f"{hours / 24:.1f} 天" if locale == "zh" else f"{hours / 24:.1f} d"
