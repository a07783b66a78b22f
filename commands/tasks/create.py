"""``task add``: a chat message becomes a tracked task with owners, a due date and tags, or, with a
recurrence (``every fri 17:00``), a recurring task (:mod:`commands.tasks.recurring`)."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.tasks import changes
from commands.tasks.access import TITLE_LIMIT, channel_key, check_title
from commands.tasks.columns import board_of
from commands.tasks.recurring import start_series
from commands.tasks.render import notify_owners, show
from commands.tasks.spec import TaskSpec, parse_spec, plain_mentions

router = Router("tasks.create")
MAX_QUOTED = 150  # characters of a quoted message that become a task's title
MAX_LINK = 120  # a longer link back would leave too little room for the words: it is left out


@router.command(
    "task add",
    "task new",
    "新建任务",
    "任务 新建",
    "任务 添加",
    "添加任务",
    usage="task add <title> [@owner] [due:<when>] [!high|!low] [#tag] [every <when>]",
)
def add_task(ctx: Ctx, args: str) -> list[Reply]:
    """Create a task; mentioned people own it (e.g. task add Restock SKU-1 @alice due:fri #stock; every fri 17:00 repeats it).
    zh: 新建任务(例如 新建任务 补货 SKU-1 @alice 截止:周五 #库存;加 每周五 17点 则每周重复),被 @ 的人是负责人。
    """
    spec = from_quote(ctx, parse_spec(ctx, args))
    made = start_series(ctx, spec) if spec.every is not None else create_task(ctx, spec)
    return [*made, *ctx.left_out(args)]


def from_quote(ctx: Ctx, spec: TaskSpec) -> TaskSpec:
    """A task asked for in reply to a message, without a title of its own, is that message: its
    words, and a link back where the platform gives one, are the title (``task`` or
    ``task add @bob due:fri`` answering a colleague's message)."""
    quote = ctx.inbound.quoted
    if spec.title or quote is None:
        return spec
    if not quote.text.strip():
        raise Refusal("tasks.quote_no_text")
    # The link back always fits: the words give way to it, up to the title limit.
    link = quote.link if quote.link and len(quote.link) <= MAX_LINK else None
    room = min(MAX_QUOTED, TITLE_LIMIT - (len(link) + 1 if link else 0))
    words = " ".join(quote.text.split())[:room]
    spec.title = plain_mentions(" ".join(part for part in (words, link) if part), {})
    spec.source = quote.ref
    return spec


def create_task(ctx: Ctx, spec: TaskSpec) -> list[Reply]:
    """Store a task from a parsed spec; the reply shows its card, new owners get a DM."""
    if not spec.title:
        raise Refusal("tasks.no_title")
    check_title(spec.title)
    new = changes.NewTask(
        channel=channel_key(ctx),
        title=spec.title,
        creator_id=ctx.actor.user_id,
        owners=spec.owners,
        tags=spec.tags,
        priority=spec.priority,
        due_at=spec.due_at,
        source=spec.source or ctx.inbound.message_ref or "",
        via=ctx.inbound.via,
    )
    made = changes.create(ctx.conn, new, now=ctx.now, config=board_of(ctx, new.channel))
    task = made.task
    created = show(
        ctx, task, "tasks.created", number=task.number, title=mentions.inert(task.title)
    )
    if spec.kept:
        note = ctx.t("tasks.due_kept", words=mentions.inert(spec.kept))
        created = Reply(f"{created.text}\n{note}", card=created.card, edit_ref=created.edit_ref)
    ctx.emit(made)
    return [created, *notify_owners(ctx, task, spec.owners)]
