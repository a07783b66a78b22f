"""The FAQ through the real Slack adapter: a signed @mention gets its answer in the thread with
the feedback buttons; "Not helpful" mentions the channel's expert in that thread; the expert's
reply in the thread is saved with "Save as FAQ"; hostile text never pings anyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import faq
from storage.faq import NewEntry
from tests.fakes import slack as fake
from tests.test_slack import Http, http  # noqa: F401  (the fixture)

WS = f"slack:{fake.TEAM}"
CHANNEL = f"{WS}/C9"


def seed(h: Http) -> None:
    with h.app.engine.begin() as conn:
        faq.add_many(
            conn,
            entries=[
                NewEntry(
                    "How do I issue an invoice to a customer?",
                    "ERP → Finance → Invoices. Never <!channel> for this.",
                    tags=("finance",),
                )
            ],
            owner_id="U2",
            now=datetime(2026, 11, 24, tzinfo=UTC),
        )
        faq.set_experts(conn, ws=WS, scope=CHANNEL, user_ids=["U2"])


def click(button: dict[str, Any], user: str, thread: str) -> dict[str, Any]:
    """A click on a button of Baton's answer, posted in ``thread`` of #C9."""
    return fake.block_actions(
        button,
        user=user,
        channel="C9",
        message_ts="1700000100.1",
        action_ts="1700000101.1",
        thread_ts=thread,
    )


async def test_faq_mention_is_answered_in_the_thread_then_escalated_and_learned(
    http: Http,  # noqa: F811
) -> None:
    seed(http)
    mention = fake.app_mention_event(
        "how do I issue an invoice to a customer?", channel="C9", ts="1700000000.1"
    )
    await http.event(mention)
    [answer] = await http.fake.wait_for("chat.postMessage")
    assert answer.args["thread_ts"] == "1700000000.1"
    assert "<!channel>" not in json.dumps(answer.args)  # shown, never a broadcast
    labels = [b["text"]["text"] for b in fake.buttons(answer)]
    assert labels == ["Helpful", "Not helpful", "Ask a human"]
    http.fake.calls.clear()

    await http.interaction(click(fake.buttons(answer)[1], "U1", "1700000000.1"))
    [escalated] = await http.fake.wait_for("chat.postMessage")
    assert escalated.args["thread_ts"] == "1700000000.1"
    assert "<@U2>" in escalated.args["text"]  # the expert is really mentioned
    expert_buttons = fake.buttons(escalated)
    http.fake.calls.clear()

    reply = fake.message_event(
        "Use the new billing portal since November.",
        user="U2",
        channel="C9",
        channel_type="channel",
        ts="1700000200.1",
        thread_ts="1700000000.1",
    )
    await http.event(reply, event_id="EvReply")
    await http.interaction(click(expert_buttons[2], "U2", "1700000000.1"))  # Save as FAQ
    await http.fake.wait_for("chat.postMessage")
    http.app.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]  # Slack paces a chat
    await http.app.outbox.drain()
    posts = await http.fake.wait_for("chat.postMessage", count=2)
    told = [p for p in posts if "<@U1>" in p.args["text"]]
    assert told and "Use the new billing portal since November." in told[0].args["text"]
    assert told[0].args["thread_ts"] == "1700000000.1"
    with http.app.engine.connect() as conn:
        entries = list(faq.every(conn))
    assert entries[-1].answer == "Use the new billing portal since November."
