"""Task reminders as transcripts on a frozen clock: zones on both sides of the date line, quiet
hours, weekends, overdue escalation, snooze, done-before-remind, two schedulers, a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import mentions
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.events import Platform
from bot.wiring import build_app
from tests.fakes.messages import make_inbound
from tests.fakes.reminders import Recorder, add_task, person, rows, update_task


def _recorder(app: App) -> Recorder:
    recorder = Recorder()
    app.outbox.register(Platform.CONSOLE, recorder)
    return recorder


async def _at(app: App, clock: FrozenClock, moment: datetime) -> None:
    clock.set(moment)
    await app.run_ticks()


async def test_remind_tasks_due_soon_on_both_sides_of_the_date_line(
    app: App, clock: FrozenClock
) -> None:
    sent = _recorder(app)
    person(app, "alice", "Pacific/Auckland")
    person(app, "bob", "Pacific/Honolulu", "zh")
    # One instant: Fri 11 Dec 01:00 in Auckland, Thu 10 Dec 02:00 in Honolulu.
    add_task(app, 1, due=datetime(2026, 12, 10, 12, 0, tzinfo=UTC), owners=("alice", "bob"))
    await _at(app, clock, datetime(2026, 12, 9, 18, 30, tzinfo=UTC))  # HNL 08:30, AKL 07:30
    assert sent.sent == []
    await _at(app, clock, datetime(2026, 12, 9, 19, 5, tzinfo=UTC))  # HNL Wed 09:05
    assert sent.to("bob") == ["⏰ #1 Task 1\n还有 1 天到期:12月10日 周四 02:00。"]
    assert sent.to("alice") == []
    await _at(app, clock, datetime(2026, 12, 9, 20, 5, tzinfo=UTC))  # AKL Thu 09:05
    assert sent.to("alice") == ["⏰ #1 Task 1\nDue in 1 day: Fri 11 Dec 01:00."]
    buttons = sent.sent[-1][1].card.buttons  # type: ignore[union-attr]
    assert [(b.action, b.value) for b in buttons] == [
        ("task.done", "1"), ("task.start", "1"), ("task.snooze", "1|1h"),
        ("task.snooze", "1|tomorrow 9:00"),
    ]  # fmt: skip
    await _at(app, clock, datetime(2026, 12, 9, 23, 0, tzinfo=UTC))
    assert len(sent.sent) == 2


async def test_remind_tasks_quiet_hours_and_weekend_defer_to_monday(
    app: App, clock: FrozenClock
) -> None:
    sent = _recorder(app)
    person(app, "alice", "Europe/Berlin")
    # Due Monday 7 Dec 17:00 Berlin: T-3 Friday, T-1 Sunday (weekend), T-0 Monday.
    add_task(app, 1, due=datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 4, 7, 30, tzinfo=UTC))  # Fri 08:30: quiet
    assert sent.sent == []
    await _at(app, clock, datetime(2026, 12, 4, 8, 0, tzinfo=UTC))  # Fri 09:00
    assert sent.to("alice") == ["⏰ #1 Task 1\nDue in 3 days: Mon 7 Dec 17:00."]
    await _at(app, clock, datetime(2026, 12, 6, 10, 0, tzinfo=UTC))  # Sunday 11:00
    assert len(sent.sent) == 1
    await _at(app, clock, datetime(2026, 12, 7, 7, 59, tzinfo=UTC))  # Mon 08:59: quiet
    assert len(sent.sent) == 1
    await _at(app, clock, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Mon 09:00
    assert sent.to("alice")[-1] == "⏰ #1 Task 1\nDue today at 17:00."
    await _at(app, clock, datetime(2026, 12, 7, 20, 30, tzinfo=UTC))  # Mon 21:30: quiet
    assert len(sent.sent) == 2


async def test_remind_settings_weekends_on_and_quiet_hours_per_channel(chat, app, clock) -> None:
    reply = await chat.say("remind settings weekends on", user="boss")
    assert "weekends on" in reply and "this channel" in reply
    reply = await chat.say("提醒 设置 安静 22:00-07:00", user="boss")
    assert "免打扰 22:00-07:00" in reply and "本频道" in reply
    assert "3d,1d,0d" in await chat.say("remind settings")
    assert "Only an admin" in await chat.say("remind settings workspace quiet 20:00-10:00")
    assert "Use `remind settings" in await chat.say("remind settings quiet soon", user="boss")
    sent = _recorder(app)
    add_task(app, 1, due=datetime(2026, 12, 7, 16, 0, tzinfo=UTC))  # alice in UTC
    await _at(app, clock, datetime(2026, 12, 6, 7, 30, tzinfo=UTC))  # Sunday 07:30
    assert sent.to("alice") == ["⏰ #1 Task 1\nDue in 1 day: Mon 7 Dec 16:00."]


async def test_remind_tasks_overdue_every_working_morning_then_channel_then_bosses(
    app: App, clock: FrozenClock
) -> None:
    sent = _recorder(app)
    add_task(app, 7, due=datetime(2026, 11, 30, 17, 0, tzinfo=UTC), creator="carol")
    for day in range(1, 9):  # Tue 1 Dec .. Tue 8 Dec, 09:30 UTC
        await _at(app, clock, datetime(2026, 11, 30, 9, 30, tzinfo=UTC) + timedelta(days=day))
        await _at(app, clock, datetime(2026, 11, 30, 15, 0, tzinfo=UTC) + timedelta(days=day))
    owner = sent.to("alice")
    assert owner[0].endswith("Overdue by 1 day (was due Mon 30 Nov 17:00).")
    assert [t.split("by ")[1].split(" ")[0] for t in owner] == ["1", "2", "3", "4", "7", "8"]
    channel = sent.to("#ops")
    assert channel[0] == "<@alice>: #7 Task 7 is 2 days overdue (was due Mon 30 Nov 17:00 (UTC))."
    assert len(channel) == 5  # Wed, Thu, Fri, Mon, Tue
    assert len(sent.to("carol")) == 2 and len(sent.to("boss")) == 2  # Mon 7 and Tue 8


async def test_remind_tasks_done_or_deleted_before_morning_is_not_reminded(
    app: App, clock: FrozenClock
) -> None:
    sent = _recorder(app)
    first = add_task(app, 1, due=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    second = add_task(app, 2, due=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    update_task(app, first, done_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    update_task(app, second, deleted_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert sent.sent == []


async def test_remind_tasks_snooze_one_hour_reminds_again_once(
    app: App, clock: FrozenClock
) -> None:
    sent = _recorder(app)
    task = add_task(app, 1, due=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert len(sent.to("alice")) == 1
    update_task(app, task, snoozed_until=datetime(2026, 12, 1, 10, 30, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert len(sent.to("alice")) == 1
    await _at(app, clock, datetime(2026, 12, 1, 10, 30, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 1, 11, 30, tzinfo=UTC))
    assert len(sent.to("alice")) == 2
    # Snoozed until tomorrow 9:00: that morning's reminder comes once, at 9:00.
    update_task(app, task, snoozed_until=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await _at(app, clock, datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    assert len(sent.to("alice")) == 3


async def test_remind_tasks_two_schedulers_on_one_database_send_each_once(
    settings: Settings, clock: FrozenClock
) -> None:
    first = build_app(settings, clock=clock)
    second = build_app(settings, clock=clock, migrate=False)
    sent_first, sent_second = _recorder(first), _recorder(second)
    for n in range(1, 21):
        add_task(first, n, due=datetime(2026, 11, 30, 17, 0, tzinfo=UTC), owners=(f"u{n}",))
    clock.set(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))

    def ticks(app: App) -> None:
        ctx = app.tick_ctx()
        for tick in app.ticks:
            tick.run(ctx)

    await asyncio.gather(asyncio.to_thread(ticks, first), asyncio.to_thread(ticks, second))
    await asyncio.gather(first.run_ticks(), second.run_ticks())
    texts = [(t.user, t.channel, r.text) for t, r in sent_first.sent + sent_second.sent]
    owners = [text for user, _, text in texts if user]
    assert len(owners) == 20 and len(set(owners)) == 20  # one DM per owner, once each
    # The channel hears of each task once, in one list per scheduler that claimed some.
    notes = [line for _, channel, text in texts if channel for line in text.splitlines()[1:]]
    assert len(notes) == 20 and len(set(notes)) == 20
    first.engine.dispose()
    second.engine.dispose()


async def test_remind_tasks_crash_between_claim_and_send_delivers_after_lease(
    settings: Settings, clock: FrozenClock
) -> None:
    crashed = build_app(settings, clock=clock)
    for n in range(1, 6):
        add_task(crashed, n, due=datetime(2026, 11, 30, 17, 0, tzinfo=UTC), owners=(f"u{n}",))
    clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    ctx = crashed.tick_ctx()
    for tick in crashed.ticks:
        tick.run(ctx)  # claimed and queued...
    ids = [row[0] for row in rows(crashed, "SELECT id FROM outbox")]
    crashed.outbox._claim_due(len(ids), [])  # ...and taken for sending when the process died
    crashed.engine.dispose()
    restarted = build_app(settings, clock=clock)
    sent = _recorder(restarted)
    await restarted.run_ticks()
    assert sent.sent == []  # the lease still holds
    clock.advance(timedelta(seconds=61))
    await restarted.run_ticks()
    await restarted.run_ticks()
    assert sorted(t.user or "" for t, _ in sent.sent) == ["u1", "u2", "u3", "u4", "u5"]
    restarted.engine.dispose()


async def test_remind_tasks_hostile_title_never_becomes_a_broadcast(
    app: App, clock: FrozenClock
) -> None:
    sent = _recorder(app)
    add_task(app, 9, due=datetime(2026, 11, 27, 17, 0, tzinfo=UTC), title="<@all> <@here> now")
    await _at(app, clock, datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    (reply,) = [r for _, r in sent.sent]
    assert mentions.mentioned_ids(reply.text) == []
    assert mentions.mentioned_ids(reply.card.title) == []  # type: ignore[union-attr]


async def test_remind_settings_workspace_wide_by_an_admin_in_a_dm(app: App, clock) -> None:
    out = Recorder()
    app.outbox.register(Platform.CONSOLE, out)
    dm = make_inbound(
        "remind settings due-soon 5d,2d", user="boss", dm=True, received_at=clock.now()
    )
    await app.handle(dm)
    assert "the workspace" in out.sent[-1][1].text and "5d,2d" in out.sent[-1][1].text
    add_task(app, 1, due=datetime(2026, 11, 29, 17, 0, tzinfo=UTC))  # Sunday: 5 days ahead
    await _at(app, clock, datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert out.to("alice") == ["⏰ #1 Task 1\nDue in 5 days: Sun 29 Nov 17:00."]


def test_baton_tick_at_prints_what_would_go_out(tmp_path) -> None:
    import os
    import subprocess
    import sys

    db = tmp_path / "team.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "SLACK_"))}
    env.update(BATON_DATABASE_URL=f"sqlite:///{db}", BATON_TIMEZONE="Asia/Shanghai")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)  # this checkout
    seeded = build_app(Settings(_env_file=None, database_url=f"sqlite:///{db}"))  # type: ignore[call-arg]
    add_task(seeded, 1, due=datetime(2026, 12, 5, 9, 0, tzinfo=UTC), title="Ship the promo page")
    seeded.engine.dispose()

    def tick() -> str:
        result = subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", "tick", "--at",
             "2026-12-07T10:00:00+08:00"],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    printed = tick()
    assert "→ DM @alice: ⏰ #1 Ship the promo page" in printed
    assert "Overdue by 2 days (was due Sat 5 Dec 17:00)." in printed
    assert (
        "→ #ops: <@alice>" not in printed and "→ #ops: @alice: #1 Ship the promo page" in printed
    )
    assert tick() == ""  # already claimed and sent: nothing twice
