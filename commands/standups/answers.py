"""A participant's side of a standup: the DM conversation, answering early, editing, skipping,
time off, and the "Ask for help" button under a blocker."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

from bot.context import Ctx, Refusal
from bot.events import Target
from bot.replies import Reply
from bot.routing import Router
from commands.faq.escalate import escalate
from commands.parsing import cn_number, normalise, parse_when
from commands.standups.common import (
    MAX_ANSWER,
    blocker_of,
    channel_target,
    is_skip,
    questions,
    run_values,
)
from commands.standups.summary import HELP_ACTION, answer_reply
from storage import faq, standups
from storage import standup_runs as runs
from storage.standup_runs import RunRow
from storage.standups import StandupRow

router = Router("standups.answers")
_EDITABLE = frozenset({"answered", "skipped", "prompted"})
_AWAY_SPAN = re.compile(
    r"^(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(d|days?|天|日|w|wks?|weeks?|周|个?星期)$"
)
_UNTIL = re.compile(r"^(?:until|till|through|to|到|至|直到)\s*")
MAX_AWAY_DAYS = 366


def _standup_of(ctx: Ctx, run: RunRow) -> StandupRow:
    s = standups.get(ctx.conn, standup_id=run.standup_id)
    if s is None:  # deleted meanwhile; the cascade removed the run too
        raise Refusal("standup.not_found_any")
    return s


def _ask(ctx: Ctx, s: StandupRow, run: RunRow) -> str:
    asked = questions(s, ctx.t)
    step = min(run.step, len(asked) - 1)
    text = f"({step + 1}/{len(asked)}) {asked[step]}"
    if step < len(run.answers):
        text += "\n" + ctx.t("standup.previous", answer=run.answers[step][:300])
    return text


@router.conversation(commands_first=("standup",))
def continue_standup(ctx: Ctx, text: str) -> list[Reply] | None:
    """Record the next answer of an open standup conversation (direct messages only)."""
    if not ctx.source.is_direct:
        return None
    run = runs.open_run(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if run is None:
        return None
    s = _standup_of(ctx, run)
    if is_skip(text):
        return [_skip(ctx, s, run)]
    if len(text) > MAX_ANSWER:
        raise Refusal("standup.answer_too_long", length=len(text), limit=MAX_ANSWER)
    answers = list(run.answers)
    if run.step < len(answers):
        answers[run.step] = text
    else:
        answers.append(text)
    asked = questions(s, ctx.t)
    step = run.step + 1
    if step < len(asked):
        values = {"answers": json.dumps(answers, ensure_ascii=False), "step": step}
        runs.update_run(ctx.conn, run_id=run.id, values=values, status="prompted")
        return [Reply(_ask(ctx, s, _with(run, answers, step)))]
    return _finish(ctx, s, run, tuple(answers))


def _with(run: RunRow, answers: list[str], step: int) -> RunRow:
    return RunRow(
        run.id, run.standup_id, run.user_id, run.day, run.status, step, tuple(answers),
        run.blocker, run.prompt_at, run.closes_at, run.answered_at,
    )  # fmt: skip


def _finish(ctx: Ctx, s: StandupRow, run: RunRow, answers: tuple[str, ...]) -> list[Reply]:
    blocker = blocker_of(s, answers)
    values = {
        "answers": json.dumps(list(answers), ensure_ascii=False),
        "step": len(answers),
        "status": "answered",
        "blocker": blocker,
        "answered_at": ctx.now,
    }
    runs.update_run(ctx.conn, run_id=run.id, values=values, status="prompted")
    key = "standup.thanks_blocker" if blocker else "standup.thanks"
    replies = [ctx.say(key, name=s.name, day=run.day)]
    if s.style == "each" and runs.day_status(ctx.conn, standup_id=s.id, day=run.day) != "posted":
        done = runs.get_run(ctx.conn, run_id=run.id)
        assert done is not None
        replies.append(
            answer_reply(
                ctx.conn, ctx.translator, ctx.people, s, done, edited=run.answered_at is not None
            )
        )
    following = runs.open_run(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if following is not None:
        other = _standup_of(ctx, following)
        intro = ctx.t("standup.next_standup", name=other.name, day=following.day)
        replies.append(Reply(f"{intro}\n{_ask(ctx, other, following)}"))
    return replies


def _skip(ctx: Ctx, s: StandupRow, run: RunRow) -> Reply:
    runs.update_run(ctx.conn, run_id=run.id, values={"status": "skipped"}, status=run.status)
    return ctx.say("standup.skipped", name=s.name, day=run.day)


def _member_standup(ctx: Ctx, name: str) -> tuple[StandupRow, datetime, date]:
    """The standup (named, else the soonest) the actor takes part in, with its next prompt and
    that prompt's local day."""
    options = standups.of_member(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if name:
        options = [o for o in options if o[0].name == name.lower()]
    if not options:
        raise Refusal("standup.not_member_any")
    s, next_at = options[0]
    return s, next_at, next_at.astimezone(ctx.tz).date()


def _in_dm(ctx: Ctx, text: str) -> list[Reply]:
    """The conversation happens in a direct message; a channel only gets a short pointer."""
    replies = [Reply(text, to=Target.direct(ctx.actor))]
    if not ctx.source.is_direct:
        replies.append(Reply(ctx.t("standup.see_dm"), ephemeral=True))
    return replies


@router.command("standup answer", "站会 回答", "站会 作答", usage="standup answer [name]")
def answer_early(ctx: Ctx, args: str) -> list[Reply]:
    """Answer now: your open standup, or the next one early (e.g. the evening before).
    zh: 现在回答:继续当前站会,或提前回答下一次站会(例如前一天晚上)。
    """
    run = runs.open_run(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if run is not None:
        s = _standup_of(ctx, run)
        return _in_dm(
            ctx, f"{ctx.t('standup.resume', name=s.name, day=run.day)}\n{_ask(ctx, s, run)}"
        )
    s, next_at, day = _member_standup(ctx, args.strip())
    values = run_values(s, ctx.actor.user_id, day, next_at, "prompted")
    if not runs.insert_run(ctx.conn, values=values):
        raise Refusal("standup.already_answered", name=s.name, day=day.isoformat())
    run = runs.find_run(ctx.conn, standup_id=s.id, user_id=ctx.actor.user_id, day=day.isoformat())
    assert run is not None
    intro = ctx.t("standup.early", name=s.name, day=day.isoformat())
    return _in_dm(ctx, f"{intro}\n{_ask(ctx, s, run)}")


@router.command("standup edit", "站会 修改", "站会 编辑", usage="standup edit [name]")
def edit_answers(ctx: Ctx, args: str) -> list[Reply]:
    """Answer again (your latest standup), until its summary is posted.
    zh: 重新回答最近一次站会,汇总发布前都可以修改。
    """
    name = args.strip().lower()
    for run in runs.latest_runs(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id):
        if run.status not in _EDITABLE:
            continue
        if runs.day_status(ctx.conn, standup_id=run.standup_id, day=run.day) in (
            "posted",
            "missed",
        ):
            continue
        s = _standup_of(ctx, run)
        if name and s.name != name:
            continue
        values = {"status": "prompted", "step": 0, "nudged_at": ctx.now}
        runs.update_run(ctx.conn, run_id=run.id, values=values)
        intro = ctx.t("standup.editing", name=s.name, day=run.day)
        return _in_dm(ctx, f"{intro}\n{_ask(ctx, s, _with(run, list(run.answers), 0))}")
    raise Refusal("standup.nothing_to_edit")


@router.command("standup skip", "skip", "跳过", "站会 跳过", usage="standup skip [name]")
def skip_standup(ctx: Ctx, args: str) -> Reply:
    """Skip today's standup (or, before it is asked, the next one).
    zh: 跳过今天的站会(若尚未提问,则跳过下一次)。
    """
    run = runs.open_run(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if run is not None:
        return _skip(ctx, _standup_of(ctx, run), run)
    s, next_at, day = _member_standup(ctx, args.strip())
    if not runs.insert_run(
        ctx.conn, values=run_values(s, ctx.actor.user_id, day, next_at, "skipped")
    ):
        raise Refusal("standup.already_answered", name=s.name, day=day.isoformat())
    return ctx.say("standup.skipped", name=s.name, day=day.isoformat())


def parse_away(text: str, *, ctx: Ctx) -> tuple[date, date] | None:
    """``3d``, ``2 weeks``, ``3天``, ``until 2026-12-05``, ``到 12月5日`` → (first, last) local day."""
    value = normalise(text)
    today = ctx.now.astimezone(ctx.tz).date()
    if match := _AWAY_SPAN.match(value.replace(" ", "")):
        amount = cn_number(match.group(1)) or 0
        unit = 7 if match.group(2)[0] in "w周个星" else 1
        days = amount * unit
        if not 1 <= days <= MAX_AWAY_DAYS:
            return None
        return today, today + timedelta(days=days - 1)
    when = parse_when(_UNTIL.sub("", value), now=ctx.now, tz=ctx.tz)
    if when is None:
        return None
    last = when.at.astimezone(ctx.tz).date()
    if last < today or (last - today).days >= MAX_AWAY_DAYS:
        return None
    return today, last


@router.command("standup away", "请假", "站会 请假", usage="standup away 3d | until 2026-12-05")
def go_away(ctx: Ctx, args: str) -> Reply:
    """Time off: no standup questions for 3d, or until a date (inclusive).
    zh: 请假:这段时间不再提问,例如 请假 3天、请假 到 2026-12-05。
    """
    span = parse_away(args, ctx=ctx)
    if span is None:
        raise Refusal("standup.away_invalid", text=args.strip()[:60])
    first, last = span
    standups.set_away(
        ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id,
        first_day=first.isoformat(), last_day=last.isoformat(),
    )  # fmt: skip
    run = runs.open_run(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id)
    if run is not None and first.isoformat() <= run.day <= last.isoformat():
        runs.update_run(ctx.conn, run_id=run.id, values={"status": "away"}, status="prompted")
    return ctx.say("standup.away_set", first=first.isoformat(), last=last.isoformat())


@router.command("standup back", "销假", "站会 销假", usage="standup back")
def come_back(ctx: Ctx, args: str) -> Reply:
    """End your time off: standup questions resume.
    zh: 销假:恢复站会提问。
    """
    if not standups.clear_away(ctx.conn, ws=ctx.ws, user_id=ctx.actor.user_id):
        return ctx.say("standup.back_not_away")
    return ctx.say("standup.back")


@router.action(HELP_ACTION)
def ask_for_help(ctx: Ctx, value: str) -> list[Reply]:
    """The "Ask for help" button under a blocker."""
    run = runs.get_run(ctx.conn, run_id=int(value)) if value.isdigit() else None
    s = standups.get(ctx.conn, standup_id=run.standup_id) if run else None
    if run is None or s is None or s.ws != ctx.ws or not run.blocker:
        raise Refusal("standup.help_gone")
    return escalate_blocker(ctx, s, run)


def escalate_blocker(ctx: Ctx, s: StandupRow, run: RunRow) -> list[Reply]:
    """Ask for help with a blocker as an escalation in the standup's channel: its FAQ experts,
    else the standup's owner and the admins. The SLA re-pings, "I'm on it" and "Save as FAQ"
    work as for any question Baton could not answer."""
    place = channel_target(s)
    helpers = faq.experts(ctx.conn, ws=ctx.ws, scope=str(place)) or [
        uid
        for uid in dict.fromkeys([s.owner_id, *sorted(ctx.settings.admins)])
        if uid != run.user_id
    ]
    return escalate(
        ctx,
        run.blocker or "",
        question_id=None,
        topic="",
        asker_id=run.user_id,
        place=place,
        helpers=helpers or [s.owner_id],
        told_key="standup.help_asked",
    )
