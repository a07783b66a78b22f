"""The rules engine: hears what the tasks feature and the FAQ raise (:mod:`bot.signals`), fires each
matching rule of the board once per change, and carries its action out in the change's own
transaction, so a rule's task changes commit or roll back with the change that triggered them and
its messages go through the outbox with that change's replies.

Once per change: a rule fires only after claiming the change's key (``rule_fires``), so a
redelivered message, a doubled tick or a second process finds it fired. No loops: a rule's own
changes are raised one level deeper, and rules hear changes down to ``MAX_DEPTH`` only: a person's
change may fire a rule, whose change may fire another, whose changes fire nothing.

Overdue tasks have no change to raise; a tick looks for tasks of boards with an overdue rule that
fell due since the rule was made (within ``LOOKBACK``), each claimed with its due moment, so a
task re-dated and overdue again fires again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import mentions
from bot.context import TickCtx
from bot.events import Target
from bot.replies import Reply
from bot.signals import Raised
from commands.faq.signals import EscalationOverdue
from commands.tasks import changes
from commands.tasks.columns import column_of
from commands.tasks.render import (
    Reading,
    automated,
    card,
    owner_dms,
    person_reading,
    team_reading,
)
from commands.tasks.signals import TaskCreated, TaskMoved
from commands.timefmt import day_time, deadline
from storage import channel_names, tasks
from storage import rules as store
from storage.rules import RuleRow
from storage.tasks import TaskRow

MAX_DEPTH = 1
LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Occasion:
    """What a rule fires for: the change's key, and the task or the FAQ escalation it concerns."""

    key: str
    task: TaskRow | None = None
    escalation: EscalationOverdue | None = None


def on_created(raised: Raised, signal: TaskCreated) -> list[Reply]:
    """Rules ``when created with #tag`` of the new task's board."""
    if raised.depth > MAX_DEPTH:
        return []
    task = signal.task
    found = store.active(raised.conn, channel=task.channel, triggers=("created",))
    matching = [rule for rule in found if rule.trigger_arg in task.tags]
    return fire(raised, matching, Occasion(signal.key, task=task))


def on_moved(raised: Raised, signal: TaskMoved) -> list[Reply]:
    """Rules ``when moved to <column>`` and ``when done`` of the task's board."""
    if raised.depth > MAX_DEPTH:
        return []
    task = signal.task
    found = store.active(raised.conn, channel=task.channel, triggers=("moved", "done"))
    if not found:
        return []  # most boards have no rules: one statement per move, not two
    config = tasks.board(raised.conn, channel=task.channel)
    matching = [
        rule
        for rule in found
        if (rule.trigger == "done" and signal.done)
        or (rule.trigger == "moved" and column_of(config, rule.trigger_arg) == task.column)
    ]
    return fire(raised, matching, Occasion(signal.key, task=task))


def on_escalation(raised: Raised, signal: EscalationOverdue) -> list[Reply]:
    """Rules ``when an escalation passes its SLA`` of the channel the question was asked in."""
    found = store.active(raised.conn, channel=signal.channel, triggers=("sla",))
    return fire(raised, found, Occasion(signal.key, escalation=signal))


def fire(raised: Raised, found: list[RuleRow], occasion: Occasion) -> list[Reply]:
    """Fire each of ``found`` that has not fired for this change yet, in rule order."""
    replies: list[Reply] = []
    for rule in found:
        if store.claim(raised.conn, rule_id=rule.id, change_key=occasion.key, now=raised.now):
            replies.extend(_act(raised, rule, _current(raised, occasion)))
    return replies


def _current(raised: Raised, occasion: Occasion) -> Occasion:
    """The occasion with its task as it is now (an earlier rule may have changed it)."""
    if occasion.task is None:
        return occasion
    return replace(occasion, task=tasks.by_id(raised.conn, task_id=occasion.task.id))


Action = Callable[[Raised, RuleRow, Occasion], list[Reply]]


def _act(raised: Raised, rule: RuleRow, occasion: Occasion) -> list[Reply]:
    if occasion.task is not None and occasion.task.deleted_at is not None:
        return []
    actions: dict[str, Action] = {
        "notify": _notify,
        "assign": _assign,
        "tag": _tag,
        "move": _move,
        "follow": _follow,
    }
    return actions[rule.action](raised, rule, occasion)


def _notify(raised: Raised, rule: RuleRow, occasion: Occasion) -> list[Reply]:
    """Tell the person or the channel, with the task's card (its buttons only in its own channel,
    where pressing them is allowed to anyone)."""
    target, view = _audience(raised, rule)
    text = view.t("automation.notice", label=_label(view, rule), what=_what(view, rule, occasion))
    task = occasion.task
    if task is None:
        return [Reply(text, to=target)]
    shown = card(view, task, buttons=str(target) == task.channel)
    return [Reply(text, card=shown, to=target)]


def _label(view: Reading, rule: RuleRow) -> str:
    """``Rule 2 of #ops`` (``Rule 2`` for a channel without a name), for a message elsewhere."""
    name = channel_names.name_of(view.conn, channel=rule.channel)
    if name is None:
        return view.t("automation.rule_label", rule=rule.number)
    return view.t("automation.rule_label_in", rule=rule.number, name=name)


