"""Who may do what, in one place: the README's permissions table as functions.

Chat commands and card buttons ask these. The web dashboard shows a channel's board to whoever may
see its tasks from there, the people who have written in it (``bot.places``) and the admins, and
runs every change made there as the chat command in the board's channel, so the rules below apply
to it unchanged. A rule changes here or nowhere:

- A task is visible from its own channel; from anywhere else only to its creator, its owners and
  the admins. Anyone who can see a task may start, move, comment on, tick and snooze it.
- Renaming, re-dating, reassigning, deleting and restoring a task are for its creator, its owners,
  the managers of its channel and the admins; so is forcing a task past a WIP limit (managers and
  admins only).
- A channel's settings (board columns and WIP limits, reminder settings, the weekly digest,
  standups, FAQ watching) are for its managers and the admins.

The managers of a channel are the people an admin named there (``manager add``); whoever the
platform says administers the workspace or the group, for the conversation they write in (the
platform vouches for them there, not elsewhere); and in a direct conversation with Baton, the
person themselves: it is their own board. Admins are ``BATON_ADMINS``.
"""

from __future__ import annotations

from bot.context import Ctx, Refusal
from bot.events import Target
from storage import managers
from storage.tasks import TaskRow, Viewer


def here(ctx: Ctx) -> str:
    """The channel a message came from (a thread belongs to its channel; a DM is its own)."""
    return str(ctx.source.without_thread())


def manages(ctx: Ctx, channel: str) -> bool:
    """True when the actor may change ``channel``'s settings and manage its tasks."""
    if ctx.is_admin or channel == str(Target.direct(ctx.actor)):
        return True
    if ctx.actor.platform_admin and channel == here(ctx):
        return True
    return managers.is_manager(ctx.conn, channel=channel, user_id=ctx.actor.user_id)


def require_manager(ctx: Ctx, channel: str, what: str) -> None:
    """Refuse, saying who may and how to find them, unless the actor manages ``channel``;
    ``what`` is the catalog key of the action ("change the board's columns")."""
    if not manages(ctx, channel):
        raise Refusal("access.managers_only", what=ctx.t(what))


def _involved(ctx: Ctx, task: TaskRow) -> bool:
    me = ctx.actor.user_id
    return me == task.creator_id or me in task.owners


def may_see(ctx: Ctx, task: TaskRow) -> bool:
    """True when the actor may see ``task`` (and so act on it) from where they are."""
    return ctx.is_admin or task.channel == here(ctx) or _involved(ctx, task)


def may_edit(ctx: Ctx, task: TaskRow) -> bool:
    """True when the actor may rename, re-date, reassign, delete or restore ``task``."""
    return _involved(ctx, task) or manages(ctx, task.channel)


def viewer(ctx: Ctx) -> Viewer | None:
    """The :func:`may_see` rule for a search: None for admins, who see everything."""
    return None if ctx.is_admin else Viewer(user_id=ctx.actor.user_id, channel=here(ctx))
