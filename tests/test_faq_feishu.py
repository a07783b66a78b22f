"""The FAQ through the real Feishu adapter over its long connection: a question that @mentions
Baton is answered in a thread under it, with the feedback buttons as card buttons; "Ask a human"
mentions the expert in that same thread."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from adapters.feishu.adapter import FeishuAdapter
from bot.app import App
from storage import faq
from storage.faq import NewEntry
from tests.fakes.feishu import FakeFeishu, card_action, message_event, tagged
from tests.test_feishu import fake, ws_app  # noqa: F401  (fixtures)


def seed(app: App) -> None:
    with app.engine.begin() as conn:
        faq.add_many(
            conn,
            entries=[
                NewEntry("客户要开发票怎么操作?", "在ERP的财务→发票里申请,两个工作日内开出。")
            ],
            owner_id="ou_boss",
            now=datetime(2026, 11, 24, tzinfo=UTC),
        )
        faq.set_experts(conn, ws="feishu:tk1", scope="feishu:tk1/oc_ops", user_ids=["ou_fin"])


async def test_faq_question_is_answered_in_a_thread_and_escalated_there(
    ws_app: tuple[App, FeishuAdapter],  # noqa: F811
    fake: FakeFeishu,  # noqa: F811
) -> None:
    app, adapter = ws_app
    seed(app)
    await asyncio.to_thread(fake.push, message_event("@_user_1 客户要开发票怎么操作?"))
    (answer,) = await fake.wait_sent(1)
    assert answer.path == "/open-apis/im/v1/messages/om_in1/reply"
    assert answer.body["reply_in_thread"] is True
    card = answer.content
    assert "两个工作日内开出" in str(card)
    values = [b["behaviors"][0]["value"] for b in tagged(card, "button")]
    assert [v["a"] for v in values] == ["faq.helpful", "faq.not_helpful", "faq.human"]

    # As Feishu sends it: the click's tenant in the header.
    click = card_action("om_sent_1", values[2], tenant_key="tk1")
    await asyncio.to_thread(fake.push, click)
    await adapter.settle()
    sent = await fake.wait_sent(2)
    escalated = sent[-1]
    assert escalated.path == "/open-apis/im/v1/messages/om_in1/reply"
    assert "ou_fin" in str(escalated.content)  # the expert, mentioned in the thread
    assert "升级 #1" in str(escalated.content)
