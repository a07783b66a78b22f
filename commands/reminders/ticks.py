"""Scheduled work of the reminders feature: due-soon and overdue task reminders, and old reminder
claims pruned.

Each tick reads what may be due, claims it in the reminder log (one atomic INSERT .. ON CONFLICT DO
NOTHING per batch) and queues the messages in the same transaction, so a claim never exists without
its message and a second scheduler finds nothing left to claim. What one recipient gets in a tick
is one message (a list when there are several tasks), keyed in the outbox by the claims it carries.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot import mentions
from bot.context import TickCtx
from bot.events import Target
from bot.people import usual_locale, zone
from bot.replies import Reply
from commands.reminders.cards import Cards, Item
from commands.reminders.rules import (
    CHANNEL_AFTER_DAYS,
    ESCALATE_AFTER_DAYS,
    Policy,
    in_window,
    owner_rule,
)
from commands.reminders.settings import policy_for
from commands.workdays import workday_checker
from storage import reminders as store
from storage.users import UserPrefs

LOG_KEEP = timedelta(days=60)
RECENT = timedelta(days=2)  # claims a tick looks up before planning (per-day keys live 1 day)


Render = Callable[[int, str], Item]  # (task number, title) -> the task's part of a message


@dataclass(frozen=True, slots=True)
class Planned:
    """One message a tick wants to send, with the claims that make it unique; the message itself is
    rendered only once claimed (titles are read for those tasks alone)."""

    task_id: int
    keys: tuple[store.Key, ...]
    target: Target
    render: Render
    locale: str

    def claimed_key(self, claimed: set[store.Key]) -> store.Key | None:
        """The first of this message's keys that the tick just claimed, if any."""
        for key in self.keys:
            if key in claimed:
                return key
        return None


def _dedupe_key(keys: list[store.Key]) -> str:
    """The outbox key of the claims one message carries (stable across processes, short
    whatever the ids); claims are unique, so a message is queued once."""
    joined = "\n".join("|".join(key) for key in sorted(keys))
    return "rem:" + hashlib.sha1(joined.encode()).hexdigest()


class _Planner:
    """Decides, for one tick, which reminders each task deserves; caches what repeats across
    tasks (policies, channels, each zone's local time, readers)."""

    def __init__(
        self,
        ctx: TickCtx,
        overrides: dict[str, store.SettingRow],
        known: dict[tuple[str, str], UserPrefs],
        recent: set[store.Key],
    ) -> None:
        self.ctx = ctx
        self.cards = Cards(ctx.translator, ctx.now)
        self._overrides = overrides
        self._known = known
        self._recent = recent
        self._policies: dict[tuple[str, str], Policy] = {}
        self._channels: dict[str, Target] = {}
        self._people: dict[tuple[str, str], Target] = {}
        self._zones: dict[str, ZoneInfo] = {}
        self._team_tz = ZoneInfo(ctx.settings.timezone)
        self._workday = workday_checker(ctx.settings.holidays)
        self._admins = sorted(ctx.settings.admins)

    def plan(self, task: store.DueTask) -> list[Planned]:
        """Every message ``task`` should produce now that has not been claimed already."""
        if task.snoozed_until is not None and task.snoozed_until > self.ctx.now:
            return []
        policy = self._policy(task.channel, task.ws)
        owners = task.owners or (task.creator_id,)
        planned = [p for uid in owners if (p := self._owner(task, policy, uid))]
        planned.extend(self._escalations(task, policy, owners))
        if not self._recent:
            return planned
        return [p for p in planned if not self._recent.issuperset(p.keys)]

    def _owner(self, task: store.DueTask, policy: Policy, uid: str) -> Planned | None:
        now = self.ctx.now
        locale, tz = self.reader(task.ws, uid)
        local = now.astimezone(tz)
        if not in_window(local, policy, self._workday):
            return None
        rule = owner_rule(
            due_at=task.due_at, now=now, today=local.date(), tz=tz, policy=policy, user=uid
        )
        if rule is None:
            return None
        subject = f"task:{task.id}"
        keys = [(subject, rule.rule, rule.occasion)]
        snoozed = task.snoozed_until
        if snoozed is not None and now - snoozed < timedelta(days=1):
            keys.append((subject, "snooze", f"{uid}@{snoozed.isoformat()}"))
        render = partial(self.cards.owner_item, task.due_at, rule, locale, tz)
        return Planned(task.id, tuple(keys), self._direct(task.channel, uid), render, locale)

    def _escalations(
        self, task: store.DueTask, policy: Policy, owners: tuple[str, ...]
    ) -> list[Planned]:
        """Overdue for 2+ days: the channel hears it, mentioning the owners; 5+ days: the creator
        and the admins too (each on their own working morning)."""
        team_local = self.ctx.now.astimezone(self._team_tz)
        overdue = (team_local.date() - task.due_at.astimezone(self._team_tz).date()).days
        if overdue < CHANNEL_AFTER_DAYS or not in_window(team_local, policy, self._workday):
            return []
        subject = f"task:{task.id}"
        who = " ".join(mentions.token(uid) for uid in owners)
        note = self.cards.overdue_item
        language = self.ctx.settings.language
        render = partial(note, "reminders.channel_overdue", task.due_at, who, language,
                         self._team_tz)  # fmt: skip
        occasion = f"{task.channel}@{team_local.date().isoformat()}"
        channel = self._channel(task.channel)
        keys = ((subject, "channel", occasion),)
        planned = [Planned(task.id, keys, channel, render, language)]
        if overdue < ESCALATE_AFTER_DAYS:
            return planned
        bosses = dict.fromkeys([task.creator_id, *self._admins])
        for uid in (u for u in bosses if u not in owners):
            locale, tz = self.reader(task.ws, uid)
            local = self.ctx.now.astimezone(tz)
            if not in_window(local, policy, self._workday):
                continue
            render = partial(note, "reminders.escalate", task.due_at, who, locale, tz)
            key = (subject, "escalate", f"{uid}@{local.date().isoformat()}")
            target = self._direct(task.channel, uid)
            planned.append(Planned(task.id, (key,), target, render, locale))
        return planned

    def reader(self, ws: str, user_id: str) -> tuple[str, ZoneInfo]:
        """Language and zone of a recipient (own setting, the language they write in, profile,
        then the team default)."""
        s = self.ctx.settings
        prefs = self._known.get((ws, user_id)) or UserPrefs()
        locale = usual_locale(prefs) or s.language
        name = prefs.tz or prefs.profile_tz or s.timezone
        tz = self._zones.get(name)
        if tz is None:
            tz = self._zones[name] = zone(name, s.timezone)
        return locale, tz

    def _policy(self, channel: str, ws: str) -> Policy:
        found = self._policies.get((channel, ws))
        if found is None:
            found = self._policies[(channel, ws)] = policy_for(self._overrides, channel, ws)
        return found

    def _channel(self, channel: str) -> Target:
        found = self._channels.get(channel)
        if found is None:
            found = self._channels[channel] = Target.parse(channel)
        return found

    def _direct(self, channel: str, user_id: str) -> Target:
        where = self._channel(channel)
        found = self._people.get((where.ws, user_id))
        if found is None:
            found = Target(where.platform, where.workspace, user=user_id)
            self._people[(where.ws, user_id)] = found
        return found


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a tick allocates ~100,000 short-lived objects
    (none of them cyclic): its full collections otherwise took a third of a morning tick."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def remind_tasks(ctx: TickCtx) -> None:
    """Due-soon and overdue reminders for every open task with a due date."""
    with paused_gc():
        _remind_tasks(ctx)


