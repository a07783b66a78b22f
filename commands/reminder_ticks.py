"""Scheduled work of the reminders feature: task reminders, and housekeeping for delivery (admins
told about parked messages, old inbound event ids and reminder claims pruned).

Each tick reads what may be due, claims it in the reminder log (one atomic INSERT .. ON CONFLICT DO
NOTHING per batch) and queues the messages in the same transaction, so a claim never exists without
its message and a second scheduler finds nothing left to claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot import mentions
from bot.context import TickCtx
from bot.events import Target
from bot.people import zone
from bot.replies import Button, Card, Reply
from commands.reminder_rules import (
    CHANNEL_AFTER_DAYS,
    ESCALATE_AFTER_DAYS,
    OwnerRule,
    Policy,
    format_moment,
    in_window,
    owner_rule,
)
from commands.reminder_settings import policy_for
from storage import inbound
from storage import reminders as store
from storage.models import OutboxMessage
from storage.users import UserPrefs

INBOUND_KEEP = timedelta(days=7)
LOG_KEEP = timedelta(days=60)
_outbox = OutboxMessage.__table__  # type: ignore[attr-defined]


Render = Callable[[int, str], Reply]  # (task number, title) -> the message


@dataclass(frozen=True, slots=True)
class Planned:
    """One message a tick wants to send, with the claims that make it unique; the message itself is
    rendered only once claimed (titles are read for those tasks alone)."""

    task_id: int
    keys: tuple[store.Key, ...]
    target: Target
    render: Render

    def dedupe_key(self, claimed: set[store.Key]) -> str:
        """The outbox key of the claim this message is sent for (stable across processes)."""
        key = next(k for k in self.keys if k in claimed)
        return "rem:" + hashlib.sha1("|".join(key).encode()).hexdigest()


class _Readers:
    """Language and zone of each recipient, from one bulk read of the users table."""

    def __init__(self, ctx: TickCtx, known: dict[tuple[str, str], UserPrefs]) -> None:
        self._ctx = ctx
        self._known = known

    def __call__(self, ws: str, user_id: str) -> tuple[str, ZoneInfo]:
        s = self._ctx.settings
        prefs = self._known.get((ws, user_id)) or UserPrefs()
        locale = prefs.locale or prefs.profile_locale or s.language
        return locale, zone(prefs.tz or prefs.profile_tz, s.timezone)


def remind_tasks(ctx: TickCtx) -> None:
    """Due-soon and overdue reminders for every open task with a due date."""
    with ctx.engine.connect() as conn:
        overrides = store.settings(conn)
        horizon = max(
            (max(policy_for(overrides, scope).due_soon, default=0) for scope in overrides),
            default=0,
        )
        horizon = max(horizon, *Policy().due_soon)
        tasks = store.open_due_tasks(conn, before=ctx.now + timedelta(days=horizon + 2))
        known = store.people(conn, workspaces={task.ws for task in tasks})
    read = _Readers(ctx, known)
    plan = [p for task in tasks for p in _plan_task(ctx, task, overrides, read)]
    if not plan:
        return
    with ctx.engine.begin() as conn:
        claimed = store.claim(conn, keys=[k for p in plan for k in p.keys], now=ctx.now)
        fresh = [p for p in plan if any(k in claimed for k in p.keys)]
        gone = store.closed_or_snoozed(conn, task_ids={p.task_id for p in fresh}, now=ctx.now)
        fresh = [p for p in fresh if p.task_id not in gone]
        names = store.titles(conn, task_ids={p.task_id for p in fresh})
        ctx.outbox.enqueue_many(
            conn,
            [(p.target, p.render(*names[p.task_id]), p.dedupe_key(claimed)) for p in fresh],
        )


def _plan_task(
    ctx: TickCtx, task: store.DueTask, overrides: dict[str, store.SettingRow], read: _Readers
) -> list[Planned]:
    if task.snoozed_until is not None and task.snoozed_until > ctx.now:
        return []
    policy = policy_for(overrides, task.channel, task.ws)
    channel = Target.parse(task.channel)
    subject = f"task:{task.id}"
    planned: list[Planned] = []
    owners = task.owners or (task.creator_id,)
    for uid in owners:
        locale, tz = read(task.ws, uid)
        local = ctx.now.astimezone(tz)
        if not in_window(local, policy):
            continue
        rule = owner_rule(
            due_at=task.due_at, now=ctx.now, today=local.date(), tz=tz, policy=policy, user=uid
        )
        if rule is None:
            continue
        keys = [(subject, rule.rule, rule.occasion)]
        snoozed = task.snoozed_until
        if snoozed is not None and ctx.now - snoozed < timedelta(days=1):
            keys.append((subject, "snooze", f"{uid}@{snoozed.isoformat()}"))
        to = Target(channel.platform, channel.workspace, user=uid)
        render = partial(_owner_card, ctx, task, rule, locale, tz)
        planned.append(Planned(task.id, tuple(keys), to, render))
    planned.extend(_escalations(ctx, task, policy, channel, owners, read))
    return planned


def _escalations(
    ctx: TickCtx,
    task: store.DueTask,
    policy: Policy,
    channel: Target,
    owners: tuple[str, ...],
    read: _Readers,
) -> list[Planned]:
    """Overdue for 2+ days: the channel hears it, mentioning the owners; 5+ days: the creator and
    the admins too (each on their own working morning)."""
    subject = f"task:{task.id}"
    team_tz = ZoneInfo(ctx.settings.timezone)
    team_local = ctx.now.astimezone(team_tz)
    overdue = (team_local.date() - task.due_at.astimezone(team_tz).date()).days
    if overdue < CHANNEL_AFTER_DAYS or not in_window(team_local, policy):
        return []
    who = " ".join(mentions.token(uid) for uid in owners)
    occasion = f"{task.channel}@{team_local.date().isoformat()}"
    render = partial(_overdue_note, ctx, "reminders.channel_overdue", task, who, overdue,
                     ctx.settings.language, team_tz)  # fmt: skip
    planned = [Planned(task.id, ((subject, "channel", occasion),), channel, render)]
    if overdue < ESCALATE_AFTER_DAYS:
        return planned
    bosses = dict.fromkeys([task.creator_id, *sorted(ctx.settings.admins)])
    for uid in (u for u in bosses if u not in owners):
        locale, tz = read(task.ws, uid)
        local = ctx.now.astimezone(tz)
        if not in_window(local, policy):
            continue
        days = (local.date() - task.due_at.astimezone(tz).date()).days
        render = partial(_overdue_note, ctx, "reminders.escalate", task, who, days, locale, tz)
        key = (subject, "escalate", f"{uid}@{local.date().isoformat()}")
        to = Target(channel.platform, channel.workspace, user=uid)
        planned.append(Planned(task.id, (key,), to, render))
    return planned


def _overdue_note(
    ctx: TickCtx,
    key: str,
    task: store.DueTask,
    owners: str,
    days: int,
    locale: str,
    tz: ZoneInfo,
    number: int,
    title: str,
) -> Reply:
    text = ctx.translator.t(
        key,
        locale,
        owners=owners,
        number=number,
        title=mentions.inert(title),
        days=days,
        when=format_moment(task.due_at, tz, locale),
    )
    return Reply(text)


def _owner_card(
    ctx: TickCtx,
    task: store.DueTask,
    rule: OwnerRule,
    locale: str,
    tz: ZoneInfo,
    number: int,
    name: str,
) -> Reply:
    def t(key: str, **values: object) -> str:
        return ctx.translator.t(key, locale, **values)

    when = format_moment(task.due_at, tz, locale)
    if rule.days < 0:
        body = t("reminders.overdue", days=-rule.days, when=when)
    elif rule.days > 0:
        body = t("reminders.due_in", days=rule.days, when=when)
    elif task.due_at > ctx.now:
        body = t("reminders.due_today", time=f"{task.due_at.astimezone(tz):%H:%M}")
    else:
        body = t("reminders.due_passed", time=f"{task.due_at.astimezone(tz):%H:%M}")
    title = t("reminders.card_title", number=number, title=mentions.inert(name))
    n = str(number)
    buttons = (
        Button(t("reminders.btn_done"), "task.done", n, "primary"),
        Button(t("reminders.btn_start"), "task.start", n),
        Button(t("reminders.btn_snooze_hour"), "task.snooze", f"{n}|1h"),
        Button(t("reminders.btn_snooze_tomorrow"), "task.snooze", f"{n}|tomorrow 9:00"),
    )
    return Reply(f"{title}\n{body}", card=Card(title=title, body=body, buttons=buttons))


def housekeeping(ctx: TickCtx) -> None:
    """Forget inbound event ids past every platform's redelivery window and old reminder claims."""
    with ctx.engine.begin() as conn:
        inbound.forget_before(conn, before=ctx.now - INBOUND_KEEP)
        store.prune_log(conn, before=ctx.now - LOG_KEEP)


