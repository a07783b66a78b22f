"""A delivery to an inbound webhook becomes a task on the webhook's board, or updates the task its
``key`` made before.

The hooks adapter has verified the request (signature, time window, rate) and stored it; it hands
the delivery over as the button action ``hook.post`` whose value is ``{"hook", "signature",
"payload"}``. The first reply, addressed to nobody, is the HTTP answer the adapter returns:
``{"status": 201|200|400|404, "body": {...}}``. Every field is checked before anything is written,
so a bad delivery (400, naming the field) changes nothing.

The same ``key`` again updates that task (a shop's alert retried, the same order failing twice);
without a key, the signature stands in for one, so a replayed request changes nothing either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot import mentions
from bot.config import Settings
from bot.context import Ctx
from bot.events import Target
from bot.replies import Reply
from bot.routing import Router, normalise
from commands.parsing import parse_when
from commands.tasks import changes
from commands.tasks.access import NOTE_LIMIT, TITLE_LIMIT
from commands.tasks.render import automated, card, owner_dms, person_reading, team_reading
from storage import hooks, tasks, users
from storage.hooks import HookRow
from storage.tasks import TaskRow

router = Router("automation.webhook")
MAX_TAGS = 10
MAX_KEY = 200
_PRIORITIES = {
    "high": 1, "urgent": 1, "高": 1, "紧急": 1,
    "normal": 0, "medium": 0, "普通": 0, "中": 0,
    "low": -1, "低": -1,
}  # fmt: skip
_PERSON_ID = re.compile(r"[A-Za-z0-9_.:$\-+=/]{1,128}", re.ASCII)  # platforms' ids are ASCII
_EVERYONE = frozenset({"everyone", "所有人", "全体成员", "全员"}) | mentions.BROADCAST_IDS


class BadField(ValueError):
    """A field of a delivery that cannot be used: answered 400, naming it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Fields:
    """A delivery's fields, checked; None: not given (an update leaves that part alone)."""

    title: str
    body: str | None
    owner: str | None
    due_at: datetime | None
    priority: int | None
    tags: tuple[str, ...]
    key: str | None


@router.action("hook.post")
def receive(ctx: Ctx, value: str) -> list[Reply]:
    """A verified delivery to a webhook: create its task, or update the one its key made."""
    delivery: dict[str, Any] = json.loads(value)
    hook = hooks.by_id(ctx.conn, hook_id=str(delivery["hook"]))
    if hook is None:  # removed since the adapter checked its signature
        return [answer(404, {"error": "no such webhook"})]
    try:
        fields = read_fields(ctx, hook, delivery["payload"])
    except BadField as bad:
        return [answer(400, {"error": str(bad), "field": bad.field})]
    hooks.used(ctx.conn, hook_id=hook.id, now=ctx.now)
    key = f"key:{fields.key}" if fields.key is not None else f"sig:{delivery['signature']}"
    if hooks.claim_key(ctx.conn, hook_id=hook.id, key=key, now=ctx.now):
        return _create(ctx, hook, fields, key)
    task_id = hooks.task_of(ctx.conn, hook_id=hook.id, key=key)
    task = tasks.by_id(ctx.conn, task_id=task_id) if task_id is not None else None
    if task is None or task.deleted_at is not None:  # its task was deleted: a new one
        return _create(ctx, hook, fields, key)
    return _update(ctx, hook, fields, task)


def answer(status: int, body: Mapping[str, object]) -> Reply:
    """The HTTP answer to the webhook's caller (the first reply; the adapter returns it)."""
    return Reply(json.dumps({"status": status, "body": body}, ensure_ascii=False))


def task_url(settings: Settings, channel: str, number: int) -> str:
    """Where a person opens the task: its page on Baton's web dashboard."""
    return f"{settings.dashboard_url}/web/task?c={quote(channel, safe='')}&n={number}"


