"""A person's home page (Slack's App Home): their open tasks, overdue and due soon first."""

from __future__ import annotations

from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Button, Card, Reply
from bot.routing import Router
from commands.tasks_common import line
from storage import tasks

router = Router("home")
HOME_TASKS = 15
HOME_BUTTONS = 5

MESSAGES = {
    "en": {
        "home.title": "My tasks",
        "home.empty": "You have no open tasks. Create one in any channel with `/task add <title>`.",
        "home.count": "{total} open task(s), most urgent first:",
        "home.done_button": "Done #{number}",
    },
    "zh": {
        "home.title": "我的任务",
        "home.empty": "您没有未完成的任务。在任意频道用 `/task add <标题>` 创建一个。",
        "home.count": "共 {total} 个未完成任务,最紧急的在前:",
        "home.done_button": "完成 #{number}",
    },
}


@router.action("home.open")
def open_home(ctx: Ctx, value: str) -> Reply:
    """The home page: my open tasks with a Done button for the most urgent."""
    rows, total = tasks.search(ctx.conn, ws=ctx.ws, owner=ctx.actor.user_id, limit=HOME_TASKS)
    if not rows:
        return Reply(ctx.t("home.empty"), card=Card(ctx.t("home.title"), ctx.t("home.empty")))
    body = "\n".join(line(ctx, task) for task in rows)
    buttons = tuple(
        Button(ctx.t("home.done_button", number=t.number), "task.done", str(t.number))
        for t in rows[:HOME_BUTTONS]
    )
    card = Card(ctx.t("home.title"), body, buttons=buttons)
    return Reply(ctx.t("home.count", total=total), card=card)


FEATURE = Feature(name="home", router=router, messages=MESSAGES)
