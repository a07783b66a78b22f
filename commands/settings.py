"""Personal settings: a person's own time zone and reply language."""

from __future__ import annotations

from dataclasses import replace

from bot.cjk import has_cjk
from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Reply
from bot.routing import Router
from commands.zones import read_zone

router = Router("settings")


@router.command("tz", "时区", usage="tz <zone|city|UTC+8>")
def set_timezone(ctx: Ctx, args: str) -> Reply:
    """Show or set your time zone: a zone, a city or an offset (tz Berlin, tz UTC+8).
    zh: 查看或设置您的时区:时区名、城市或偏移(时区 北京、时区 UTC+8)。
    """
    name = args.strip()
    if not name:
        return ctx.say("settings.tz_current", tz=ctx.tz.key)
    zone = read_zone(name)
    if zone is None:
        return ctx.say("settings.tz_invalid", tz=name[:64])
    prefs = ctx.people.observe(ctx.conn, ctx.actor, ctx.now)
    ctx.people.update(
        ctx.conn,
        ws=ctx.ws,
        user_id=ctx.actor.user_id,
        prefs=replace(prefs, tz=zone.key),
        now=ctx.now,
    )
    return ctx.say("settings.tz_set", tz=zone.key)


@router.command("lang", "语言", usage="lang en|zh")
def set_language(ctx: Ctx, args: str) -> Reply:
    """Show or set the language I answer you in (lang en / lang zh).
    zh: 查看或设置回复语言(语言 zh / 语言 en)。
    """
    choice = args.strip().lower()
    if not choice:
        return ctx.say("settings.lang_current")
    locale = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "中文": "zh", "cn": "zh"}.get(
        choice
    )
    if locale is None:
        return Reply(
            ctx.translator.t("settings.lang_invalid", "zh" if has_cjk(choice) else ctx.locale)
        )
    prefs = ctx.people.observe(ctx.conn, ctx.actor, ctx.now)
    ctx.people.update(
        ctx.conn,
        ws=ctx.ws,
        user_id=ctx.actor.user_id,
        prefs=replace(prefs, locale=locale),
        now=ctx.now,
    )
    return Reply(ctx.translator.t("settings.lang_set", locale))


FEATURE = Feature(name="settings", router=router, messages={})