def read_fields(ctx: Ctx, hook: HookRow, payload: object) -> Fields:
    """Every field of ``payload`` checked, or ``BadField`` for the first that is wrong."""
    if not isinstance(payload, Mapping):
        raise BadField("body", "must be a JSON object")
    title = _text(payload, "title", TITLE_LIMIT)
    if title is None:
        raise BadField("title", "is required")
    return Fields(
        title=title,
        body=_text(payload, "body", NOTE_LIMIT),
        owner=_owner(ctx, hook.ws, payload.get("owner")),
        due_at=_due(ctx, payload.get("due")),
        priority=_priority(payload.get("priority")),
        tags=_tags(payload.get("tags")),
        key=_key(payload.get("key")),
    )


def _text(payload: Mapping[str, object], name: str, limit: int) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadField(name, "must be a string")
    cleaned = normalise(value)  # what chat text goes through: no control or invisible characters
    if not cleaned:
        raise BadField(name, "must not be empty")
    if len(cleaned) > limit:
        raise BadField(name, f"is longer than {limit} characters")
    return cleaned


def _owner(ctx: Ctx, ws: str, value: object) -> str | None:
    """A platform user id, or the display name of someone Baton knows here."""
    if value is None:
        return None
    wanted = normalise(value).lstrip("@") if isinstance(value, str) else ""
    if not wanted:
        raise BadField("owner", "must be a user id or a name")
    if wanted.lower() in _EVERYONE:
        raise BadField("owner", "must be one person, not everyone")
    if users.get(ctx.conn, ws=ws, user_id=wanted) is not None:
        return wanted
    if found := users.find_by_name(ctx.conn, ws=ws, name=wanted):
        return found
    if _PERSON_ID.fullmatch(wanted):
        return wanted  # a platform id Baton has not met yet (an unknown name in Chinese is not)
    raise BadField("owner", f"names nobody Baton knows here: {wanted[:60]!r}")


def _due(ctx: Ctx, value: object) -> datetime | None:
    """Baton's date syntax (``tomorrow 17:00``, ``fri``, ``明天下午3点``) or ISO 8601, read in
    the team's zone unless it names its own."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadField("due", "must be a string")
    when = parse_when(value, now=ctx.now, tz=ZoneInfo(ctx.settings.timezone))
    if when is None:
        raise BadField(
            "due", f"is not a date Baton can read: {value[:60]!r} (try 2026-12-05T17:00:00+08:00)"
        )
    return when.at


def _priority(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in (-1, 0, 1):
        return value
    if isinstance(value, str) and value.strip().lower() in _PRIORITIES:
        return _PRIORITIES[value.strip().lower()]
    raise BadField("priority", "must be high, normal or low")


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        words = value.replace(",", " ").replace(",", " ").split()
    elif isinstance(value, list) and all(isinstance(word, str) for word in value):
        words = [str(word) for word in value]
    else:
        raise BadField("tags", "must be a list of strings")
    tags = tuple(dict.fromkeys(t for w in words if (t := normalise(w).lstrip("#").lower())))
    if len(tags) > MAX_TAGS or any(len(t) > 40 or " " in t for t in tags):
        raise BadField("tags", f"must be at most {MAX_TAGS} single words of up to 40 characters")
    return tags


def _key(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadField("key", "must be a string")
    key = normalise(str(value))
    if not key or len(key) > MAX_KEY:
        raise BadField("key", f"must be 1 to {MAX_KEY} characters")
    return key


def _create(ctx: Ctx, hook: HookRow, fields: Fields, key: str) -> list[Reply]:
    """A new task from the delivery, its key bound to it, posted on its board."""
    by = automated("hook", hook.number)
    tags = tuple(dict.fromkeys([*([hook.tag] if hook.tag else []), *fields.tags]))
    new = changes.NewTask(
        channel=hook.channel,
        title=fields.title,
        creator_id=by,
        owners=[fields.owner] if fields.owner else [],
        tags=tags,
        priority=fields.priority or 0,
        due_at=fields.due_at,
        column=hook.column,
        source=f"hook:{hook.id}",
    )
    made = changes.create(ctx.conn, new, now=ctx.now)
    task = made.task
    hooks.bind_key(ctx.conn, hook_id=hook.id, key=key, task_id=task.id)
    if fields.body:
        tasks.add_event(
            ctx.conn, task_id=task.id, at=ctx.now, actor_id=by, kind="note", detail=fields.body
        )
    ctx.emit(made)
    body = {"task": task.number, "url": task_url(ctx.settings, task.channel, task.number)}
    return [
        answer(201, body),
        _posted(ctx, hook, task, fields.body, "automation.hook_created"),
        *_owner_dms(ctx, task, new.owners, by),
    ]


def _update(ctx: Ctx, hook: HookRow, fields: Fields, task: TaskRow) -> list[Reply]:
    """The key's task with what the delivery changes; posted on its board when anything did."""
    by = automated("hook", hook.number)
    changed = _changed_fields(ctx, task, fields, by)
    fresh = tasks.by_id(ctx.conn, task_id=task.id)
    assert fresh is not None
    body: dict[str, object] = {
        "task": fresh.number,
        "url": task_url(ctx.settings, fresh.channel, fresh.number),
        "updated": changed,
    }
    if not changed:
        return [answer(200, body)]
    new_owner = [fields.owner] if fields.owner and "owner" in changed else []
    return [
        answer(200, body),
        _posted(ctx, hook, fresh, fields.body, "automation.hook_updated"),
        *_owner_dms(ctx, fresh, new_owner, by),
    ]


