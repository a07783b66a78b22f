"""Which task a command names, and who may change it (the rules: ``commands.access.rules``).

A task another channel owns is refused unless the actor may see it from here; anyone who can see a
task may move, comment on and snooze it; renaming, re-dating, reassigning and deleting are for its
creator, its owners, its channel's managers and admins. Limits are checked before anything is
written.
"""

from __future__ import annotations

from bot.context import Ctx, Refusal
from commands.access.rules import may_edit, may_see
from storage import tasks
from storage.tasks import TaskRow

TITLE_LIMIT = 200
NOTE_LIMIT = 2000


def channel_key(ctx: Ctx) -> str:
    """The board a message belongs to: its channel, without thread (a DM is its own board)."""
    return str(ctx.source.without_thread())


def number_of(word: str) -> int | None:
    """``12`` or ``#12`` → 12."""
    digits = word.lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def load(ctx: Ctx, word: str, *, example: str, deleted_ok: bool = False) -> TaskRow:
    """The task a command names, or a polite refusal (also when it is not the actor's to see)."""
    number = number_of(word)
    if number is None:
        raise Refusal("tasks.need_number", example=example)
    task = tasks.get(ctx.conn, ws=ctx.ws, number=number)
    if task is None:
        raise Refusal("tasks.not_found", number=number)
    if not may_see(ctx, task):
        raise Refusal("tasks.elsewhere", number=number)
    if task.deleted_at is not None and not deleted_ok:
        raise Refusal("tasks.deleted_hint", number=number)
    return task


def split_number(ctx: Ctx, args: str, example: str) -> tuple[TaskRow, str]:
    """``<n> rest…`` → (task, rest)."""
    head, _, rest = args.strip().partition(" ")
    return load(ctx, head, example=example), rest.strip()


def require_manage(ctx: Ctx, task: TaskRow, what: str) -> None:
    """Refuse, saying why, unless the actor may rename, re-date, reassign or delete ``task``."""
    if not may_edit(ctx, task):
        raise Refusal("tasks.forbidden", what=ctx.t(f"tasks.what_{what}"), number=task.number)


def check_title(title: str) -> None:
    """Refuse over-long titles before anything is written."""
    if len(title) > TITLE_LIMIT:
        raise Refusal("tasks.title_too_long", length=len(title), limit=TITLE_LIMIT)
