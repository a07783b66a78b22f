"""Recurring tasks: ``task add "周报" every fri 17:00`` puts a new task on the board at each
occurrence, at the creator's wall-clock time (DST-safe: the time is kept with their zone); ``task
recur`` lists a channel's series and turns one off or on.

An occurrence is created once: the tick claims it by moving the series to its next moment with a
conditional UPDATE in the transaction that creates the task, so a doubled tick, a restart or a
second process finds it taken. Occurrences missed while Baton was down make one task, not many.
By default a series waits while its previous task is still open (``task recur <n> always``
creates one anyway).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot import mentions
from bot.context import Ctx, Refusal, TickCtx
from bot.events import Target
from bot.people import zone
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import here, manages
from commands.recurrence import describe, next_occurrence
from commands.tasks import changes
from commands.tasks.access import channel_key, check_title, load
from commands.tasks.render import Reading, automated, card, owner_dms, person_reading
from commands.tasks.spec import TaskSpec
from commands.timefmt import spoken
from storage import series
from storage.series import NewSeries, SeriesRow

router = Router("tasks.recurring")
_SWITCHES = {
    "off": "off", "stop": "off", "关": "off", "关闭": "off", "停止": "off",
    "on": "on", "resume": "on", "开": "on", "开启": "on", "恢复": "on",
    "always": "always", "总是": "always", "总是新建": "always",
    "wait": "wait", "等待": "wait", "等完成": "wait",
}  # fmt: skip


def start_series(ctx: Ctx, spec: TaskSpec) -> list[Reply]:
    """Store the series ``spec`` describes; its first task comes at its first occurrence."""
    if not spec.title:
        raise Refusal("tasks.no_title")
    check_title(spec.title)
    every = spec.every
    assert every is not None
    if spec.due_at is not None:
        raise Refusal("tasks.recur_no_due")
    first = next_occurrence(every.every, every.at, after=ctx.now, tz=ctx.tz)
    new = NewSeries(
        channel=channel_key(ctx),
        title=spec.title,
        owners=tuple(spec.owners),
        tags=tuple(spec.tags),
        priority=spec.priority,
        creator_id=ctx.actor.user_id,
        every=every.every,
        at_time=f"{every.at:%H:%M}",
        tz=ctx.tz.key,
        locale=ctx.locale,
    )
    row = series.add(ctx.conn, ws=ctx.ws, series=new, next_at=first, now=ctx.now)
    return [
        ctx.say(
            "tasks.recur_added",
            number=row.number,
            title=mentions.inert(row.title),
            every=describe(row.every, every.at, ctx.locale),
            zone=row.tz,
            first=spoken(first, ctx.tz, ctx.locale),
        )
    ]


@router.command(
    "task recur", "任务 重复", "重复任务", usage="task recur [R<n>|#<task> off|on|always|wait]"
)
def recur(ctx: Ctx, args: str) -> Reply:
    """List the recurring tasks here, or turn one off or on; always: new even while the last is open.
    zh: 列出这里的重复任务,或关闭/开启某个;总是:上一个未完成也新建;等待:上一个完成后才新建。
    """
    words = args.split()
    if not words:
        return _listing(ctx)
    switch = _SWITCHES.get(words[-1].lower()) if len(words) == 2 else None
    if switch is None:
        raise Refusal("tasks.recur_usage")
    row = _series_of(ctx, words[0])
    if not (ctx.actor.user_id == row.creator_id or manages(ctx, row.channel)):
        raise Refusal("tasks.recur_forbidden", number=row.number)
    if switch == "off":
        series.stop(ctx.conn, series_id=row.id, now=ctx.now)
        return ctx.say("tasks.recur_off", number=row.number, title=mentions.inert(row.title))
    if switch == "on":
        upcoming = _next(row, after=ctx.now)
        series.resume(ctx.conn, series_id=row.id, next_at=upcoming)
        when = spoken(upcoming, _zone(row), ctx.locale)
        return ctx.say("tasks.recur_on", number=row.number, first=when, zone=row.tz)
    series.set_always(ctx.conn, series_id=row.id, always=switch == "always")
    return ctx.say(f"tasks.recur_{switch}", number=row.number)


def _series_of(ctx: Ctx, word: str) -> SeriesRow:
    """``R3`` / ``3``: series 3; ``#12``: the series task #12 came from."""
    if word.startswith("#"):
        task = load(ctx, word, example="task recur #12 off", deleted_ok=True)
        kind, _, series_id = task.source.partition(":")
        found = series.by_id(ctx.conn, series_id=int(series_id)) if kind == "series" else None
        if found is None:
            raise Refusal("tasks.recur_not_series", number=task.number)
        return found
    digits = word.upper().removeprefix("R")
    found = None
    if digits.isdigit() and len(digits) < 10:
        found = series.get(ctx.conn, ws=ctx.ws, number=int(digits))
    if found is None:
        raise Refusal("tasks.recur_unknown", word=mentions.inert(word[:20]))
    if not (found.channel == here(ctx) or found.creator_id == ctx.actor.user_id or ctx.is_admin):
        raise Refusal("tasks.recur_elsewhere", number=found.number)
    return found


