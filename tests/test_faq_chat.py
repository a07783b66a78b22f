"""FAQ in chat, driven through the console like a person typing: adding and editing entries,
asking in English and Chinese (answered, suggested, escalated), feedback buttons, permissions,
hostile and oversized text, and watched channels."""

from __future__ import annotations

from storage import faq, faq_escalations
from tests.conftest import Chat
from tests.fakes.messages import make_inbound

INVOICE = 'faq add "How do I issue an invoice to a customer?" | "In the ERP: Finance → Invoices → New." #finance'
REFUND = 'faq add "退货流程是什么?" | "在订单页点击申请售后,仓库收货后退款。" #returns'


async def seed(chat: Chat) -> None:
    assert "Saved FAQ #1" in await chat.say(INVOICE, user="boss")
    assert "已保存知识库 #2" in await chat.say(REFUND, user="boss")


async def test_ask_answers_from_the_faq_with_feedback_buttons(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("ask how do I issue an invoice to a customer?", user="alice")
    assert "FAQ #1: How do I issue an invoice to a customer?" in said
    assert "Finance → Invoices → New." in said
    assert "[1] Helpful  [2] Not helpful  [3] Ask a human" in said
    assert "Glad it helped!" in await chat.say("press 1", user="alice")
    assert "noted already" in await chat.say("press 1", user="alice")
    shown = await chat.say("faq show 1", user="alice")
    assert "1 views · 1 helpful · 0 not helpful" in shown


async def test_ask_in_chinese_answers_in_chinese(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("问 退货流程是什么", user="alice")
    assert "知识库 #2:退货流程是什么?" in said
    assert "在订单页点击申请售后" in said
    assert "[1] 有帮助  [2] 没帮助  [3] 找人回答" in said


async def test_a_mention_that_is_a_question_is_answered_without_ask(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("退货流程是什么?", user="alice")
    assert "在订单页点击申请售后" in said
    assert "don't know" not in said.casefold()


async def test_chatter_in_a_dm_is_not_taken_for_a_question(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("thanks a lot team", user="alice")
    assert "escalation" not in said
    assert "help" in said.casefold()


async def test_close_entries_are_suggested_and_one_can_be_picked(chat: Chat) -> None:
    await chat.say(
        'faq add "How do I return an order to the warehouse?" | "Book a pickup."', user="boss"
    )
    await chat.say(
        'faq add "How do I return an order to the supplier?" | "Raise an RMA."', user="boss"
    )
    said = await chat.say("ask return an order", user="alice")
    assert "These might answer it:" in said
    assert "#1 How do I return an order to the warehouse?" in said
    assert "#2 How do I return an order to the supplier?" in said
    assert "Ask a human" in said
    buttons = said[said.index("[1]") :]
    supplier = "1" if buttons.index("supplier") < buttons.index("warehouse") else "2"
    assert "Raise an RMA." in await chat.say(f"press {supplier}", user="alice")


async def test_unanswerable_question_goes_to_topic_experts_once(chat: Chat) -> None:
    await seed(chat)
    await chat.say("faq experts @carol @dave", user="boss")
    said = await chat.say("ask which courier do we use for Germany?", user="alice")
    assert "so I asked @carol @dave (escalation #1, normal)" in said
    assert "should reply by 2026-11-25 Wed 09:00 (UTC)" in said
    assert "[1] I'm on it  [2] Resolved  [3] Save as FAQ" in said
    again = await chat.say("ask Which courier do we use for Germany", user="erin")
    assert "already asked this at 2026-11-24 Tue 09:00 (UTC)" in again
    assert "(escalation #1)" in again
    assert "escalation #2" not in again


async def test_escalation_without_experts_goes_to_the_admins(chat: Chat) -> None:
    said = await chat.say("ask 仓库周末有人发货吗?", user="alice")
    assert "我已经请 @boss 回答(升级 #1,普通)" in said
    assert "[1] 我来处理  [2] 已解决  [3] 存入知识库" in said


async def test_not_helpful_escalates_to_the_entrys_topic_experts(chat: Chat) -> None:
    await seed(chat)
    await chat.say("faq experts #finance @fiona", user="boss")
    await chat.say("ask how do I issue an invoice to a customer", user="alice")
    said = await chat.say("press 2", user="alice")
    assert "so I asked @fiona (escalation #1, normal)" in said
    assert "0 views" not in await chat.say("faq show 1", user="alice")
    assert "1 not helpful" in await chat.say("faq show 1", user="alice")


async def test_ask_a_human_escalates_even_after_an_answer(chat: Chat) -> None:
    await seed(chat)
    await chat.say("问 退货流程是什么", user="alice")
    said = await chat.say("press 3", user="alice")
    assert "升级 #1" in said


async def test_urgent_questions_get_the_short_sla(chat: Chat) -> None:
    said = await chat.say("ask customs hold on order 88, what now? !urgent", user="alice")
    assert "(escalation #1, urgent)" in said
    assert "reply by 2026-11-24 Tue 09:30 (UTC)" in said
    assert "!urgent" not in said
    zh = await chat.say("ask 紧急:客户投诉到平台了怎么处理?", user="alice")
    assert "紧急" in zh and "09:30" in zh


async def test_editing_needs_an_editor_or_admin(chat: Chat) -> None:
    refused = await chat.say(INVOICE, user="alice")
    assert "Only admins and FAQ editors can change the FAQ" in refused
    assert "Only an admin can do that." in await chat.say("faq editors @alice", user="alice")
    assert "FAQ editors now: @alice." in await chat.say("faq editors @alice", user="boss")
    assert "Saved FAQ #1" in await chat.say(INVOICE, user="alice")
    assert "只有本频道的频道管理员和管理员可以设置是否自动回答本频道的提问" in await chat.say(
        "知识库 监听", user="alice"
    )


async def test_alt_edit_rm_and_list_in_both_languages(chat: Chat) -> None:
    await seed(chat)
    assert "can now also be asked as: how to bill a client" in await chat.say(
        "faq alt 1 how to bill a client", user="boss"
    )
    assert "FAQ #1" in await chat.say("ask how to bill a client", user="alice")
    assert "#1's answer is updated." in await chat.say(
        "faq edit 1 answer Use the new portal.", user="boss"
    )
    assert "Use the new portal." in await chat.say("faq show 1", user="alice")
    assert "#2 的问题已改为:怎么退货?" in await chat.say(
        "知识库 修改 2 问题 怎么退货?", user="boss"
    )
    listed = await chat.say("知识库 列表 #returns", user="alice")
    assert "标签为 #returns 的知识库条目(1)" in listed and "怎么退货?" in listed
    assert "Deleted FAQ #1" in await chat.say("faq rm 1", user="boss")
    assert "There is no FAQ entry #1" in await chat.say("faq show 1", user="alice")
    assert "格式:`知识库 新增" in await chat.say("知识库 新增 没有竖线", user="boss")


async def test_oversized_text_is_refused_and_nothing_is_stored(chat: Chat) -> None:
    long_answer = "x" * 8001
    said = await chat.say(f'faq add "Long one?" | "{long_answer}"', user="boss")
    assert "too long (8025 characters; the limit is 8000)" in said
    said = await chat.say(f'faq add "{"q" * 1001}" | "short"', user="boss")
    assert "The question is 1001 characters" in said
    with chat.app.engine.connect() as conn:
        assert list(faq.every(conn)) == []
    assert "I can look up at most 2000" in await chat.say("ask " + "why " * 600, user="alice")


async def test_hostile_text_in_questions_and_answers_never_mentions_anyone(chat: Chat) -> None:
    hostile = 'faq add "Who is on call <!channel> @all?" | "Ask <at user_id=\\"all\\">all</at> and @everyone <!here>"'
    assert "Saved FAQ #1" in await chat.say(hostile, user="boss")
    with chat.app.engine.connect() as conn:
        [entry] = list(faq.every(conn))
    assert "<@" not in entry.question + entry.answer
    said = await chat.say("ask who is on call?", user="alice")
    assert "FAQ #1" in said
    assert "<@" not in said


async def test_hostile_text_in_an_escalated_question_never_mentions_anyone(chat: Chat) -> None:
    asked = await chat.say("ask <!channel> @all can someone restart the printer?", user="alice")
    assert "escalation #1" in asked
    with chat.app.engine.connect() as conn:
        row = faq_escalations.get(conn, escalation_id=1)
    assert row is not None
    assert "<@" not in row.question
    assert "@all" in row.question  # kept as the words the asker typed


async def test_a_watched_channel_answers_questions_and_ignores_chatter(chat: Chat) -> None:
    await seed(chat)
    assert "I'll answer questions asked in this channel" in await chat.say(
        "faq watch", user="boss"
    )
    said = await overhear(chat, "how do I issue an invoice to a customer?", user="alice")
    assert "Finance → Invoices → New." in said
    assert await overhear(chat, "lunch is here", user="alice") == ""
    # An unanswerable question nobody asked Baton is recorded, not escalated.
    assert await overhear(chat, "why is the printer offline?", user="alice") == ""
    assert "Questions: 2" in await chat.say("faq stats", user="boss")
    assert "no longer look up" in await chat.say("faq unwatch", user="boss")
    assert await overhear(chat, "how do I issue an invoice to a customer?", user="bob") == ""


async def overhear(chat: Chat, text: str, *, user: str, thread: str | None = None) -> str:
    """A channel message Baton sees but that is not addressed to it; returns what it printed."""
    heard = make_inbound(
        text, user=user, thread=thread, is_direct=False, received_at=chat.clock.now()
    )
    return await chat.send(heard)


async def test_an_expert_asking_is_not_sent_their_own_question(chat: Chat) -> None:
    await chat.say("faq experts @carol @dave", user="boss")
    said = await chat.say("ask which pallet size does the UK warehouse take?", user="carol")
    assert "so I asked @dave (escalation #1" in said


async def test_a_watched_channel_ignores_an_oversized_message(chat: Chat) -> None:
    await chat.say("faq watch", user="boss")
    assert await overhear(chat, "how " * 700 + "?", user="alice") == ""


async def test_broadcasts_cannot_be_named_experts_or_editors(chat: Chat) -> None:
    said = await chat.say("faq experts @all @here", user="boss")
    assert "e.g. `faq experts #shipping" in said
    assert "No FAQ editors yet" in await chat.say("faq editors @channel @everyone", user="boss")
    with chat.app.engine.connect() as conn:
        assert faq.editors(conn, ws=chat.console.here.ws) == []
    await chat.say("faq editors @alice", user="boss")
    with chat.app.engine.connect() as conn:
        assert faq.editors(conn, ws=chat.console.here.ws) == ["alice"]


async def test_adding_a_question_the_faq_already_has_is_refused(chat: Chat) -> None:
    await seed(chat)
    again = await chat.say(
        'faq add "HOW do I issue an invoice to a customer" | "Other."', user="boss"
    )
    assert "FAQ #1 already asks that." in again
    assert "知识库 #2 已经有这个问题了" in await chat.say(
        '知识库 新增 "退货流程是什么" | "别的"', user="boss"
    )
    with chat.app.engine.connect() as conn:
        assert len(list(faq.every(conn))) == 2
