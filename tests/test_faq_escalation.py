"""Escalated FAQ questions: the SLA re-ping and the step up at twice the SLA (each once, across
ticks and restarts, and none after a response), answers captured with ``faq learn`` or from the
thread and found on the next ask, DM questions, and ``faq stats`` figures."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.wiring import build_app
from storage import faq_escalations
from tests.conftest import START, Chat
from tests.fakes.messages import make_inbound


async def tick_at(chat: Chat, after: timedelta) -> str:
    """Run the scheduled work at START + ``after``; returns what Baton sent."""
    chat.clock.set(START + after)
    return await chat.tick()


async def test_sla_repings_then_raises_to_the_backups_once_each(chat: Chat) -> None:
    await chat.say("faq experts @carol", user="boss")
    await chat.say("faq experts backup @bea", user="boss")
    assert "escalation #1" in await chat.say("ask which courier for Germany?", user="alice")
    assert await tick_at(chat, timedelta(hours=23, minutes=59)) == ""
    repinged = await tick_at(chat, timedelta(hours=24))
    assert "@carol reminder: @alice's question is still unanswered (escalation #1" in repinged
    assert await tick_at(chat, timedelta(hours=24, minutes=5)) == ""
    assert await tick_at(chat, timedelta(hours=47)) == ""
    raised = await tick_at(chat, timedelta(hours=48))
    assert "@bea nobody has answered @alice's question for 2 d 0 h" in raised
    assert "asked: @carol" in raised
    assert await tick_at(chat, timedelta(hours=60)) == ""


async def test_sla_steps_survive_a_restart_and_are_not_repeated(chat: Chat) -> None:
    await chat.say("ask 仓库周末有人发货吗?", user="alice")  # to the admins (no experts)
    assert "@boss 提醒" in await tick_at(chat, timedelta(hours=24))
    restarted = build_app(chat.app.settings, clock=FrozenClock(START + timedelta(hours=30)))
    again = Chat(restarted, restarted.clock)  # type: ignore[arg-type]
    await restarted.run_ticks()
    assert again.out.getvalue() == ""
    restarted.clock.set(START + timedelta(hours=48))  # type: ignore[attr-defined]
    await restarted.run_ticks()
    assert "已经 2 天 0 小时 没有人回答了" in again.out.getvalue()
    restarted.engine.dispose()


async def test_a_response_stops_the_sla_steps(chat: Chat) -> None:
    await chat.say("faq experts @carol", user="boss")
    said = await chat.say("ask urgent: the customs broker wants a form, which one? ", user="alice")
    assert "(escalation #1, urgent)" in said
    assert "Only the people asked (@carol)" in await chat.say("press 1", user="alice")
    assert "Only the people asked (@carol)" in await chat.say("press 1", user="dave")
    assert "@carol is on it (escalation #1)." in await chat.say("press 1", user="carol")
    assert "already responded" in await chat.say("press 1", user="boss")
    assert await tick_at(chat, timedelta(hours=2)) == ""


async def test_the_asker_cannot_stop_the_sla_but_may_withdraw_the_question(chat: Chat) -> None:
    await chat.say("faq experts @carol", user="boss")
    said = await chat.say("ask which pallet size does the Leipzig warehouse take?", user="alice")
    assert "[1] I'm on it  [2] Resolved  [3] Save as FAQ  [4] Never mind" in said
    assert "Only the people asked (@carol)" in await chat.say("press 1", user="alice")
    assert "Only the person who asked" in await chat.say("press 4", user="dave")
    assert "@alice no longer needs an answer; escalation #1 is closed." in await chat.say(
        "press 2", user="alice"
    )
    assert "already resolved" in await chat.say("press 1", user="carol")
    assert await tick_at(chat, timedelta(days=3)) == ""  # no re-ping, no step up
    with chat.app.engine.connect() as conn:
        row = faq_escalations.get(conn, escalation_id=1)
    assert row is not None
    assert (row.status, row.first_response_at, row.responder_id) == ("withdrawn", None, None)
    stats = await chat.say("faq stats", user="boss")
    assert "Median time to first human response: none" in stats
    assert "SLA breaches: 0" in stats


async def test_learn_saves_the_answer_tells_the_asker_and_the_next_ask_finds_it(
    chat: Chat,
) -> None:
    await chat.say("faq experts @carol", user="boss")
    await chat.say("ask which courier do we use for Germany?", user="alice")
    refused = await chat.say("faq learn 1 Just use whatever.", user="mallory")
    assert "Only the people asked (@carol), FAQ editors and admins can do that." in refused
    learned = await chat.say("faq learn 1 DHL Paket, booked in the ERP.", user="carol")
    assert "Saved as FAQ #1: which courier do we use for Germany?" in learned
    assert (
        "@alice, your question has an answer now (FAQ #1):\nDHL Paket, booked in the ERP."
        in learned
    )
    assert "already resolved" in await chat.say("faq learn 1 again", user="carol")
    answered = await chat.say("ask Which courier for Germany", user="erin")
    assert "FAQ #1: which courier do we use for Germany?" in answered
    assert "DHL Paket" in answered
    assert await tick_at(chat, timedelta(days=3)) == ""  # resolved: no SLA steps


async def test_save_as_faq_takes_the_experts_reply_in_the_thread(chat: Chat) -> None:
    await chat.say("faq experts @carol", user="boss")
    now = chat.clock.now()
    await chat.send(make_inbound("ask 样品可以借出去拍照吗?", thread_root="m1", received_at=now))
    hint = await chat.say("press 3", user="carol")
    assert "请先在话题里回复答案" in hint
    answer = "可以,在样品间登记后借出,三天内归还。"
    in_thread = make_inbound(answer, user="carol", thread="m1", is_direct=False, received_at=now)
    await chat.send(in_thread)
    saved = await chat.say("press 3", user="carol")
    assert "已存入知识库 #1:样品可以借出去拍照吗?" in saved
    assert "三天内归还" in saved
    found = await chat.say("问 样品可以借出去拍照吗", user="erin")
    assert "知识库 #1" in found


async def test_a_question_asked_in_a_dm_reaches_the_experts_by_dm_in_their_language(
    chat: Chat,
) -> None:
    await chat.say("lang zh", user="boss")
    direct = make_inbound(
        "ask when is the next customs training?", dm=True, received_at=chat.clock.now()
    )
    said = await chat.send(direct)
    assert "so I asked @boss (escalation #1, normal)" in said
    assert "→ DM @boss: 升级 #1:请专家回答" in said


async def test_faq_stats_reports_deflection_response_time_breaches_and_gaps(chat: Chat) -> None:
    await chat.say('faq add "How do I issue an invoice?" | "ERP → Finance."', user="boss")
    await chat.say("faq experts @carol", user="boss")
    await chat.say("ask how do I issue an invoice?", user="alice")  # answered
    await chat.say("ask how do I issue an invoice?", user="bob")  # answered, not helpful
    await chat.say("press 2", user="bob")  # → escalation #1
    await chat.say("ask which courier for Germany?", user="alice")  # escalation #2
    chat.clock.set(START + timedelta(minutes=30))
    await chat.say("press 1", user="carol")  # on it: #2 after 30 min
    await chat.say("ask Which courier for Germany", user="erin")  # linked to #2
    chat.clock.set(START + timedelta(days=2))
    stats = await chat.say("faq stats", user="boss")
    assert "• Questions: 4" in stats
    assert "• Answered from the FAQ: 1 (deflection 25%)" in stats
    assert "• Escalated to people: 2" in stats
    assert "• Median time to first human response: 30 min" in stats
    assert "• SLA breaches: 1" in stats  # #1 was never picked up
    assert "2× which courier for Germany?" in stats
    assert "1× how do I issue an invoice?" in stats
    zh = await chat.say("知识库 统计 30d", user="boss")
    assert "知识库,最近 30 天" in zh and "分流率 25%" in zh
    assert "用 `知识库 统计`" in await chat.say("知识库 统计 5年", user="boss")


async def test_learning_an_answer_to_a_question_the_faq_has_replaces_its_answer(
    chat: Chat,
) -> None:
    await chat.say('faq add "How do I issue an invoice?" | "Ask finance."', user="boss")
    await chat.say("faq experts @carol", user="boss")
    await chat.say("ask how do I issue an invoice?", user="alice")
    assert "escalation #1" in await chat.say("press 2", user="alice")  # not helpful
    learned = await chat.say("faq learn 1 ERP → Finance → Invoices → New.", user="carol")
    assert "Saved as FAQ #1: how do I issue an invoice?" in learned
    assert "ERP → Finance → Invoices → New." in await chat.say("faq show 1", user="erin")
    assert "FAQ entries (1)" in await chat.say("faq list", user="erin")
