"""A person's home page: their open tasks (overdue and due soon first) and their standups.

Platforms with a personal home tab ask for it with the ``home.open`` action and
render the card; each task carries Done and Start buttons (``task.done``/``task.start``).
"""

from __future__ import annotations

from datetime import datetime

from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Button, Card, Field, Reply
from bot.routing import Router
from commands.home_messages import MESSAGES
from commands.timefmt import date_time, weekday_time
from storage import home, standups

router = Router("home")
MAX_BUTTON_TASKS = 12  # two buttons each, within a 25-button row


def _when(ctx: Ctx, due: datetime | None) -> str:
    if due is None:
        return ctx.t("home.no_due")
    shown = date_time(due, ctx.tz)
    return ctx.t("home.overdue" if due <= ctx.now else "home.due", due=shown)


@router.action("home.open")
def open_home(ctx: Ctx, _value: str) -> Reply:
    """Show my open tasks and standups.
    zh: 显示我的未完成任务和站会。
    """
    tasks = home.open_tasks(ctx.conn, ws=ctx.actor.ws, user_id=ctx.actor.user_id)
    fields = [
        Field(f"#{t.number} {t.title}", f"{t.column} · {_when(ctx, t.due_at)}") for t in tasks
    ]
    buttons: list[Button] = []
    for task in tasks[:MAX_BUTTON_TASKS]:
        label = f"#{task.number}"
        buttons.append(
            Button(f"{ctx.t('home.done')} {label}", "task.done", str(task.number), "primary")
        )
        buttons.append(Button(f"{ctx.t('home.start')} {label}", "task.start", str(task.number)))
    mine = standups.of_member(ctx.conn, ws=ctx.actor.ws, user_id=ctx.actor.user_id)
    lines = [
        ctx.t("home.standup_next", name=row.name, at=weekday_time(at, ctx.tz, ctx.locale))
        for row, at in mine
    ]
    body = "" if tasks else ctx.t("home.empty")
    if lines:
        body = "\n".join([body, f"*{ctx.t('home.standups')}*", *lines]).strip()
    card = Card(ctx.t("home.title"), body, tuple(fields), tuple(buttons))
    return Reply(ctx.t("home.title"), card=card)


FEATURE = Feature(name="home", router=router, messages=MESSAGES)