def tell_admins_about_parked(ctx: TickCtx) -> None:
    """A DM to each admin, once per parked message (notices about notices are not sent)."""
    admins = sorted(ctx.settings.admins)
    if not admins:
        return
    o = _outbox.c
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(o.id, o.target, o.attempts, o.last_error, o.next_attempt_at)
            .where(o.status == "parked", o.next_attempt_at > ctx.now - timedelta(days=2))
            .where(sa.or_(o.dedupe_key.is_(None), o.dedupe_key.not_like("parked:%")))
            .order_by(o.id)
            .limit(200)
        ).all()
    if not rows:
        return
    with ctx.engine.begin() as conn:
        for row_id, target_text, attempts, error, parked_at in rows:
            target = Target.parse(target_text)
            for admin in admins:
                moment = _stamp(parked_at)
                key = (f"outbox:{row_id}", "parked", f"{admin}@{moment}")
                if not store.claim(conn, keys=[key], now=ctx.now):
                    continue
                locale, _ = ctx.reader(conn, ws=target.ws, user_id=admin)
                text = ctx.translator.t(
                    "reminders.parked_notice",
                    locale,
                    id=row_id,
                    target=target_text,
                    attempts=attempts,
                    error=mentions.inert((error or "")[:300]),
                )
                to = Target(target.platform, target.workspace, user=admin)
                ctx.outbox.enqueue(
                    conn, to, Reply(text), dedupe_key=f"parked:{row_id}:{admin}:{moment}"
                )


def _stamp(moment: datetime) -> str:
    return f"{moment.timestamp():.0f}"
