"""``help``: lists commands from their handlers' own docstrings, in the reader's language."""

from __future__ import annotations

from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Reply
from bot.routing import Router
from bot.usage import Usage

router = Router("help")


def _line(ctx: Ctx, command: Usage) -> str:
    summary = command.help_zh if ctx.locale == "zh" else command.help_en
    chinese = [alias for alias in command.aliases if not alias.isascii()]
    alias_note = f" ({' / '.join(chinese)})" if chinese else ""
    return f"• `{command.usage}`{alias_note}: {summary}"


@router.command("help", "帮助", "?", usage="help [command]")
def show_help(ctx: Ctx, args: str) -> Reply:
    """List what I can do, or the commands of one group (help task).
    zh: 列出所有命令,或某一组命令(帮助 task)。
    """
    group = args.strip().casefold()
    commands = list(ctx.commands)
    if group:
        chosen = [c for c in commands if group in {a.split()[0].casefold() for a in c.aliases}]
        if not chosen:
            return ctx.say("help.unknown_group", group=args.strip()[:40])
        header = ctx.t("help.group_header", group=chosen[0].group)
    else:
        chosen = commands
        header = ctx.t("help.header")
    lines = [header, *(_line(ctx, c) for c in chosen), ctx.t("help.footer")]
    return Reply("\n".join(lines))


FEATURE = Feature(name="help", router=router, messages={})