def _changed_fields(ctx: Ctx, task: TaskRow, fields: Fields, by: str) -> list[str]:
    """Apply what differs, with history lines; the names of the fields that changed."""
    conn, now, changed = ctx.conn, ctx.now, []
    if fields.title != task.title:
        tasks.update(conn, task_id=task.id, now=now, title=fields.title)
        detail = f"{task.title} → {fields.title}"[:4000]
        tasks.add_event(conn, task_id=task.id, at=now, actor_id=by, kind="renamed", detail=detail)
        changed.append("title")
    if fields.due_at is not None and fields.due_at != task.due_at:
        tasks.update(conn, task_id=task.id, now=now, due_at=fields.due_at)
        due = fields.due_at.isoformat()
        tasks.add_event(conn, task_id=task.id, at=now, actor_id=by, kind="due", detail=due)
        changed.append("due")
    if fields.priority is not None and fields.priority != task.priority:
        tasks.update(conn, task_id=task.id, now=now, priority=fields.priority)
        changed.append("priority")
    if fields.owner is not None and task.owners != (fields.owner,):
        changes.assign(conn, task, [fields.owner], by=by, now=now)
        changed.append("owner")
    for tag in (t for t in fields.tags if t not in task.tags):
        task = changes.add_tag(conn, task, tag, by=by, now=now)
        changed.append("tags")
    if fields.body and not _noted(ctx, task, fields.body):
        tasks.add_event(
            conn, task_id=task.id, at=now, actor_id=by, kind="note", detail=fields.body
        )
        changed.append("body")
    return list(dict.fromkeys(changed))


def _noted(ctx: Ctx, task: TaskRow, body: str) -> bool:
    """True when the task's recent history holds this very note already (a retried delivery)."""
    history = tasks.history(ctx.conn, task_id=task.id)
    return any(line.kind == "note" and line.detail == body for line in history)


def _posted(ctx: Ctx, hook: HookRow, task: TaskRow, body: str | None, key: str) -> Reply:
    """The task's card on its board, in the team's language, with the delivery's body."""
    view = team_reading(ctx.raised())
    text = view.t(key, hook=hook.number, number=task.number, title=mentions.inert(task.title))
    shown = card(view, task)
    if body:
        shown = replace(shown, body=mentions.inert(body[:500]))
    return Reply(text, card=shown, to=Target.parse(task.channel))


def _owner_dms(ctx: Ctx, task: TaskRow, owners: Sequence[str], by: str) -> list[Reply]:
    raised = ctx.raised()
    ws = Target.parse(task.channel).ws
    return owner_dms(
        task, owners, by=by, reading=lambda u: person_reading(raised, ws=ws, user_id=u)
    )
