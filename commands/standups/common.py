"""What the standup commands, the conversation and the ticks share: questions, the "no blocker"
words, public holidays, targets and the prompt text."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

import chinese_calendar
import holidays

from bot.events import Platform, Target
from commands.standups.schedule import WEEKDAYS_MASK
from commands.workdays import workday_checker
from storage.standups import StandupRow

DEFAULT_QUESTIONS = ("standup.q_yesterday", "standup.q_today", "standup.q_blockers")
MAX_ANSWER = 2000
SKIP_WORDS = frozenset({"skip", "skip today", "跳过", "跳过今天", "今天跳过"})
_NONE_EN = re.compile(
    r"^(?:no|none|nope|nah|nothing|nil|n/?a|na|all good|not really)"
    r"(?: (?:blockers?|blocks?|blocking|issues?|problems?|impediments?))?"
    r"(?: (?:so far|today|yet|at the moment|atm|for now|right now))?$"
)
_NONE_ZH = re.compile(
    r"^(?:无|没有|暂无|没|暂时没有|暂时没|目前没有|没啥|没什么|无阻碍|一切顺利|都好|还好|无问题)"
    r"(?:阻碍|阻塞|问题|困难|卡点)?$"
)
_BLOCKER_HINT = re.compile(r"block|imped|obstacle|stuck|阻|卡|困难|障碍|风险")
_TRIM = " .!。!~～-—"

HolidayCheck = Callable[[str, date], bool]


def fold(text: str) -> str:
    """NFKC, lower case, single spaces, without trailing punctuation."""
    folded = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    return folded.strip(_TRIM)


def is_none(answer: str) -> bool:
    """True when a blocker answer means "nothing is blocking me" (none, no, 无, 没有, 暂无 …)."""
    value = fold(answer)
    return not value or bool(_NONE_EN.match(value) or _NONE_ZH.match(value))


def is_skip(text: str) -> bool:
    """True for ``skip`` / ``跳过``."""
    return fold(text) in SKIP_WORDS


def questions(standup: StandupRow, t: Callable[[str], str]) -> tuple[str, ...]:
    """The questions of a standup in one reader's language (custom ones are asked as written)."""
    if standup.questions:
        return standup.questions
    return tuple(t(key) for key in DEFAULT_QUESTIONS)


def blocker_index(standup: StandupRow) -> int | None:
    """Which question asks about blockers: the third default one, else the custom question that
    mentions blocking (else the last one)."""
    if not standup.questions:
        return 2
    for index, question in enumerate(standup.questions):
        if _BLOCKER_HINT.search(question.lower()):
            return index
    return len(standup.questions) - 1


def blocker_of(standup: StandupRow, answers: tuple[str, ...]) -> str | None:
    """The blocker an answer set reports, or None."""
    index = blocker_index(standup)
    if index is None or index >= len(answers):
        return None
    answer = answers[index].strip()
    return None if is_none(answer) else answer


def dm(ws: str, user_id: str) -> Target:
    """A direct message to ``user_id`` in workspace ``ws`` (``slack:T01``)."""
    platform, _, workspace = ws.partition(":")
    return Target(Platform(platform), workspace, user=user_id)


def channel_target(standup: StandupRow) -> Target:
    """Where a standup's summary goes."""
    return Target.parse(standup.channel)


def holiday_checker() -> HolidayCheck:
    """A public-holiday test that loads each country's calendar once per year it is asked for;
    China's from ``chinese-calendar``, which knows the days off moved to bridge a holiday."""
    calendars: dict[tuple[str, int], holidays.HolidayBase] = {}

    def is_holiday(country: str, day: date) -> bool:
        if country == "CN":
            with contextlib.suppress(NotImplementedError):  # a year it has no data for yet
                off, name = chinese_calendar.get_holiday_detail(day)
                return bool(off and name)
        key = (country, day.year)
        if key not in calendars:
            calendars[key] = holidays.country_holidays(country, years=day.year)
        return day in calendars[key]

    return is_holiday


def make_up_days(standup: StandupRow) -> Callable[[date], bool] | None:
    """China's make-up working days (调休: a Saturday or Sunday worked to bridge a holiday) for a
    standup that follows China's holidays and runs on every weekday: it runs on those days too.
    A standup on some weekdays only cannot tell which of them a make-up day stands for, so it
    keeps its own days."""
    if standup.holidays != "CN" or standup.days & WEEKDAYS_MASK != WEEKDAYS_MASK:
        return None
    is_workday = workday_checker("CN")
    return lambda day: day.weekday() >= 5 and is_workday(day)


def supported_country(code: str) -> str | None:
    """The ISO country code if the holidays calendar knows it (``cn`` → ``CN``)."""
    upper = code.strip().upper()
    return upper if upper in holidays.list_supported_countries() else None


def day_text(day: str | date) -> str:
    """A local date as shown to people (ISO, the same in both languages)."""
    return day if isinstance(day, str) else day.isoformat()


def nudge_offset(window_minutes: int) -> timedelta:
    """When in a person's window the one nudge goes: at two thirds of it."""
    return timedelta(minutes=window_minutes * 2 // 3)


def run_values(
    s: StandupRow, user_id: str, day: date, at: datetime, status: str
) -> dict[str, object]:
    """A new occurrence row for ``user_id`` on local ``day``, prompted (or due) at ``at``."""
    return {
        "standup_id": s.id,
        "ws": s.ws,
        "user_id": user_id,
        "day": day.isoformat(),
        "status": status,
        "step": 0,
        "answers": "[]",
        "prompt_at": at,
        "closes_at": at + timedelta(minutes=s.window_minutes),
        "nudge_at": at + nudge_offset(s.window_minutes),
    }
