"""Task commands that show tasks: lists (here, mine, someone's, a tag's, overdue, a column), one
task with its checklist and history, and the channel's board."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Button, Card, Field, Reply
from bot.routing import Router
from commands.access.rules import viewer
from commands.tasks.access import channel_key, load
from commands.tasks.columns import board_of, column_of
from commands.tasks.render import card, line, who
from commands.tasks.spec import names_of, plain_mentions
from commands.timefmt import day_time
from storage import task_links, tasks

router = Router("tasks.views")
LIST_LIMIT = 20
COUNT_STEP = 1000  # lists count exactly up to a whole number of these (``_count_cap``)
_PAGE_WORDS = ("page", "p", "第")
_PAGE = re.compile(r"^(?:p|第)(\d{1,6})页?$", re.IGNORECASE)
BOARD_TITLES = 5


@router.command(
    "task list",
    "tasks",
    "task ls",
    "任务列表",
    "任务 列表",
    "查看任务列表",
    usage="task list [mine|@user|#tag|overdue|<column>] [page]",
)
def list_tasks(ctx: Ctx, args: str) -> Reply:
    """List open tasks here, or mine, someone's, a tag's, overdue ones or one column's (task list 2: the next page).
    zh: 列出这里未完成的任务,或 我的 / @某人 / #标签 / 逾期 / 某一列 的任务(任务列表 2:下一页)。
    """
    words, page = _page_of(args.split(), bare=True)
    word = words[0] if words else ""
    return _listing(ctx, *_query(ctx, word), Page("list", word, page))


def _query(ctx: Ctx, word: str) -> tuple[str, dict[str, object]]:
    """What ``task list <word>`` shows: its heading and its filters."""
    lower = word.lower()
    query: dict[str, object] = {"ws": ctx.ws}
    if lower in ("mine", "me", "my", "我的", "我"):
        query["owner"], what = ctx.actor.user_id, ctx.t("tasks.what_mine")
    elif ids := mentions.mentioned_ids(word):
        name = names_of(ctx).get(ids[0], ids[0])
        query["owner"], what = ids[0], ctx.t("tasks.what_user", user=f"@{name}")
    elif word.startswith("#") and len(word) > 1:
        query["tag"], what = word[1:].lower(), ctx.t("tasks.what_tag", tag=word[1:].lower())
    elif lower in ("overdue", "late", "逾期", "已逾期", "过期"):
        query["due_before"], what = ctx.now, ctx.t("tasks.what_overdue")
    elif word:
        config = board_of(ctx, channel_key(ctx))
        column = column_of(config, word)
        if column is None:
            raise Refusal(
                "tasks.unknown_column", column=word[:40], columns=", ".join(config.columns)
            )
        query.update(channel=channel_key(ctx), column=column, open_only=column != config.done)
        what = ctx.t("tasks.what_column", column=column)
    else:
        query["channel"], what = channel_key(ctx), ctx.t("tasks.what_open")
    return what, query


@router.command("my tasks", "mytasks", "我的任务", usage="my tasks [page]")
def my_tasks(ctx: Ctx, args: str) -> Reply:
    """List the open tasks you own, in every channel.
    zh: 列出您负责的所有未完成任务。
    """
    _, page = _page_of(args.split(), bare=True)
    query: dict[str, object] = {"ws": ctx.ws, "owner": ctx.actor.user_id}
    return _listing(ctx, ctx.t("tasks.what_mine"), query, Page("mine", "", page))


@router.command(
    "task find", "task search", "查找任务", "任务 查找", "搜索任务", usage="task find <words>"
)
def find_tasks(ctx: Ctx, args: str) -> Reply:
    """Find tasks whose title or tags contain every word (open ones first, then done).
    zh: 查找标题或标签包含所有这些词的任务(先列未完成的,再列已完成的)。
    """
    # Mentions are searched as titles store them: @name.
    words, page = _page_of(plain_mentions(args, names_of(ctx)).split(), bare=False)
    if not words:
        raise Refusal("tasks.need_text", example="task find SKU-1")
    text = " ".join(words)[:100]
    query: dict[str, object] = {"ws": ctx.ws, "words": text.split(), "open_only": False}
    what = ctx.t("tasks.what_found", words=mentions.inert(text))
    return _listing(ctx, what, query, Page("find", text, page))


@router.action("task.page")
def press_more(ctx: Ctx, value: str) -> Reply:
    """The More button under a list: value is ``<kind>|<page>|<argument>``."""
    kind, _, rest = value.partition("|")
    number, _, argument = rest.partition("|")
    page = int(number) if number.isdigit() else 1
    if kind == "mine":
        return my_tasks(ctx, str(page))
    if kind == "find":
        return find_tasks(ctx, f"{argument} {_PAGE_WORDS[0]} {page}")
    return list_tasks(ctx, f"{argument} {page}".strip())


@dataclass(frozen=True, slots=True)
class Page:
    """Which list a reply shows (``list``, ``mine``, ``find``), with what, and which page."""

    kind: str
    argument: str
    number: int


def _page_of(words: list[str], *, bare: bool) -> tuple[list[str], int]:
    """A trailing ``page 2`` / ``第2页`` / ``p2`` (or, where ``bare``, a trailing ``2``) and the
    words before it."""
    if len(words) >= 2 and words[-2].lower() in _PAGE_WORDS and words[-1].isdigit():
        return words[:-2], _page_number(words[-1])
    if words and (match := _PAGE.match(words[-1])):
        return words[:-1], _page_number(match.group(1))
    if bare and words and words[-1].isdigit():
        return words[:-1], _page_number(words[-1])
    return words, 1


def _page_number(digits: str) -> int:
    return max(1, min(int(digits[:6]), 100_000))


def _listing(ctx: Ctx, what: str, query: dict[str, object], page: Page) -> Reply:
    """One page of the tasks matching ``query`` that the actor may see from here (another
    channel's only when they created or own them), with the way to the next page."""
    query["viewer"] = viewer(ctx)
    offset = (page.number - 1) * LIST_LIMIT
    cap = _count_cap(offset)
    rows, total = tasks.search(
        ctx.conn,
        limit=LIST_LIMIT,
        offset=offset,
        count_up_to=cap + 1,
        **query,  # type: ignore[arg-type]
    )
    if total == 0:
        plain_list = page.kind == "list" and not page.argument
        return ctx.say("tasks.list_empty" if plain_list else "tasks.list_none", what=what)
    if not rows:
        raise Refusal("tasks.no_such_page", page=page.number, pages=_pages(total))
    about = _About(min(total, cap), total > cap)
    header = ctx.t("tasks.list_header", what=what, total=about.text(about.count))
    if total > LIST_LIMIT:
        pages = about.text(_pages(about.count))
        header += " " + ctx.t("tasks.page_of", page=page.number, pages=pages)
    lines = [header, *(line(ctx, t) for t in rows)]
    more = about.count - offset - len(rows)
    if more <= 0 and not about.at_least:
        return Reply("\n".join(lines))
    following = Page(page.kind, page.argument, page.number + 1)
    command = _typed(following, ctx.locale)
    lines.append(ctx.t("tasks.list_more", more=about.text(more), command=command))
    button = Button(ctx.t("tasks.button_more"), "task.page", _value(following))
    return Reply("\n".join(lines), card=Card(ctx.t("tasks.more_title"), buttons=(button,)))


def _count_cap(offset: int) -> int:
    """How far a list counts: to the first whole thousand past its page. A channel with 50,000
    open tasks says "1000+" on page 1 (counting them all would cost more than everything else
    the list does), "2000+" on page 50."""
    return ((offset + LIST_LIMIT) // COUNT_STEP + 1) * COUNT_STEP


@dataclass(frozen=True, slots=True)
class _About:
    """A count a list shows: exact, or (``at_least``) where counting stopped."""

    count: int
    at_least: bool

    def text(self, number: int) -> str:
        """``number`` (derived from the count) as shown: ``1000`` or ``1000+``."""
        return f"{number}+" if self.at_least else str(number)


def _pages(total: int) -> int:
    return -(-total // LIST_LIMIT)


def _typed(page: Page, locale: str) -> str:
    """The command that shows ``page``, as a person would type it in their language."""
    if locale == "zh":
        number = f"第{page.number}页"
        words = {"mine": ("我的任务",), "find": ("查找任务", page.argument)}.get(
            page.kind, ("任务列表", page.argument)
        )
        return " ".join(part for part in (*words, number) if part)
    if page.kind == "mine":
        return f"my tasks {page.number}"
    if page.kind == "find":
        return f"task find {page.argument} page {page.number}"
    return " ".join(part for part in ("task list", page.argument, str(page.number)) if part)


def _value(page: Page) -> str:
    return f"{page.kind}|{page.number}|{page.argument}"[:200]


@router.command(
    "task show", "task info", "查看任务", "任务 详情", "任务 查看", usage="task show <n>"
)
def show_task(ctx: Ctx, args: str) -> Reply:
    """Show a task: owner, due date, status, checklist, notes and full history.
    zh: 查看任务详情:负责人、截止时间、状态、清单、备注和完整历史。
    """
    task = load(ctx, args.strip(), example="task show 12", deleted_ok=True)
    checks = tasks.checklist(ctx.conn, task_id=task.id)
    check_lines = [
        f"{'☑' if done else '☐'} {pos}. {mentions.inert(text)}" for pos, text, done in checks
    ]
    history = [
        f"{day_time(h.at, ctx.tz, ctx.locale)} {who(ctx, h.actor_id)} "
        + ctx.t(f"tasks.ev_{h.kind}", detail=_detail(ctx, h.kind, h.detail))
        + (ctx.t("tasks.via_web") if h.via == "web" else "")
        for h in tasks.history(ctx.conn, task_id=task.id)
        if h.kind in tasks.HISTORY_KINDS
    ]
    extra = []
    if check_lines:
        extra.append(Field(ctx.t("tasks.field_checklist"), "\n".join(check_lines)))
    if links := task_links.linked(ctx.conn, task_id=task.id):
        linked = [ctx.t(f"tasks.link_{kind}", number=number) for kind, number in links]
        extra.append(Field(ctx.t("tasks.field_links"), "\n".join(linked)))
    extra.append(Field(ctx.t("tasks.field_history"), "\n".join(history)))
    return Reply(line(ctx, task), card=card(ctx, task, extra=tuple(extra)))


def _detail(ctx: Ctx, kind: str, detail: str) -> str:
    """A history line's detail; moments (due dates, snoozes) in the reader's zone."""
    if kind in ("due", "snoozed"):
        try:
            return day_time(datetime.fromisoformat(detail), ctx.tz, ctx.locale)
        except ValueError:  # "-": the due date was cleared
            return ctx.t("tasks.no_due") if detail == "-" else mentions.inert(detail)
    return mentions.inert(detail)


@router.command("task board", "board", "看板", "任务 看板", usage="task board")
def show_board(ctx: Ctx, args: str) -> Reply:
    """Show this channel's board: each column with its count and first titles.
    zh: 查看本频道的看板:每一列的任务数和前几个标题。
    """
    channel = channel_key(ctx)
    config = board_of(ctx, channel)
    counts = tasks.column_counts(ctx.conn, ws=ctx.ws, channel=channel)
    lines = [ctx.t("tasks.board_header", columns=" → ".join(config.columns))]
    for column in config.columns:
        limit = f"/{config.wip[column]}" if column in config.wip else ""
        lines.append(
            ctx.t("tasks.board_column", column=column, count=counts.get(column, 0), limit=limit)
        )
        rows, total = tasks.search(
            ctx.conn,
            ws=ctx.ws,
            channel=channel,
            column=column,
            open_only=False,
            limit=BOARD_TITLES,
        )
        lines.extend(f"  #{t.number} {mentions.inert(t.title)}" for t in rows)
        if total > len(rows):
            command = f"任务列表 {column}" if ctx.locale == "zh" else f"task list {column}"
            lines.append("  " + ctx.t("tasks.list_more", more=total - len(rows), command=command))
    return Reply("\n".join(lines))
