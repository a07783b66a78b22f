"""Board columns as people name them, in either language: ``进行中`` is ``doing``, ``已完成`` is
``done``, ``已发货`` is ``shipped`` (the board templates' columns, :mod:`commands.tasks.templates`),
so ``任务 移动 5 进行中`` works on a board whose columns were set up in English (and ``task move 5
doing`` on one set up in Chinese)."""

from __future__ import annotations

from bot.context import Ctx
from commands.tasks.templates import column_names
from storage import tasks
from storage.tasks import BoardConfig

# Each group is one column, by the names it goes by; the first is the default board's own name.
_SYNONYMS = (
    ("todo", "to do", "to-do", "backlog", "待办", "待处理", "未开始"),
    ("doing", "in progress", "wip", "进行中", "处理中", "进行"),
    ("review", "in review", "审核", "待审核", "复核", "审批"),
    ("blocked", "受阻", "阻塞", "卡住"),
    ("done", "finished", "closed", "完成", "已完成", "已结束"),
)
_DONE = _SYNONYMS[-1]
_GROUPS = (*_SYNONYMS, *column_names())


def column_of(config: BoardConfig, word: str) -> str | None:
    """The column of ``config`` that ``word`` names: its own name (any case), else a synonym in
    either language of one of its columns, else, for ``done`` or ``完成``, the board's last column
    (whatever it is called); None when it names none."""
    wanted = " ".join(word.lower().split())
    if wanted in config.columns:
        return wanted
    for names in _GROUPS:
        if wanted in names:
            found = [column for column in config.columns if column in names]
            if found:
                return found[0]
    return config.done if wanted in _DONE else None


def board_of(ctx: Ctx, channel: str) -> BoardConfig:
    """``channel``'s board as this message sees it: read once per message, however many helpers
    ask (a move checks the columns and WIP limits, then renders the card's buttons)."""
    return ctx.once(f"board:{channel}", lambda: tasks.board(ctx.conn, channel=channel))
