"""The FAQ's scheduled work: bringing the search index up to date after changes, and the SLA clock of
escalated questions. The SLA tick re-pings the experts when the deadline passes,
then calls the backup list (or the admins) at twice the SLA. Each step is claimed in the database
before its message is queued (with a dedupe key), so it happens once, across restarts and even
with two Baton processes; a response ("I'm on it", a reply in the thread, "Resolved") stops both.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot import mentions
from bot.context import TickCtx
from bot.events import Target
from bot.feature import Tick
from bot.replies import Reply
from commands.faq.common import language_of, people, span
from commands.faq.search import index_of
from commands.faq.signals import EscalationOverdue
from commands.timefmt import deadline
from storage import faq, faq_escalations
from storage.faq_escalations import EscalationRow


def run(ctx: TickCtx) -> None:
    """Take every due SLA step once."""
    with ctx.engine.begin() as conn:
        for row in faq_escalations.claim_repings(conn, now=ctx.now):
            _send(ctx, conn, row, "reping", list(row.experts))
            ctx.emit(conn, EscalationOverdue.of(row))  # for the rules of its channel
        for row in faq_escalations.claim_raises(conn, now=ctx.now):
            backup = faq.experts(conn, ws=row.ws, scope="backup")
            _send(ctx, conn, row, "raise", backup or sorted(ctx.settings.admins))


def _send(
    ctx: TickCtx, conn: sa.Connection, row: EscalationRow, step: str, recipients: list[str]
) -> None:
    """Post the step in the question's thread mentioning ``recipients`` (in the asker's language),
    or DM each of them when the question was asked in a DM."""
    place = Target.parse(row.place)
    if not recipients:
        return
    if place.is_direct:
        for user_id in recipients:
            target = Target(place.platform, place.workspace, "", None, user_id)
            text = _text(ctx, conn, row, step, [user_id], reader=user_id)
            ctx.outbox.enqueue(
                conn, target, Reply(text), dedupe_key=f"faq.{step}:{row.id}:{user_id}"
            )
        return
    text = _text(ctx, conn, row, step, recipients, reader=row.asker_id)
    ctx.outbox.enqueue(conn, place, Reply(text), dedupe_key=f"faq.{step}:{row.id}")


def _text(
    ctx: TickCtx,
    conn: sa.Connection,
    row: EscalationRow,
    step: str,
    recipients: list[str],
    *,
    reader: str,
) -> str:
    locale, tz = ctx.reader(conn, ws=row.ws, user_id=reader)
    if reader == row.asker_id:  # the thread: the question's language
        locale = language_of(row.question, locale)
    return ctx.translator.t(
        f"faq.{step}",
        locale,
        experts=people(row.experts),
        people=people(recipients),
        asker=mentions.token(row.asker_id),
        id=row.id,
        due=deadline(row.due_at, tz, locale),
        elapsed=span(ctx.translator, locale, (ctx.now - row.created_at).total_seconds()),
        question=row.question,
    )


def warm(ctx: TickCtx) -> None:
    """Bring the search index up to date between questions (loading the sentence encoder the
    first time, and encoding and storing the vectors of new phrasings), so the next asker does
    not wait for it."""
    with ctx.engine.begin() as conn:
        if faq.version(conn):  # an empty FAQ needs no index (nor the encoder's memory)
            index_of(conn, ctx.memo, ctx.settings)


TICKS = (Tick("faq.sla", run), Tick("faq.index", warm))
