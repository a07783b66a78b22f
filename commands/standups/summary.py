"""Building what a standup posts to its channel: the day's summary card (blockers on top, each
person's answers, who is away, who did not answer) and, for the per-answer style, one card per
answer. Every blocker gets two buttons: "Create task" and "Ask for help"."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from bot.i18n import Translator
from bot.mentions import token
from bot.people import People
from bot.replies import Button, Card, Reply
from commands.standups.common import channel_target, questions
from storage.standup_runs import RunRow
from storage.standups import StandupRow

TASK_ACTION = "task.quickadd"
HELP_ACTION = "standup.help"
_NO_ANSWER = frozenset({"prompted", "unanswered"})


def standup_ref(s: StandupRow, day: str, user_id: str) -> str:
    """A stable reference to one person's answer, carried by tasks created from a blocker."""
    return f"standup:{s.id}/{day}/{user_id}"


def _name(conn: sa.Connection, people: People, ws: str, user_id: str) -> str:
    return people.lookup(conn, ws=ws, user_id=user_id).display_name or user_id


def blocker_buttons(
    conn: sa.Connection, translator: Translator, people: People, s: StandupRow, run: RunRow
) -> tuple[Button, ...]:
    """The two buttons offered under one blocker."""
    if not run.blocker:
        return ()
    who = _name(conn, people, s.ws, run.user_id)[:40]
    value = {
        "title": run.blocker[:150],
        "owner": run.user_id,
        "due": None,
        "link": standup_ref(s, run.day, run.user_id),
    }
    return (
        Button(
            translator.t("standup.btn_task", s.locale, who=who),
            TASK_ACTION,
            json.dumps(value, ensure_ascii=False),
            "primary",
        ),
        Button(translator.t("standup.btn_help", s.locale, who=who), HELP_ACTION, str(run.id)),
    )


def _answer_lines(
    translator: Translator, s: StandupRow, run: RunRow, locale: str | None = None
) -> list[str]:
    asked = questions(s, lambda key: translator.t(key, locale or s.locale))
    return [f"  {q} {a}" for q, a in zip(asked, run.answers, strict=False)]


def summary_lines(
    translator: Translator,
    s: StandupRow,
    day_runs: Sequence[RunRow],
    *,
    with_answers: bool,
    locale: str | None = None,
) -> list[str]:
    """The summary as lines: blockers, answers, then who is away or did not answer."""
    t = translator.t
    locale = locale or s.locale
    lines: list[str] = []
    blocked = [r for r in day_runs if r.status == "answered" and r.blocker]
    if blocked:
        lines.append(t("standup.summary_blockers", locale))
        lines.extend(f"🚧 {token(r.user_id)}: {r.blocker}" for r in blocked)
    if with_answers:
        for run in (r for r in day_runs if r.status == "answered"):
            lines.append(token(run.user_id))
            lines.extend(_answer_lines(translator, s, run, locale))
    groups = (
        ("standup.summary_away", {"away", "holiday"}),
        ("standup.summary_skipped", {"skipped"}),
        ("standup.summary_missing", _NO_ANSWER),
        ("standup.summary_not_asked", {"missed"}),
    )
    for key, statuses in groups:
        people = [token(r.user_id) for r in day_runs if r.status in statuses]
        if people:
            lines.append(t(key, locale, people=", ".join(people)))
    return lines


def summary_reply(
    conn: sa.Connection,
    translator: Translator,
    people: People,
    s: StandupRow,
    day: str,
    day_runs: Sequence[RunRow],
    *,
    final: bool,
) -> Reply:
    """The card posted to the channel when a standup day closes."""
    answered = sum(r.status == "answered" for r in day_runs)
    asked = sum(r.status not in {"away", "holiday", "missed"} for r in day_runs)
    blockers = sum(bool(r.blocker) and r.status == "answered" for r in day_runs)
    with_answers = not (final and s.style == "each")
    lines = summary_lines(translator, s, day_runs, with_answers=with_answers)
    buttons = tuple(
        button
        for r in day_runs
        if r.status == "answered"
        for button in blocker_buttons(conn, translator, people, s, r)
    )
    text = translator.t(
        "standup.summary_text",
        s.locale,
        name=s.name,
        day=day,
        answered=answered,
        asked=asked,
        blockers=blockers,
    )
    title = translator.t("standup.summary_title", s.locale, name=s.name, day=day)
    return Reply(text, card=Card(title, "\n".join(lines), buttons=buttons), to=channel_target(s))


def answer_reply(
    conn: sa.Connection,
    translator: Translator,
    people: People,
    s: StandupRow,
    run: RunRow,
    *,
    edited: bool,
) -> Reply:
    """One person's answers posted as they arrive (the per-answer style)."""
    key = "standup.answer_edited" if edited else "standup.answer_posted"
    text = translator.t(key, s.locale, who=token(run.user_id), name=s.name, day=run.day)
    lines = _answer_lines(translator, s, run)
    if run.blocker:
        lines.insert(0, f"🚧 {run.blocker}")
    buttons = blocker_buttons(conn, translator, people, s, run)
    card = Card(translator.t("standup.summary_title", s.locale, name=s.name, day=run.day))
    card = Card(card.title, "\n".join(lines), buttons=buttons)
    return Reply(text, card=card, to=channel_target(s))
