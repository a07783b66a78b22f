"""``standup report``: one day's answers, or participation per person over a period.

Participation counts the occurrences a person was actually asked: time off, public holidays and
occurrences Baton missed while it was down are left out, so nobody is blamed for them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from bot.context import Ctx, Refusal
from bot.mentions import mentioned_ids, token
from bot.replies import Reply
from bot.routing import Router
from commands.parsing import cn_number
from commands.standups.summary import summary_lines
from storage import standup_runs as runs
from storage import standups
from storage.standup_runs import RunRow
from storage.standups import StandupRow

router = Router("standups.report")
MAX_DAYS = 366
_SPAN = re.compile(r"^(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(d|days?|天|日|w|weeks?|周)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NOT_ASKED = frozenset({"away", "holiday", "missed"})


def _period(word: str, today: date) -> tuple[date, date] | None:
    value = word.strip().lower()
    if value in ("", "today", "今天"):
        return today, today
    if value in ("yesterday", "昨天"):
        return today - timedelta(days=1), today - timedelta(days=1)
    if _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return day, day
    if match := _SPAN.match(value.replace(" ", "")):
        count = (cn_number(match.group(1)) or 0) * (7 if match.group(2)[0] in "w周" else 1)
        if 1 <= count <= MAX_DAYS:
            return today - timedelta(days=count - 1), today
    return None


def _scope(ctx: Ctx) -> list[StandupRow]:
    if ctx.source.is_direct:
        return [s for s, _ in standups.of_member(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)]
    return standups.in_channel(ctx.conn, channel=str(ctx.source.without_thread()))


def participation(day_runs: Sequence[RunRow]) -> list[tuple[str, int, int, int]]:
    """Per person: (user id, answered, asked, blockers), by user id."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for run in day_runs:
        if run.status in _NOT_ASKED:
            continue
        counts = tally[run.user_id]
        counts[1] += 1
        if run.status == "answered":
            counts[0] += 1
            counts[2] += bool(run.blocker)
    return [(uid, c[0], c[1], c[2]) for uid, c in sorted(tally.items())]


def _rate_lines(ctx: Ctx, found: Sequence[RunRow]) -> list[str]:
    return [
        ctx.t(
            "standup.report_rate",
            who=token(uid),
            answered=answered,
            asked=asked,
            rate=round(100 * answered / asked) if asked else 0,
            blockers=blockers,
        )
        for uid, answered, asked, blockers in participation(found)
    ]


@router.command(
    "standup report", "站会 报告", usage="standup report [today|YYYY-MM-DD|7d] [@user]"
)
def standup_report(ctx: Ctx, args: str) -> Reply:
    """A day's answers, or participation per person over a period (7d).
    zh: 某一天的回答,或一段时间内每人的参与率(7天)。
    """
    people = mentioned_ids(args)
    words = [w for w in re.sub(r"<@[^>]*>", " ", args).split()]
    today = ctx.now.astimezone(ctx.tz).date()
    span = _period(words[0] if words else "", today)
    if span is None or len(words) > 1:
        raise Refusal("standup.report_invalid", text=args.strip()[:60])
    first, last = span
    who = people[0] if people else None
    lines: list[str] = []
    for s in _scope(ctx):
        found = runs.runs_between(
            ctx.conn, standup_ids=[s.id], first_day=first.isoformat(),
            last_day=last.isoformat(), user_id=who,
        )  # fmt: skip
        if not found:
            continue
        lines.append(ctx.t("standup.report_header", name=s.name))
        if first == last:
            lines.extend(
                summary_lines(ctx.translator, s, found, with_answers=True, locale=ctx.locale)
            )
        lines.extend(_rate_lines(ctx, found))
    if not lines:
        return ctx.say("standup.report_empty", first=first.isoformat(), last=last.isoformat())
    period = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
    return Reply("\n".join([ctx.t("standup.report_title", period=period), *lines]))
