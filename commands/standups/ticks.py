"""The standup scheduler: prompts at each person's local time, one nudge, the channel summary.

Rules people can rely on:
- One prompt per person and occurrence: the member's ``next_prompt_at`` is moved on with a
  conditional UPDATE, the occurrence row is unique, and the outbox row carries a dedupe key.
- Late is fine, too late is not: a prompt due while Baton was down goes out late if that person's
  window is still open; an occurrence whose whole window passed is recorded as ``missed`` (no late
  prompt, and no summary when nobody could be asked).
- A public holiday of the standup's country, or time off, is recorded instead of prompting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.context import TickCtx
from bot.feature import Tick
from bot.people import usual_locale, zone
from bot.replies import Reply
from commands.standups.common import (
    HolidayCheck,
    dm,
    holiday_checker,
    make_up_days,
    questions,
    run_values,
)
from commands.standups.schedule import (
    first_occurrence,
    local_moment,
    occurrence_after,
    scheduled,
)
from commands.standups.summary import summary_reply
from storage import standup_runs as runs
from storage import standups
from storage.standups import DueMember, StandupRow

log = logging.getLogger(__name__)
CHUNK = 500
STALE_AFTER = timedelta(days=2)
_LIVE = frozenset({"prompted", "answered", "skipped"})


def send_prompts(ctx: TickCtx) -> None:
    """Claim every participant whose prompt is due and queue their DM (in chunks, so a big
    fan-out never holds the database for long)."""
    with ctx.engine.connect() as conn:
        due = standups.due_members(conn, now=ctx.now)
    is_holiday = holiday_checker()
    for start in range(0, len(due), CHUNK):
        chunk = due[start : start + CHUNK]
        with ctx.engine.begin() as conn:
            days = _Days.load(conn, ctx, chunk)
            for member in chunk:
                _claim(conn, ctx, member, is_holiday, days)


@dataclass
class _Days:
    """What a chunk of prompts shares, looked up once: which standup days are open already, and
    everyone's zone for the days to open (two queries per chunk instead of two per prompt)."""

    ctx: TickCtx
    known: set[tuple[int, str]]
    checked: set[tuple[int, str]]
    zones: dict[int, list[str | None]]
    _tz: dict[str | None, ZoneInfo] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: sa.Connection, ctx: TickCtx, chunk: Sequence[DueMember]) -> _Days:
        days = cls(ctx, set(), set(), {})
        keys = {
            (m.standup.id, m.next_prompt_at.astimezone(days.zone(m.tz)).date().isoformat())
            for m in chunk
        }
        ids = {sid for sid, _ in keys}
        days.known = runs.existing_days(conn, standup_ids=ids, days={d for _, d in keys})
        days.checked = keys
        missing = {sid for sid, day in keys if (sid, day) not in days.known}
        if missing:
            days.zones = standups.member_zones(conn, standup_ids=missing)
        return days

    def zone(self, name: str | None) -> ZoneInfo:
        """A person's zone (the team default when unset), loaded once per tick."""
        if name not in self._tz:
            self._tz[name] = zone(name, self.ctx.settings.timezone)
        return self._tz[name]

    def open(self, conn: sa.Connection, s: StandupRow, day: date) -> None:
        """Open the standup's day, closing when the last participant's window closes (each
        person's window follows their own zone, so a Shanghai-Berlin-Los Angeles team closes in
        the evening of Los Angeles)."""
        key = (s.id, day.isoformat())
        if key in self.known:
            return
        self.known.add(key)
        if key not in self.checked and runs.day_status(conn, standup_id=s.id, day=key[1]):
            return
        if s.id not in self.zones:
            self.zones.update(standups.member_zones(conn, standup_ids=[s.id]))
        window = timedelta(minutes=s.window_minutes)
        closes = max(
            local_moment(day, s.minute_of_day, self.zone(tz)) + window
            for tz in self.zones.get(s.id) or [None]
        )
        runs.ensure_day(conn, standup_id=s.id, day=key[1], closes_at=closes)


def _claim(
    conn: sa.Connection,
    ctx: TickCtx,
    member: DueMember,
    is_holiday: HolidayCheck,
    days: _Days,
) -> None:
    s = member.standup
    tz = days.zone(member.tz)
    at = member.next_prompt_at
    day = at.astimezone(tz).date()
    window = timedelta(minutes=s.window_minutes)
    extra = make_up_days(s)
    if not scheduled(day, s.days, extra) or local_moment(day, s.minute_of_day, tz) != at:
        # The person changed zone since this prompt was planned: plan it again in the new zone.
        at, day = first_occurrence(
            now=ctx.now - window + timedelta(seconds=1),
            minute_of_day=s.minute_of_day,
            days=s.days,
            tz=tz,
            extra=extra,
        )
        if at > ctx.now:
            standups.claim_member(
                conn, standup_id=s.id, user_id=member.user_id, expected=member.next_prompt_at,
                next_at=at,
            )  # fmt: skip
            return
    if at + window <= ctx.now:
        _missed(conn, ctx, member, day, is_holiday, days)
        return
    next_at, _ = occurrence_after(
        day, minute_of_day=s.minute_of_day, days=s.days, tz=tz, extra=extra
    )
    if not standups.claim_member(
        conn, standup_id=s.id, user_id=member.user_id, expected=member.next_prompt_at,
        next_at=next_at,
    ):  # fmt: skip
        return
    status = _status(member, day, is_holiday) or "prompted"
    inserted = runs.insert_run(conn, values=run_values(s, member.user_id, day, at, status))
    if status != "prompted":
        if (
            not inserted
        ):  # started early for a day that turned out to be off: end that conversation
            runs.end_open_run(
                conn, standup_id=s.id, user_id=member.user_id, day=day, status=status
            )
        return
    days.open(conn, s, day)
    if inserted:
        locale = member.locale or s.locale  # their own language, else the standup's
        ctx.outbox.enqueue(
            conn,
            dm(s.ws, member.user_id),
            Reply(prompt_text(ctx, s, locale, day)),
            dedupe_key=f"standup:{s.id}:{member.user_id}:{day.isoformat()}:prompt",
        )


