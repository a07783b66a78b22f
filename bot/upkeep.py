"""The core's own periodic upkeep, registered by ``build_app`` beside the features' ticks.

- ``prune_inbox``: forget finished inbox rows once every platform's redelivery window has passed.
- ``tell_admins_about_parked``: a direct message to each admin, once, about every message the outbox
  gave up on, so an operator hears of it without watching ``baton outbox``. Each notice is an outbox
  row keyed by the parked row, the admin and the moment it was parked, so it is queued once however
  many ticks or processes see it; a notice that cannot be delivered is never noticed in turn.
"""

from __future__ import annotations

from datetime import timedelta

from bot import mentions
from bot.context import TickCtx
from bot.events import Target
from bot.feature import Tick
from bot.replies import Reply
from storage import inbox, pacing
from storage import outbox as rows
from storage.outbox import NOTICE_PREFIX, ParkedRow

INBOX_KEEP = timedelta(days=7)
PACE_KEEP = timedelta(hours=1)
NOTICE_WINDOW = timedelta(days=2)  # rows parked longer ago than this were told about already
MAX_NOTICES = 200


def prune_inbox(ctx: TickCtx) -> None:
    """Forget finished inbox rows older than any platform's redelivery or replay window, and the
    pace of chats that have been free for an hour."""
    with ctx.engine.begin() as conn:
        inbox.forget_before(conn, before=ctx.now - INBOX_KEEP)
        pacing.forget_before(conn, before=(ctx.now - PACE_KEEP).timestamp())


def _notice_key(row: ParkedRow, admin: str) -> str:
    return f"{NOTICE_PREFIX}{row.id}:{admin}:{row.parked_at.timestamp():.0f}"


def tell_admins_about_parked(ctx: TickCtx) -> None:
    """Queue a DM to each admin about each recently parked message they were not told about."""
    admins = sorted(ctx.settings.admins)
    if not admins:
        return
    with ctx.engine.connect() as conn:
        parked = rows.parked(conn, limit=MAX_NOTICES, since=ctx.now - NOTICE_WINDOW)
        wanted = [(row, admin, _notice_key(row, admin)) for row in parked for admin in admins]
        told = rows.used_keys(conn, keys=[key for _, _, key in wanted])
    fresh = [(row, admin, key) for row, admin, key in wanted if key not in told]
    if not fresh:
        return
    with ctx.engine.begin() as conn:
        for row, admin, key in fresh:
            where = Target.parse(row.target)
            locale, _ = ctx.reader(conn, ws=where.ws, user_id=admin)
            text = ctx.translator.t(
                "outbox.parked_notice",
                locale,
                id=row.id,
                target=row.target,
                attempts=row.attempts,
                error=mentions.inert(row.error[:300]),
            )
            to = Target(where.platform, where.workspace, user=admin)
            ctx.outbox.enqueue(conn, to, Reply(text), dedupe_key=key)


UPKEEP = (
    Tick("core.inbox", prune_inbox),
    Tick("core.parked", tell_admins_about_parked),
)
