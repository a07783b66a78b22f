"""``dashboard``: a sign-in link to the web dashboard, sent to the person alone."""

from __future__ import annotations

from bot import weblinks
from bot.context import Ctx, Refusal
from bot.events import Target
from bot.replies import Reply
from bot.routing import Router

router = Router("dashboard.link")


@router.command("dashboard", "看板 网页", "网页看板", "网页 看板", usage="dashboard")
def send_link(ctx: Ctx, args: str) -> list[Reply]:
    """Get a sign-in link to the web dashboard by direct message (valid 10 minutes, once).
    zh: 通过私信获取网页看板的登录链接(10 分钟内有效,只能使用一次)。
    """
    if not ctx.settings.web_enabled:
        raise Refusal("dashboard.off")
    minutes = int(weblinks.LINK_LIFETIME.total_seconds() // 60)
    url = weblinks.issue(
        ctx.conn,
        ws=ctx.actor.ws,
        user_id=ctx.actor.user_id,
        now=ctx.now,
        base_url=ctx.settings.dashboard_url,
    )
    if url is None:
        raise Refusal("dashboard.too_many", limit=weblinks.LINKS_PER_WINDOW, minutes=minutes)
    dm = Reply(ctx.t("dashboard.link", url=url, minutes=minutes), to=Target.direct(ctx.actor))
    if ctx.source.is_direct:
        return [dm]
    return [ctx.say("dashboard.sent"), dm]
