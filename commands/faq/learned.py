"""What the FAQ learned by itself, for editors to review: ``faq learned`` lists the phrasings added
by askers' picks and experts' answers, ``faq unlearn`` takes one back."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.faq.common import entry_id, require_editor
from commands.faq.text import question_key
from commands.timefmt import day_time
from storage import faq, faq_learning

router = Router("faq.learned")
LIST_LIMIT = 20


@router.command("faq learned", "知识库 已学", "知识库 学到", usage="faq learned")
def learned(ctx: Ctx, args: str) -> Reply:
    """List the phrasings the FAQ learned from use, newest first (editors review or undo them).
    zh: 列出知识库从使用中学到的问法(最新的在前),供编辑者检查或撤销。
    """
    require_editor(ctx)
    rows = faq_learning.recent(ctx.conn, ws=ctx.ws, limit=LIST_LIMIT)
    if not rows:
        return ctx.say("faq.learned_none")
    lines = [ctx.t("faq.learned_header", count=len(rows))]
    for row in rows:
        lines.append(
            ctx.t(
                f"faq.learned_line_{row.source}",
                id=row.id,
                entry=row.entry_id,
                text=row.text,
                who=mentions.token(row.by_id),
                when=day_time(row.learned_at, ctx.tz, ctx.locale),
            )
        )
    lines.append(ctx.t("faq.learned_footer"))
    return Reply("\n".join(lines))


@router.command("faq unlearn", "知识库 撤销学习", "知识库 忘记", usage="faq unlearn <id>")
def unlearn(ctx: Ctx, args: str) -> Reply:
    """Take back a learned phrasing (its number is in `faq learned`).
    zh: 撤销一条学到的问法(编号见 `知识库 已学`)。
    """
    require_editor(ctx)
    number, _ = entry_id(args, "faq.usage_unlearn")
    row = faq_learning.get_learned(ctx.conn, learned_id=number)
    # Marked first, with a conditional UPDATE: a double press takes the phrasing back once.
    if row is None or not faq_learning.mark_undone(ctx.conn, learned_id=number, now=ctx.now):
        raise Refusal("faq.learned_missing", id=number)
    entry = faq.get(ctx.conn, entry_id=row.entry_id)
    if entry is not None:
        key = question_key(row.text)
        kept = [a for a in entry.alternates if question_key(a) != key]
        faq.update(ctx.conn, entry_id=entry.id, now=ctx.now, alternates=kept)
    return ctx.say("faq.unlearned", entry=row.entry_id, text=row.text)