def _audience(raised: Raised, rule: RuleRow) -> tuple[Target, Reading]:
    """Where a notice goes, and in whose language and zone it is written."""
    board = Target.parse(rule.channel)
    address = rule.action_arg
    if address.startswith("@"):
        user = address[1:]
        target = Target(board.platform, board.workspace, user=user)
        return target, person_reading(raised, ws=board.ws, user_id=user)
    return Target.parse(address[1:]), team_reading(raised)


def _what(view: Reading, rule: RuleRow, occasion: Occasion) -> str:
    """What happened, for a notice."""
    if occasion.escalation is not None:
        found = occasion.escalation
        return view.t(
            "automation.what_sla",
            asker=mentions.token(found.asker_id),
            due=deadline(found.due_at, view.tz, view.locale),
            question=mentions.inert(found.question[:300]),
        )
    task = occasion.task
    assert task is not None
    return view.t(
        f"automation.what_{rule.trigger}",
        number=task.number,
        title=mentions.inert(task.title),
        column=task.column,
        tag=rule.trigger_arg,
        due=day_time(task.due_at, view.tz, view.locale) if task.due_at else "",
    )


def _assign(raised: Raised, rule: RuleRow, occasion: Occasion) -> list[Reply]:
    """Give the task to the rule's person (who is told), unless it is theirs alone already."""
    task = occasion.task
    user = rule.action_arg.removeprefix("@")
    if task is None or task.owners == (user,):
        return []
    by = automated("rule", rule.number)
    task = changes.assign(raised.conn, task, [user], by=by, now=raised.now)
    ws = Target.parse(task.channel).ws
    return owner_dms(
        task, [user], by=by, reading=lambda u: person_reading(raised, ws=ws, user_id=u)
    )


def _tag(raised: Raised, rule: RuleRow, occasion: Occasion) -> list[Reply]:
    if occasion.task is not None:
        by = automated("rule", rule.number)
        changes.add_tag(raised.conn, occasion.task, rule.action_arg, by=by, now=raised.now)
    return []


def _move(raised: Raised, rule: RuleRow, occasion: Occasion) -> list[Reply]:
    """Move the task (past a WIP limit too: the rule is its managers' own); the move is raised
    one level deeper, for the rules that hear it."""
    task = occasion.task
    if task is None:
        return []
    column = column_of(tasks.board(raised.conn, channel=task.channel), rule.action_arg)
    if column is None or column == task.column:
        return []
    by = automated("rule", rule.number)
    moved = changes.move(raised.conn, task, column, by=by, now=raised.now)
    return raised.deeper().emit(moved)


def _follow(raised: Raised, rule: RuleRow, occasion: Occasion) -> list[Reply]:
    """Create the follow-up task on the rule's board (linked both ways to the task), post it
    there, and raise its creation one level deeper."""
    channel = rule.action_arg.removeprefix("#")
    view = team_reading(raised)
    by = automated("rule", rule.number)
    task = occasion.task
    if task is not None:
        title = rule.action_text or view.t("automation.follow_title", title=task.title)
        made = changes.follow_up(
            raised.conn, task, channel=channel, title=title[:200], by=by, now=raised.now
        )
        origin = f"#{task.number}"
    else:
        assert occasion.escalation is not None
        question = occasion.escalation.question
        title = rule.action_text or view.t("automation.sla_title", question=question)
        new = changes.NewTask(channel, title[:200], by, source=f"faq:{occasion.escalation.id}")
        made = changes.create(raised.conn, new, now=raised.now)
        origin = view.t("automation.the_question")
    follower = made.task
    text = view.t(
        "automation.followed",
        label=_label(view, rule),
        number=follower.number,
        origin=origin,
        title=mentions.inert(follower.title),
    )
    posted = Reply(text, card=card(view, follower), to=Target.parse(channel))
    return [posted, *raised.deeper().emit(made)]


def fire_overdue(ctx: TickCtx) -> None:
    """Fire the overdue rules for the tasks of their boards that have fallen due, once each."""
    with ctx.engine.connect() as conn:
        found = store.running(conn, trigger="overdue")
    for rule in found:
        _fire_overdue(ctx, rule)


def _fire_overdue(ctx: TickCtx, rule: RuleRow) -> None:
    since = max(rule.created_at, ctx.now - LOOKBACK)
    with ctx.engine.connect() as conn:
        due = store.overdue_since(conn, channel=rule.channel, since=since, now=ctx.now)
        keys = {f"task:{task_id}:overdue:{at.isoformat()}": task_id for task_id, at in due}
        fired = store.fired_keys(conn, rule_id=rule.id, keys=list(keys))
    for key, task_id in keys.items():
        if key in fired:
            continue
        with ctx.engine.begin() as conn:
            current = store.get(conn, channel=rule.channel, number=rule.number)
            task = tasks.by_id(conn, task_id=task_id)
            if current is None or current.id != rule.id or current.paused_at is not None:
                return  # removed or paused meanwhile
            if task is None or not _overdue(task, key, ctx.now):
                continue  # done, deleted or re-dated meanwhile
            raised = ctx.raised(conn)
            ctx.queue(conn, fire(raised, [current], Occasion(key, task=task)))


def _overdue(task: TaskRow, key: str, now: datetime) -> bool:
    """Still open, still due at the moment ``key`` names, and that moment has passed."""
    due = task.due_at
    open_ = task.done_at is None and task.deleted_at is None
    return open_ and due is not None and due <= now and key.endswith(f":{due.isoformat()}")