def _listing(ctx: Ctx) -> Reply:
    rows = series.of_channel(ctx.conn, channel=channel_key(ctx))
    if not rows:
        return ctx.say("tasks.recur_none")
    lines = [ctx.t("tasks.recur_header")]
    for row in rows:
        at = time.fromisoformat(row.at_time)
        state = (
            ctx.t("tasks.recur_stopped")
            if row.stopped_at is not None
            else ctx.t("tasks.recur_next", when=spoken(row.next_at, ctx.tz, ctx.locale))
        )
        mode = ctx.t("tasks.recur_mode_always" if row.always else "tasks.recur_mode_wait")
        lines.append(
            ctx.t(
                "tasks.recur_line",
                number=row.number,
                title=mentions.inert(row.title),
                every=describe(row.every, at, ctx.locale),
                zone=row.tz,
                state=state,
                mode=mode,
            )
        )
    return Reply("\n".join(lines))


def _next(row: SeriesRow, *, after: datetime) -> datetime:
    """The series' first occurrence after ``after``, on its creator's wall clock."""
    return next_occurrence(row.every, time.fromisoformat(row.at_time), after=after, tz=_zone(row))


def _zone(row: SeriesRow) -> ZoneInfo:
    return zone(row.tz, "UTC")


def make_occurrences(ctx: TickCtx) -> None:
    """Put each series' task on its board whose moment has come, once."""
    with ctx.engine.connect() as conn:
        due = series.due(conn, now=ctx.now)
    for row in due:
        with ctx.engine.begin() as conn:
            _occur(ctx, conn, row)


def _occur(ctx: TickCtx, conn: sa.Connection, row: SeriesRow) -> None:
    """Claim occurrence ``row.next_at`` (moving the series on past now) and, unless its previous
    task is still open and it waits for it, create the occurrence's task."""
    upcoming = _next(row, after=max(ctx.now, row.next_at))
    if not series.advance(conn, series_id=row.id, was=row.next_at, to=upcoming):
        return  # another tick took it
    if not row.always and series.is_open(conn, task_id=row.last_task_id):
        return
    new = changes.NewTask(
        channel=row.channel,
        title=row.title,
        creator_id=row.creator_id,
        owners=row.owners,
        tags=row.tags,
        priority=row.priority,
        source=f"series:{row.id}",
    )
    made = changes.create(conn, new, now=ctx.now)
    series.record(conn, series_id=row.id, task_id=made.task.id)
    raised = ctx.raised(conn)
    ws = Target.parse(row.channel).ws
    view = Reading(conn, ctx.now, row.locale, _zone(row), ctx.translator)  # as it was written
    task = made.task
    text = view.t("tasks.recur_made", series=row.number, number=task.number,
                  title=mentions.inert(task.title))  # fmt: skip
    posted = Reply(text, card=card(view, task), to=Target.parse(row.channel))
    dms = owner_dms(
        task,
        row.owners,
        by=automated("series", row.number),
        reading=lambda user: person_reading(raised, ws=ws, user_id=user),
    )
    ctx.queue(conn, [posted, *dms])
    ctx.emit(conn, made)
