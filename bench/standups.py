"""Standup scheduler benchmark: 5,000 participants in 200 standups over 24 time zones.

Times the tick that finds and claims who is due now (idle, a typical moment, the busiest moment),
the whole day's fan-out handed to the outbox, a burst where all 5,000 are due at once, and the
summary build. Prints JSON. Targets: a tick <= 100 ms, the whole fan-out <= 5 s.

    .venv/bin/python bench/standups.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from commands.standups.schedule import first_occurrence, local_moment  # noqa: E402
from commands.standups.ticks import post_summaries, send_prompts  # noqa: E402
from storage.models import User  # noqa: E402
from storage.models_standups import Standup, StandupMember  # noqa: E402

PARTICIPANTS = 5000
STANDUPS = 200
ZONES = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
    "Atlantic/Azores", "Europe/London", "Africa/Lagos", "Europe/Berlin", "Europe/Athens",
    "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Pacific/Auckland",
]  # fmt: skip
WS = "console:local"
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday noon UTC; every first prompt is Tue
MINUTE = 9 * 60 + 30
WEEKDAYS = 0b0011111


def populate(app: App) -> list[datetime]:
    """Standups, users and members; returns the distinct UTC prompt moments of the first day."""
    standups = Standup.__table__  # type: ignore[attr-defined]
    members = StandupMember.__table__  # type: ignore[attr-defined]
    users = User.__table__  # type: ignore[attr-defined]
    moments: set[datetime] = set()
    with app.engine.begin() as conn:
        conn.execute(
            standups.insert(),
            [
                {
                    "ws": WS,
                    "channel": f"{WS}/c{i}",
                    "name": "daily",
                    "owner_id": f"u{i * 25}",
                    "locale": "en",
                    "minute_of_day": MINUTE,
                    "days": WEEKDAYS,
                    "window_minutes": 180,
                    "style": "summary",
                    "paused": False,
                    "created_at": START,
                }
                for i in range(STANDUPS)
            ],  # fmt: skip
        )
        user_rows, member_rows = [], []
        for n in range(PARTICIPANTS):
            tz = ZONES[n % len(ZONES)]
            at, _ = first_occurrence(
                now=START, minute_of_day=MINUTE, days=WEEKDAYS, tz=ZoneInfo(tz)
            )
            moments.add(at)
            user_rows.append({"ws": WS, "user_id": f"u{n}", "display_name": f"User {n}", "tz": tz,
                              "updated_at": START})  # fmt: skip
            member_rows.append({"standup_id": n // 25 + 1, "user_id": f"u{n}",
                                "next_prompt_at": at, "joined_at": START})  # fmt: skip
        conn.execute(users.insert(), user_rows)
        conn.execute(members.insert(), member_rows)
    return sorted(moments)


def timed(fn: Callable[[], None]) -> float:
    """Seconds ``fn`` took."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def outbox_count(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(START)
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.db")  # type: ignore[call-arg]
        app = build_app(settings, clock=clock)
        moments = populate(app)
        clock.set(moments[0] - timedelta(minutes=1))
        idle = min(timed(lambda: send_prompts(app.tick_ctx())) for _ in range(5))
        ticks: list[tuple[float, int]] = []
        for moment in moments:  # every moment someone is due over the day
            clock.set(moment)
            before = outbox_count(app)
            elapsed = timed(lambda: send_prompts(app.tick_ctx()))
            ticks.append((elapsed, outbox_count(app) - before))
        again = timed(lambda: send_prompts(app.tick_ctx()))  # a doubled tick finds nothing
        prompts = outbox_count(app)

        # Everyone answers (one in ten with a blocker); then every day closes at once.
        with app.engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE standup_runs SET status='answered', step=3, answered_at=prompt_at,"
                " answers='[\"Reviewed PRs\",\"Ship it\",\"none\"]',"
                " blocker=CASE WHEN id % 10 = 0 THEN 'Waiting for access' END"
            ))  # fmt: skip
        clock.set(max(moments) + timedelta(hours=4))
        summaries = timed(lambda: post_summaries(app.tick_ctx()))
        posted = outbox_count(app) - prompts

        # Burst: all 5,000 due in the same minute (one zone), a worst case for one tick.
        shanghai = ZoneInfo("Asia/Shanghai")
        burst_at = local_moment(date(2026, 11, 26), MINUTE, shanghai)
        with app.engine.begin() as conn:
            conn.execute(sa.text("UPDATE users SET tz='Asia/Shanghai'"))
            conn.execute(
                StandupMember.__table__.update().values(next_prompt_at=burst_at)  # type: ignore[attr-defined]
            )
        clock.set(burst_at)
        before = outbox_count(app)
        burst = timed(lambda: send_prompts(app.tick_ctx()))
        burst_prompts = outbox_count(app) - before
        app.engine.dispose()

    busiest = max(ticks)
    typical = sorted(t for t, n in ticks if n)[len(ticks) // 2]
    print(json.dumps({
        "participants": PARTICIPANTS,
        "standups": STANDUPS,
        "zones": len(ZONES),
        "idle_tick_ms": round(idle * 1000, 2),
        "typical_due_tick_ms": round(typical * 1000, 1),
        "busiest_tick_ms": round(busiest[0] * 1000, 1),
        "busiest_tick_prompts": busiest[1],
        "doubled_tick_ms": round(again * 1000, 2),
        "day_fanout_ticks": len(ticks),
        "day_fanout_prompts": prompts,
        "day_fanout_total_s": round(sum(t for t, _ in ticks), 3),
        "burst_prompts": burst_prompts,
        "burst_tick_s": round(burst, 3),
        "summaries_posted": posted,
        "summaries_total_s": round(summaries, 3),
        "summary_build_ms_each": round(summaries * 1000 / max(posted, 1), 2),
        "target_tick_ms": 100,
        "target_fanout_s": 5,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
