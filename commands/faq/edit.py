"""FAQ commands that change or show entries and who does what: add, alt, edit, rm, show, list,
editors, watch, unwatch and experts."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.faq.common import (
    asked_by,
    check_lengths,
    entry_card,
    entry_id,
    load_entry,
    people,
    plain,
    require_admin,
    require_editor,
    split_pair,
    unquote,
)
from storage import faq
from storage.faq import NewEntry

router = Router("faq.edit")
LIST_LIMIT = 30
_QUESTION_WORDS = frozenset({"question", "q", "问题"})
_ANSWER_WORDS = frozenset({"answer", "a", "答案"})
_BACKUP_WORDS = frozenset({"backup", "后备", "备份"})
_CLEAR_WORDS = frozenset({"none", "clear", "清空", "无"})


@router.command(
    "faq add", "知识库 新增", "知识库 添加", usage='faq add "question" | "answer" [#tag]'
)
def add(ctx: Ctx, args: str) -> Reply:
    """Add an entry: faq add "How do I issue an invoice?" | "In the ERP…" #finance.
    zh: 新增知识库条目:知识库 新增 "发票怎么开?" | "在ERP里申请…" #财务。
    """
    require_editor(ctx)
    pair = split_pair(args)
    if pair is None or not pair[0] or not pair[1]:
        raise Refusal("faq.usage_add")
    question, answer, tags = plain(ctx, pair[0]), plain(ctx, pair[1]), pair[2]
    check_lengths(question, answer)
    twin = asked_by(ctx, question)
    if twin is not None:
        raise Refusal("faq.duplicate", id=twin)
    entry = NewEntry(question=question, answer=answer, tags=tags, lang=ctx.locale)
    [number] = faq.add_many(ctx.conn, entries=[entry], owner_id=ctx.actor.user_id, now=ctx.now)
    return ctx.say("faq.added", id=number, question=question)


@router.command("faq alt", "知识库 别名", "知识库 问法", usage="faq alt <id> <phrasing>")
def alt(ctx: Ctx, args: str) -> Reply:
    """Add another way of asking an entry's question.
    zh: 给条目添加另一种问法。
    """
    require_editor(ctx)
    number, text = entry_id(args, "faq.usage_alt")
    text = plain(ctx, unquote(text))
    if not text:
        raise Refusal("faq.usage_alt")
    check_lengths(question=text)
    entry = load_entry(ctx, number)
    phrasings = list(dict.fromkeys([*entry.alternates, text]))
    faq.update(ctx.conn, entry_id=number, now=ctx.now, alternates=phrasings)
    return ctx.say("faq.alt_added", id=number, text=text)


@router.command(
    "faq edit", "知识库 修改", "知识库 编辑", usage="faq edit <id> question|answer <text>"
)
def edit(ctx: Ctx, args: str) -> Reply:
    """Change an entry's question or answer.
    zh: 修改条目的问题或答案。
    """
    require_editor(ctx)
    number, rest = entry_id(args, "faq.usage_edit")
    which, _, text = rest.partition(" ")
    text = plain(ctx, unquote(text))
    if not text or which.casefold() not in _QUESTION_WORDS | _ANSWER_WORDS:
        raise Refusal("faq.usage_edit")
    load_entry(ctx, number)
    if which.casefold() in _QUESTION_WORDS:
        check_lengths(question=text)
        faq.update(ctx.conn, entry_id=number, now=ctx.now, question=text)
        return ctx.say("faq.edited_question", id=number, text=text)
    check_lengths(answer=text)
    faq.update(ctx.conn, entry_id=number, now=ctx.now, answer=text)
    return ctx.say("faq.edited_answer", id=number)


@router.command("faq rm", "faq delete", "知识库 删除", usage="faq rm <id>")
def remove(ctx: Ctx, args: str) -> Reply:
    """Delete an entry.
    zh: 删除条目。
    """
    require_editor(ctx)
    number, _ = entry_id(args, "faq.need_id")
    entry = load_entry(ctx, number)
    faq.remove(ctx.conn, entry_id=number)
    return ctx.say("faq.removed", id=number, question=entry.question)


@router.command("faq show", "知识库 查看", usage="faq show <id>")
def show(ctx: Ctx, args: str) -> Reply:
    """Show one entry with its answer, phrasings and use.
    zh: 查看一个条目的答案、问法和使用情况。
    """
    number, _ = entry_id(args, "faq.need_id")
    entry = load_entry(ctx, number)
    return Reply(
        ctx.t("faq.answer_title", id=entry.id, question=entry.question),
        card=entry_card(ctx, entry),
    )


@router.command("faq list", "faq", "知识库 列表", usage="faq list [#tag]")
def listing(ctx: Ctx, args: str) -> Reply:
    """List entries, newest first, optionally one tag's.
    zh: 列出条目(最新的在前),可以只看某个标签。
    """
    tag = args.strip().lstrip("#").casefold()[:40] or None
    entries = faq.listing(ctx.conn, tag=tag, limit=LIST_LIMIT)
    if not entries:
        return ctx.say("faq.list_empty")
    header = (
        ctx.t("faq.list_header_tag", tag=tag, count=len(entries))
        if tag
        else ctx.t("faq.list_header", count=len(entries))
    )
    lines = [f"• #{e.id} {e.question}" for e in entries]
    return Reply("\n".join([header, *lines]))


@router.command("faq editors", "知识库 编辑者", usage="faq editors [@name ...]")
def editors(ctx: Ctx, args: str) -> Reply:
    """Let people edit the FAQ (admins only), or list who may.
    zh: 允许某些人编辑知识库(仅管理员),或查看编辑者名单。
    """
    named = mentioned(args)
    if named:
        require_admin(ctx)
        for user_id in named:
            faq.add_editor(ctx.conn, ws=ctx.ws, user_id=user_id)
    current = faq.editors(ctx.conn, ws=ctx.ws)
    if not current:
        return ctx.say("faq.editors_none")
    return ctx.say("faq.editors_added", people=people(current))


@router.command("faq watch", "知识库 监听", usage="faq watch")
def watch(ctx: Ctx, args: str) -> Reply:
    """Answer every question asked in this channel from the FAQ (managers).
    zh: 用知识库回答本频道里的每个提问(频道管理员)。
    """
    return _set_watch(ctx, on=True)


@router.command("faq unwatch", "知识库 取消监听", usage="faq unwatch")
def unwatch(ctx: Ctx, args: str) -> Reply:
    """Stop answering every question in this channel (managers).
    zh: 不再自动回答本频道的提问(频道管理员)。
    """
    return _set_watch(ctx, on=False)


def _set_watch(ctx: Ctx, *, on: bool) -> Reply:
    if ctx.source.is_direct:
        raise Refusal("faq.watch_dm")
    channel = str(ctx.source.without_thread())
    require_manager(ctx, channel, "faq.what_watch")
    faq.set_watch(ctx.conn, channel=channel, on=on, by=ctx.actor.user_id)
    return ctx.say("faq.watch_on" if on else "faq.watch_off")


@router.command("faq experts", "知识库 专家", usage="faq experts [#topic|backup] @name ...")
def experts(ctx: Ctx, args: str) -> Reply:
    """Who answers questions the FAQ can't: for a #topic, this channel, or the backup list.
    zh: 设置知识库答不了时由谁回答:某个 #主题、本频道,或后备名单。
    """
    words = args.split()
    first = words[0].casefold() if words else ""
    if first.startswith("#") and len(first) > 1:
        scope, label = first[:41], first[:41]
    elif first in _BACKUP_WORDS:
        scope, label = "backup", ctx.t("faq.scope_backup")
    elif ctx.source.is_direct:
        raise Refusal("faq.usage_experts")
    else:
        scope, label = str(ctx.source.without_thread()), ctx.t("faq.scope_channel")
    named = mentioned(args)
    clear = any(w.casefold() in _CLEAR_WORDS for w in words)
    if not named and not clear:
        if not words:
            return _show_experts(ctx, scope)
        raise Refusal("faq.usage_experts")
    if not (ctx.is_admin or faq.is_editor(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)):
        raise Refusal("faq.forbidden_edit")
    faq.set_experts(ctx.conn, ws=ctx.ws, scope=scope, user_ids=named)
    if not named:
        return ctx.say("faq.experts_cleared", scope=label)
    return ctx.say("faq.experts_set", scope=label, people=people(named))


def _show_experts(ctx: Ctx, channel_scope: str) -> Reply:
    here = faq.experts(ctx.conn, ws=ctx.ws, scope=channel_scope)
    backup = faq.experts(ctx.conn, ws=ctx.ws, scope="backup")
    nobody = ctx.t("faq.nobody")
    return ctx.say(
        "faq.experts_show", channel=people(here) or nobody, backup=people(backup) or nobody
    )


def mentioned(args: str) -> list[str]:
    """People mentioned in ``args``, in order, without broadcasts."""
    found = mentions.MENTION_RE.findall(args)
    return [u for u in dict.fromkeys(found) if u.lower() not in mentions.BROADCAST_IDS]