def _remind_tasks(ctx: TickCtx) -> None:
    with ctx.engine.connect() as conn:
        overrides = store.settings(conn)
        longest = max(
            (max(policy_for(overrides, scope).due_soon, default=0) for scope in overrides),
            default=0,
        )
        horizon = ctx.now + timedelta(days=max(longest, *Policy().due_soon) + 2)
        tasks = store.open_due_tasks(conn, before=horizon)
        if not tasks:
            return
        known = store.people(conn, workspaces={task.ws for task in tasks})
        recent = store.recent_claims(conn, since=ctx.now - RECENT, prefix="task:")
    planner = _Planner(ctx, overrides, known, recent)
    plan = [p for task in tasks for p in planner.plan(task)]
    if not plan:
        return
    with ctx.engine.begin() as conn:
        claimed = store.claim(conn, keys=[k for p in plan for k in p.keys], now=ctx.now)
        # Re-read under the write lock: a task finished or snoozed since the first read is skipped.
        due = store.still_due(conn, before=horizon, now=ctx.now)
        fresh = [(p, key) for p in plan if p.task_id in due and (key := p.claimed_key(claimed))]
        names = store.titles(conn, task_ids={p.task_id for p, _ in fresh})
        ctx.outbox.enqueue_many(conn, _messages(planner.cards, fresh, names))


def _messages(
    cards: Cards, fresh: list[tuple[Planned, store.Key]], names: dict[int, tuple[int, str]]
) -> list[tuple[Target, Reply, str]]:
    """One message per recipient: their tasks, most urgent first (the plan's order)."""
    by_target: dict[Target, list[tuple[Planned, store.Key]]] = {}
    for planned, key in fresh:
        by_target.setdefault(planned.target, []).append((planned, key))
    messages = []
    for target, group in by_target.items():
        items = [planned.render(*names[planned.task_id]) for planned, _ in group]
        reply = cards.message(items, group[0][0].locale)
        messages.append((target, reply, _dedupe_key([key for _, key in group])))
    return messages


def prune_claims(ctx: TickCtx) -> None:
    """Forget reminder claims older than any rule looks back (the log would grow without end)."""
    with ctx.engine.begin() as conn:
        store.prune_log(conn, before=ctx.now - LOG_KEEP)
