"""``help``: the commands people use most first, then every command grouped by feature, from the
handlers' own docstrings, in the reader's language."""

from __future__ import annotations

from bot.context import Ctx
from bot.feature import Feature
from bot.replies import Reply
from bot.routing import Router
from bot.usage import Usage

router = Router("help")
# What a newcomer needs in the first hour, in the order they need it.
COMMON = ("task add", "task list", "my tasks", "task done", "remind", "standup answer", "ask")
_LAST = ("settings", "help")  # personal settings and help itself close the list


def _line(ctx: Ctx, command: Usage) -> str:
    summary = command.help_zh if ctx.locale == "zh" else command.help_en
    chinese = [alias for alias in command.aliases if not alias.isascii()]
    alias_note = f" ({' / '.join(chinese)})" if chinese else ""
    return f"• `{command.usage}`{alias_note}: {summary}"


@router.command("help", "帮助", "?", usage="help [command]")
def show_help(ctx: Ctx, args: str) -> Reply:
    """List what I can do, or the commands of one group (help task, or task help).
    zh: 列出所有命令,或某一组命令(帮助 任务,或 任务 帮助)。
    """
    group = args.strip().casefold()
    commands = list(ctx.commands)
    if group:
        chosen = [c for c in commands if group in {a.split()[0].casefold() for a in c.aliases}]
        if not chosen:
            return ctx.tell("help.unknown_group", group=args.strip()[:40])
        lines = [ctx.t("help.group_header", group=chosen[0].group)]
        lines += [_line(ctx, c) for c in chosen]
        return Reply("\n".join([*lines, ctx.t("help.footer")]), ephemeral=True)
    return Reply("\n".join([*_overview(ctx, commands), ctx.t("help.footer")]), ephemeral=True)


def _overview(ctx: Ctx, commands: list[Usage]) -> list[str]:
    """The common commands, then each feature's, under a heading in the reader's language."""
    by_path = {c.path: c for c in commands}
    lines = [ctx.t("help.header")]
    lines += [_line(ctx, by_path[path]) for path in COMMON if path in by_path]
    sections = list(dict.fromkeys(c.section for c in commands))
    sections.sort(key=lambda name: name in _LAST)  # stable: features keep their order
    for section in sections:
        key = f"help.section_{section}"
        heading = ctx.t(key) if ctx.translator.has(key) else section
        lines.append(f"\n*{heading}*")
        lines += [_line(ctx, c) for c in commands if c.section == section]
    return lines


FEATURE = Feature(name="help", router=router, messages={})
