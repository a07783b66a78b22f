"""The loop that makes repeated questions disappear, as people use it: an asker's pick teaches the
FAQ their wording, an expert's answer teaches it the question, "Not helpful" stops a match, editors
review and undo what was learned, and ``faq stats`` counts only what the FAQ really settled.
Also: off-topic questions in a watched channel, messages with nothing to look up, and a
paraphrase and a Chinese question finding English entries."""

from __future__ import annotations

import re

from storage import faq
from tests.conftest import Chat
from tests.fakes.messages import make_inbound

RETURNS = [
    'faq add "How do I return an order to the warehouse?" | "Book a pickup in the ERP." #returns',
    'faq add "How do I return an order to the supplier?" | "Raise an RMA with purchasing." #returns',
    'faq add "How do I issue an invoice to a customer?" | "ERP → Finance → Invoices." #finance',
]


async def seed(chat: Chat) -> None:
    for line in RETURNS:
        assert "Saved FAQ" in await chat.say(line, user="boss")


def press(said: str, label: str) -> str:
    """``press N`` for the button whose label contains ``label``."""
    for number, text in re.findall(r"\[(\d+)\] ([^\[]*)", said):
        if label in text:
            return f"press {number}"
    raise AssertionError(f"no button {label!r} in {said!r}")


async def escalated(chat: Chat, said: str, *, user: str) -> str:
    """What Baton said when ``said`` escalated the question, pressing Ask a human if it
    suggested entries instead."""
    if "escalation #" in said or "升级 #" in said:
        return said
    label = "找人回答" if "找人回答" in said else "Ask a human"
    return await chat.say(press(said, label), user=user)


