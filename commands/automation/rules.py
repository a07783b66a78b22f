"""``rule add/list/rm/pause/resume``: a channel's when-then rules, and ``channel name``, the name
other channels' rules reach this one by. Rules are the channel's managers' and the admins' to
change; anyone in the channel may list them."""

from __future__ import annotations

from bot import mentions
from bot.context import Ctx, Refusal
from bot.replies import Reply
from bot.routing import Router
from commands.access.rules import require_manager
from commands.automation.describe import describe
from commands.automation.grammar import Unreadable, Written, read_rule
from commands.automation.numbered import numbered
from commands.tasks.access import channel_key
from commands.tasks.columns import column_of
from commands.tasks.spec import names_of, plain_mentions
from commands.timefmt import day_time
from storage import channel_names, tasks
from storage import rules as store
from storage.rules import NewRule, RuleRow

router = Router("automation.rules")
MAX_RULES = 50
HERE = ("here", "这里", "本频道", "此频道")
_NAME_LIMIT = 40


@router.command("rule add", "规则 添加", "添加规则", usage="rule add when <trigger> <action>")
def add_rule(ctx: Ctx, args: str) -> list[Reply]:
    """Add a rule to this board, e.g. rule add when moved to shipped notify @cs (managers).
    zh: 给本频道看板添加规则,例如 规则 添加 移到 已发货 时 通知 @客服(频道管理员)。
    """
    channel = channel_key(ctx)
    require_manager(ctx, channel, "automation.what_rules")
    if not args.strip():
        raise Refusal("automation.rule_usage")
    try:
        written = read_rule(args)
    except Unreadable as exc:
        raise Refusal(exc.reason) from exc
    unnamed = written.action in ("notify", "assign") and not _person(written.action_arg)
    if unnamed and (left := ctx.left_out(written.action_arg)):
        return left  # "@cs" is nobody Baton can resolve: say so rather than guess
    rule = _checked(ctx, channel, written)
    if store.count(ctx.conn, channel=channel) >= MAX_RULES:
        raise Refusal("automation.rule_limit", limit=MAX_RULES)
    row = store.add(
        ctx.conn, ws=ctx.ws, channel=channel, rule=rule, created_by=ctx.actor.user_id, now=ctx.now
    )
    return [ctx.say("automation.rule_added", number=row.number, rule=describe(ctx, row))]


def _checked(ctx: Ctx, channel: str, written: Written) -> NewRule:
    """The rule to store, its columns, people and channels checked; a Refusal saying what is
    wrong otherwise."""
    if written.trigger == "sla" and written.action in ("assign", "tag", "move"):
        raise Refusal("automation.rule_sla_actions")
    trigger_arg = _trigger_arg(ctx, channel, written)
    action_arg, text = _action_arg(ctx, channel, written)
    if written.trigger == "moved" and written.action == "move" and trigger_arg == action_arg:
        raise Refusal("automation.rule_same_column", column=trigger_arg)
    return NewRule(written.trigger, trigger_arg, written.action, action_arg, text)


def _trigger_arg(ctx: Ctx, channel: str, written: Written) -> str:
    arg = written.trigger_arg
    if written.trigger == "moved":
        return _column(ctx, channel, arg)
    if written.trigger == "created":
        if not arg:
            raise Refusal("automation.rule_need_tag")
        return _tag(arg)
    if arg:
        raise Refusal("automation.rule_extra", words=mentions.inert(arg[:40]))
    return ""


def _action_arg(ctx: Ctx, channel: str, written: Written) -> tuple[str, str]:
    """What the action needs: a person, ``#<channel key>``, a tag or a column; and, for a
    follow-up, its title."""
    arg = written.action_arg
    if written.action in ("notify", "assign"):
        person = _person(arg)
        if person:
            return f"@{person}", ""
        if written.action == "assign":
            raise Refusal("automation.rule_need_person")
        if not arg.startswith("#") and arg.strip().lower() not in HERE:
            raise Refusal("automation.rule_need_target")
        return "#" + _channel(ctx, arg), ""
    if written.action == "tag":
        if not arg:
            raise Refusal("automation.rule_need_tag")
        return _tag(arg), ""
    if written.action == "move":
        return _column(ctx, channel, arg), ""
    where, _, title = arg.partition(" ")
    title = plain_mentions(title.strip(), names_of(ctx))
    if len(title) > 200:
        raise Refusal("tasks.title_too_long", length=len(title), limit=200)
    return "#" + _channel(ctx, where), title


def _person(arg: str) -> str:
    """The one person ``arg`` mentions first (``@all`` is nobody), or ""."""
    people = mentions.mentioned_ids(arg)
    return people[0] if people else ""