def _missed(
    conn: sa.Connection,
    ctx: TickCtx,
    member: DueMember,
    day: date,
    is_holiday: HolidayCheck,
    days: _Days,
) -> None:
    """Record the occurrence whose window passed unseen, then jump to the first one still open
    (which may be prompted at once, late)."""
    s = member.standup
    tz = days.zone(member.tz)
    window = timedelta(minutes=s.window_minutes)
    extra = make_up_days(s)
    live_at, live_day = first_occurrence(
        now=ctx.now - window + timedelta(seconds=1), minute_of_day=s.minute_of_day,
        days=s.days, tz=tz, extra=extra,
    )  # fmt: skip
    if live_day <= day:
        live_at, live_day = occurrence_after(
            day, minute_of_day=s.minute_of_day, days=s.days, tz=tz, extra=extra
        )
    if not standups.claim_member(
        conn, standup_id=s.id, user_id=member.user_id, expected=member.next_prompt_at,
        next_at=live_at,
    ):  # fmt: skip
        return
    status = _status(member, day, is_holiday) or "missed"
    at = member.next_prompt_at
    runs.insert_run(conn, values=run_values(s, member.user_id, day, at, status))
    if status == "missed":
        days.open(conn, s, day)
    if live_at <= ctx.now:
        _claim(conn, ctx, replace(member, next_prompt_at=live_at), is_holiday, days)


def _status(member: DueMember, day: date, is_holiday: HolidayCheck) -> str | None:
    """holiday or away when this person is not to be asked that day."""
    if member.standup.holidays and is_holiday(member.standup.holidays, day):
        return "holiday"
    text = day.isoformat()
    if member.away_first and member.away_last and member.away_first <= text <= member.away_last:
        return "away"
    return None


def prompt_text(ctx: TickCtx, s: StandupRow, locale: str, day: date) -> str:
    """The first message of a standup conversation, in the participant's language."""
    first = questions(s, lambda key: ctx.translator.t(key, locale))[0]
    intro = ctx.translator.t("standup.prompt", locale, name=s.name, day=day.isoformat())
    return f"{intro}\n{first}"


def send_nudges(ctx: TickCtx) -> None:
    """One reminder to people who have not finished answering, at two thirds of their window."""
    with ctx.engine.begin() as conn:
        # A conversation whose day never closes (its standup was paused, or its person left)
        # must not keep capturing that person's direct messages.
        runs.expire_open(conn, before=ctx.now - STALE_AFTER)
        for run in runs.due_nudges(conn, now=ctx.now):
            s = standups.get(conn, standup_id=run.standup_id)
            if s is None or not runs.claim_nudge(conn, run_id=run.id, now=ctx.now):
                continue
            prefs = ctx.people.lookup(conn, ws=s.ws, user_id=run.user_id)
            locale = usual_locale(prefs) or s.locale
            tz = zone(prefs.tz or prefs.profile_tz, ctx.settings.timezone)
            closes = run.closes_at.astimezone(tz).strftime("%H:%M")
            text = ctx.translator.t("standup.nudge", locale, name=s.name, closes=closes)
            ctx.outbox.enqueue(
                conn,
                dm(s.ws, run.user_id),
                Reply(text),
                dedupe_key=f"standup:{s.id}:{run.user_id}:{run.day}:nudge",
            )


def post_summaries(ctx: TickCtx) -> None:
    """Post each standup day whose last window closed, once; a day nobody could be asked for
    (Baton was down throughout) is closed as missed without a message."""
    with ctx.engine.begin() as conn:
        for standup_id, day in runs.due_days(conn, now=ctx.now):
            s = standups.get(conn, standup_id=standup_id)
            day_runs = runs.runs_of_day(conn, standup_id=standup_id, day=day)
            live = s is not None and any(r.status in _LIVE for r in day_runs)
            status = "posted" if live else "missed"
            if not runs.claim_day(
                conn, standup_id=standup_id, day=day, status=status, now=ctx.now
            ):
                continue
            if s is None or not live:
                log.info("standup %s on %s closed as missed", standup_id, day)
                continue
            day_runs = runs.runs_of_day(conn, standup_id=standup_id, day=day)  # as closed
            reply = summary_reply(conn, ctx.translator, ctx.people, s, day, day_runs, final=True)
            ctx.outbox.enqueue(
                conn, reply.to or dm(s.ws, s.owner_id), reply,
                dedupe_key=f"standup:{s.id}:{day}:summary",
            )  # fmt: skip


TICKS = (
    Tick("standup.prompts", send_prompts),
    Tick("standup.nudges", send_nudges),
    Tick("standup.summaries", post_summaries),
)