async def test_a_picked_suggestion_is_learned_and_answered_next_time(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("ask send the goods back to the vendor", user="alice")
    assert "These might answer it:" in said
    picked = await chat.say(press(said, "supplier"), user="alice")
    assert "Raise an RMA with purchasing." in picked
    again = await chat.say("ask send the goods back to the vendor", user="bob")
    assert "FAQ #2: How do I return an order to the supplier?" in again
    assert "These might answer it" not in again
    learned = await chat.say("faq learned", user="boss")
    assert "[1] #2 ← “send the goods back to the vendor” (@alice picked it" in learned


async def test_a_chinese_pick_is_learned_too_and_editors_can_undo_it(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("问 货要退回给供应商怎么弄", user="alice")
    assert "这些也许能回答你的问题" in said
    await chat.say(press(said, "supplier"), user="alice")
    assert "知识库 #2" in await chat.say("问 货要退回给供应商怎么弄", user="bob")
    # bob has written Chinese to Baton so far, so he keeps hearing Chinese (his habit, not one word)
    assert "只有管理员和知识库编辑者" in await chat.say("faq learned", user="bob")
    assert "只有管理员和知识库编辑者" in await chat.say("faq unlearn 1", user="bob")
    assert "不再包含问法“货要退回给供应商怎么弄”" in await chat.say(
        "知识库 撤销学习 1", user="boss"
    )
    with chat.app.engine.connect() as conn:
        entry = faq.get(conn, entry_id=2)
    assert entry is not None and entry.alternates == ()
    assert "hasn't learned any phrasing" in await chat.say("faq learned", user="boss")
    assert "no learned phrasing [1]" in await chat.say("faq unlearn 1", user="boss")


async def test_someone_elses_pick_teaches_nothing(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("ask send the goods back to the vendor", user="alice")
    assert "Raise an RMA" in await chat.say(press(said, "supplier"), user="mallory")
    assert "hasn't learned any phrasing" in await chat.say("faq learned", user="boss")


async def test_not_helpful_stops_that_match_for_that_question(chat: Chat) -> None:
    await seed(chat)
    await chat.say("faq experts @carol", user="boss")
    said = await chat.say("ask how do I issue an invoice to a customer", user="alice")
    assert "FAQ #3" in said
    assert "escalation #1" in await chat.say(press(said, "Not helpful"), user="alice")
    again = await chat.say("ask How do I issue an invoice to a customer?", user="alice")
    assert "FAQ #3" not in again and "#3 How do I issue" not in again
    # The expert answers with the same entry after all: it may be offered again.
    assert "Saved as FAQ #3" in await chat.say("faq learn 1 #3", user="carol")
    assert "FAQ #3" in await chat.say("ask how do I issue an invoice to a customer", user="bob")


async def test_an_experts_answer_with_an_entry_teaches_the_question(chat: Chat) -> None:
    await seed(chat)
    await chat.say("faq experts @carol", user="boss")
    asked = await chat.say("ask 仓库的东西怎么寄回厂家?", user="alice")
    assert "升级 #1" in await escalated(chat, asked, user="alice")
    # alice has written Chinese so far: she is answered in Chinese
    assert "只有被询问的人(@carol)" in await chat.say("faq learn 1 #2", user="alice")
    assert "There is no FAQ entry #9" in await chat.say("faq learn 1 #9", user="carol")
    told = await chat.say("faq learn 1 #2", user="carol")
    assert "你的问题有答案了(知识库 #2)" in told and "Raise an RMA" in told
    assert "知识库 #2" in await chat.say("问 仓库的东西怎么寄回厂家", user="bob")
    assert "(@carol answered with it" in await chat.say("faq learned", user="boss")


async def test_stats_count_only_what_the_faq_settled(chat: Chat) -> None:
    await seed(chat)
    await chat.say("faq experts @carol", user="boss")
    await chat.say("ask how do I issue an invoice to a customer", user="alice")  # answered
    unhelpful = await chat.say("ask how do I issue an invoice to a customer?", user="bob")
    await chat.say(press(unhelpful, "Not helpful"), user="bob")  # not settled
    human = await chat.say("ask How do I issue an invoice to a customer", user="erin")
    await chat.say(press(human, "Ask a human"), user="erin")  # not settled
    picked = await chat.say("ask send the goods back to the vendor", user="dan")
    await chat.say(press(picked, "supplier"), user="dan")  # a pick settles it
    leipzig = await chat.say("ask which pallet size does Leipzig take?", user="fay")
    assert "escalation #2" in await escalated(chat, leipzig, user="fay")  # (#1: bob and erin)
    await chat.say("faq learn 2 #1", user="carol")  # ...and answered: no gap any more
    stats = await chat.say("faq stats", user="boss")
    assert "• Questions: 5" in stats
    assert "• Answered from the FAQ: 2 (deflection 40%)" in stats
    assert "Leipzig" not in stats
    assert "2× how do I issue an invoice to a customer?" in stats


async def test_an_off_topic_question_in_a_watched_channel_gets_no_answer(chat: Chat) -> None:
    await seed(chat)
    await chat.say("faq watch", user="boss")
    for question in ("What time is the all-hands meeting?", "今天谁值班?"):
        heard = make_inbound(question, is_direct=False, received_at=chat.clock.now())
        said = await chat.send(heard)
        assert "FAQ #" not in said and "知识库 #" not in said


async def test_a_message_with_nothing_to_look_up_gets_a_hint_not_an_expert(chat: Chat) -> None:
    await seed(chat)
    assert "Ask me a question in a few words" in await chat.say("ask ?", user="alice")
    assert "请用几个词描述你的问题" in await chat.say("问 你好", user="alice")
    direct = make_inbound("你好?", dm=True, received_at=chat.clock.now())
    assert "请用几个词描述你的问题" in await chat.send(direct)
    emoji = make_inbound("🤔🤔🤔", dm=True, received_at=chat.clock.now())
    assert "输入 `帮助`" in await chat.send(emoji)  # not a question; alice mostly writes Chinese
    await chat.say("faq watch", user="boss")
    heard = make_inbound("??", is_direct=False, received_at=chat.clock.now())
    assert await chat.send(heard) == ""
    stats = await chat.say("faq stats", user="boss")
    assert "• Questions: 0" in stats and "• Escalated to people: 0" in stats


async def test_hostile_text_in_a_learned_phrasing_never_mentions_anyone(chat: Chat) -> None:
    await seed(chat)
    said = await chat.say("ask <!channel> @all send the goods back to the vendor", user="alice")
    await chat.say(press(said, "supplier"), user="alice")
    learned = await chat.say("faq learned", user="boss")
    assert "send the goods back to the vendor" in learned
    assert "<@" not in learned.replace("<@alice>", "")


async def test_a_paraphrase_and_a_chinese_question_find_english_entries(chat: Chat) -> None:
    await chat.say(
        'faq add "How do I request a refund for an order?" | "Open the order, choose Refund."',
        user="boss",
    )
    await chat.say('faq add "Which courier do we use for Germany?" | "DHL Paket."', user="boss")
    await chat.say(
        'faq add "How do I book an FBA appointment?" | "In Seller Central."', user="boss"
    )
    paraphrase = await chat.say("ask the customer wants their cash returned", user="alice")
    assert "#1 How do I request a refund for an order?" in paraphrase.replace("FAQ #1: ", "#1 ")
    chinese = await chat.say("问 寄到德国用哪家承运商?", user="alice")
    assert "#2 Which courier do we use for Germany?" in chinese.replace("知识库 #2:", "#2 ")