def _column(ctx: Ctx, channel: str, word: str) -> str:
    config = tasks.board(ctx.conn, channel=channel)
    column = column_of(config, word) if word else None
    if column is None:
        raise Refusal(
            "automation.rule_bad_column",
            column=mentions.inert(word[:40]) or "?",
            columns=", ".join(config.columns),
        )
    return column


def _tag(arg: str) -> str:
    return arg.split()[0].lstrip("#").lower()[:40] or "?"


def _channel(ctx: Ctx, words: str) -> str:
    """The key of the channel ``#name`` (or ``here``) names."""
    if words.strip().lower() in HERE:
        return channel_key(ctx)
    name = (words.split() or [""])[0].lstrip("#").lower()
    found = channel_names.channel_named(ctx.conn, ws=ctx.ws, name=name) if name else None
    if found is None:
        raise Refusal("automation.unknown_channel", name=mentions.inert(name[:40]) or "?")
    return found


@router.command("rule list", "rules", "规则 列表", "规则列表", usage="rule list")
def list_rules(ctx: Ctx, args: str) -> Reply:
    """List this board's rules, what each does and how often it fired.
    zh: 列出本频道看板的规则、作用和触发次数。
    """
    rows = store.of_channel(ctx.conn, channel=channel_key(ctx))
    if not rows:
        return ctx.say("automation.rules_none")
    lines = [ctx.t("automation.rules_header")]
    lines.extend(f"{row.number}. {describe(ctx, row)} · {_state(ctx, row)}" for row in rows)
    return Reply("\n".join(lines))


def _state(ctx: Ctx, row: RuleRow) -> str:
    if row.paused_at is not None:
        return ctx.t("automation.rule_paused_state")
    if row.last_fired_at is None:
        return ctx.t("automation.rule_never")
    last = day_time(row.last_fired_at, ctx.tz, ctx.locale)
    return ctx.t("automation.rule_fired", count=row.fired, last=last)


@router.command("rule rm", "rule remove", "规则 删除", "删除规则", usage="rule rm <n>")
def remove_rule(ctx: Ctx, args: str) -> Reply:
    """Remove a rule (managers).
    zh: 删除一条规则(频道管理员)。
    """
    row = _rule(ctx, args, "rule rm 1")
    store.remove(ctx.conn, rule_id=row.id)
    return ctx.say("automation.rule_removed", number=row.number, rule=describe(ctx, row))


@router.command("rule pause", "规则 暂停", "暂停规则", usage="rule pause <n>")
def pause_rule(ctx: Ctx, args: str) -> Reply:
    """Pause a rule until rule resume (managers).
    zh: 暂停一条规则,直到 规则 恢复(频道管理员)。
    """
    row = _rule(ctx, args, "rule pause 1")
    store.pause(ctx.conn, rule_id=row.id, at=ctx.now)
    return ctx.say("automation.rule_paused", number=row.number)


@router.command("rule resume", "规则 恢复", "恢复规则", usage="rule resume <n>")
def resume_rule(ctx: Ctx, args: str) -> Reply:
    """Run a paused rule again (managers).
    zh: 恢复一条已暂停的规则(频道管理员)。
    """
    row = _rule(ctx, args, "rule resume 1")
    store.pause(ctx.conn, rule_id=row.id, at=None)
    return ctx.say("automation.rule_resumed", number=row.number)


def _rule(ctx: Ctx, args: str, example: str) -> RuleRow:
    """The rule of this channel ``args`` numbers, once the actor may change it."""

    def find(channel: str, number: int) -> RuleRow | None:
        return store.get(ctx.conn, channel=channel, number=number)

    return numbered(ctx, args, what="rule", example=example, find=find)


@router.command("channel name", "频道 命名", "频道 名称", usage="channel name [<name>]")
def name_channel(ctx: Ctx, args: str) -> Reply:
    """Name this channel so other channels' rules can reach it (notify #cs); without a name: its name.
    zh: 给本频道命名,供其他频道的规则使用(通知 #客服);不带名字时显示当前名字。
    """
    channel = channel_key(ctx)
    name = args.strip().lstrip("#").lower()
    if not name:
        current = channel_names.name_of(ctx.conn, channel=channel)
        if current is None:
            return ctx.say("automation.channel_unnamed")
        return ctx.say("automation.channel_is", name=current)
    require_manager(ctx, channel, "automation.what_name")
    if len(name) > _NAME_LIMIT or any(c.isspace() or c in "<>@#" for c in name):
        raise Refusal("automation.channel_bad_name", limit=_NAME_LIMIT)
    if not channel_names.set_name(
        ctx.conn, ws=ctx.ws, name=name, channel=channel, by=ctx.actor.user_id, now=ctx.now
    ):
        raise Refusal("automation.channel_taken", name=name)
    return ctx.say("automation.channel_named", name=name)
