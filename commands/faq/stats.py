"""``faq stats``: how many questions the FAQ answered (the deflection rate), how quickly people
picked up the rest, SLA breaches, and the questions the FAQ keeps failing (knowledge gaps)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta

from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.faq.common import span
from commands.faq.text import question_key
from storage import faq_stats

router = Router("faq.stats")

PERIODS = {"": 7, "7d": 7, "30d": 30, "7天": 7, "30天": 30, "7": 7, "30": 30}
GAPS = 5


@router.command("faq stats", "知识库 统计", usage="faq stats [7d|30d]")
def stats(ctx: Ctx, args: str) -> Reply:
    """Questions, answers from the FAQ, deflection rate, response times, SLA breaches, gaps.
    zh: 提问数、知识库回答数、分流率、人工响应时间、超出 SLA 和知识缺口。
    """
    days = PERIODS.get(args.strip().casefold())
    if days is None:
        raise Refusal("faq.usage_stats")
    since = ctx.now - timedelta(days=days)
    figures = faq_stats.stats(ctx.conn, ws=ctx.ws, since=since, now=ctx.now)
    rate = f"{figures.answered / figures.questions:.0%}" if figures.questions else "—"
    median = (
        span(ctx.translator, ctx.locale, statistics.median(figures.response_seconds))
        if figures.response_seconds
        else ctx.t("faq.none")
    )
    lines = [
        ctx.t(
            "faq.stats",
            days=days,
            questions=figures.questions,
            answered=figures.answered,
            rate=rate,
            escalations=figures.escalations,
            median=median,
            breaches=figures.breaches,
        )
    ]
    gaps = knowledge_gaps(faq_stats.unanswered(ctx.conn, ws=ctx.ws, since=since))
    if gaps:
        lines.append(ctx.t("faq.stats_gaps"))
        lines += [ctx.t("faq.stats_gap", count=n, question=q) for q, n in gaps]
    return Reply("\n".join(lines))


def knowledge_gaps(questions: list[str]) -> list[tuple[str, int]]:
    """The most frequent unanswered questions (spelling variants counted together), first
    wording kept."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for text in questions:
        key = question_key(text) or text
        counts[key] += 1
        first.setdefault(key, text)
    return [(first[k], n) for k, n in counts.most_common(GAPS)]
