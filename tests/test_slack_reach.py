"""Slack answers reach people wherever they typed: slash commands and shortcuts from private
channels and DMs Baton is not in are answered through their ``response_url``, help and refusals
only to the asker, an answer that cannot reach its channel goes to the asker by DM (never only to
the parking lot), and a file shared with a caption is read as its caption. Real slack-bolt and
slack-sdk against the fake Slack, with payloads shaped like Slack's own."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fakes import slack as fake
from tests.fakes.processes import until
from tests.test_slack import Http, http  # noqa: F401  (the fixture)

PRIVATE = "G0PRIVATE"  # a private channel Baton was never invited to
THEIR_DM = "D0THEIRS"  # a direct message between two people, Baton not among them


def _task_titles(running: Http) -> list[str]:
    with running.app.engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(sa.text("select title from tasks order by id"))]


@pytest.mark.parametrize(
    ("channel", "kind"), [(PRIVATE, "privategroup"), (THEIR_DM, "directmessage")]
)
async def test_task_add_slash_command_where_baton_is_not_a_member_answers_through_response_url(
    http: Http,  # noqa: F811
    channel: str,
    kind: str,
) -> None:
    http.fake.outside.add(channel)
    url = http.fake.respond_url("private-1")
    await http.command(
        "add Call DHL", command="/task", channel=channel, channel_name=kind, response_url=url
    )
    [answer] = await http.fake.wait_for("response_url")
    assert answer.args["response_type"] == "in_channel" and answer.args["key"] == "private-1"
    assert "Created #1: Call DHL" in answer.args["text"]
    assert [b["type"] for b in answer.args["blocks"]][-1] == "actions"  # the card and its buttons
    [tried] = http.fake.made("chat.postMessage")  # tried in the channel first: refused there
    assert tried.args["channel"] == channel
    assert _task_titles(http) == ["Call DHL"]
    await until(lambda: http.app.outbox.counts() == {"sent": 1}, "the answer marked sent", 30)


async def test_used_up_response_url_sends_the_answer_by_dm_naming_the_channel(
    http: Http,  # noqa: F811
) -> None:
    http.fake.outside.add(PRIVATE)
    http.fake.answer_next("response_url", 404, {"error": "used_url"})
    await http.command("add Pack order 1182", command="/task", channel=PRIVATE)
    [opened] = await http.fake.wait_for("conversations.open")
    assert opened.args["users"] == "U1"
    dm = (await http.fake.wait_for("chat.postMessage", 2))[1]
    assert dm.args["channel"] == "DU1"
    assert dm.args["text"].startswith(f"↩ <#{PRIVATE}>\nCreated #1: Pack order 1182")
    assert fake.json_arg(dm, "blocks")[0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"↩ <#{PRIVATE}>"}],
    }
    await until(lambda: http.app.outbox.counts() == {"sent": 1}, "sent, not parked", 30)


async def test_task_help_is_shown_only_to_the_asker(http: Http) -> None:  # noqa: F811
    await http.command("help", command="/task", channel="C1")
    [answer] = await http.fake.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["text"].startswith("Commands for `task`:")
    assert "`task add &lt;title&gt;" in answer.args["text"]
    assert "`standup" not in answer.args["text"]
    assert http.fake.made("chat.postMessage") == []


async def test_refusal_after_the_response_url_expired_goes_to_the_asker_alone(
    http: Http,  # noqa: F811
) -> None:
    http.fake.answer_next("response_url", 404, {"error": "expired_url"})
    await http.command("task columns a,b", channel="C1")  # Alice manages nothing here
    [shown] = await http.fake.wait_for("chat.postEphemeral")
    assert shown.args["channel"] == "C1" and shown.args["user"] == "U1"
    assert "Only this channel's managers and admins may" in shown.args["text"]
    assert http.fake.made("chat.postMessage") == []


async def test_shortcut_in_a_private_channel_answers_through_its_response_url(
    http: Http,  # noqa: F811
) -> None:
    http.fake.outside.add(PRIVATE)
    payload = fake.message_shortcut(
        "Customer 88 wants a refund", channel=PRIVATE, response_url=http.fake.respond_url("sc1")
    )
    assert (await http.interaction(payload))[0] == 200
    [answer] = await http.fake.wait_for("response_url")
    assert (
        answer.args["key"] == "sc1"
        and "Created #1: Customer 88 wants a refund" in (answer.args["text"])
    )
    assert _task_titles(http)[0].startswith("Customer 88 wants a refund https://")


async def test_shortcut_on_a_long_message_keeps_the_link_within_the_title_limit(
    http: Http,  # noqa: F811
) -> None:
    payload = fake.message_shortcut("Refund for order 1182: " + "details " * 100, channel="C5")
    assert (await http.interaction(payload))[0] == 200
    await http.fake.wait_for("chat.postMessage")
    [title] = _task_titles(http)
    assert title.startswith("Refund for order 1182: details") and len(title) <= 200
    assert title.endswith("/archives/C5/p1700000005000100")


async def test_card_pressed_where_baton_is_not_a_member_is_updated_through_response_url(
    http: Http,  # noqa: F811
) -> None:
    http.fake.outside.add(PRIVATE)
    await http.command("add Call DHL", command="/task", channel=PRIVATE)
    [answer] = await http.fake.wait_for("response_url")
    start = next(b for b in _buttons(answer.args["blocks"]) if "task.start" in b["action_id"])
    click = fake.block_actions(
        start, channel=PRIVATE, trigger="t.p", response_url=http.fake.respond_url("click1")
    )
    assert (await http.interaction(click))[0] == 200
    update = (await http.fake.wait_for("response_url", 2))[1]
    assert update.args["key"] == "click1" and update.args["replace_original"] is True
    assert "#1 moved to doing" in update.args["text"]
    assert [c.args["channel"] for c in http.fake.made("chat.update")] == [PRIVATE]


async def test_chinese_writer_pressing_a_button_gets_the_card_in_chinese(
    http: Http,  # noqa: F811
) -> None:
    await http.command("add Restock SKU-1", command="/task", user_id="U3")
    [card] = await http.fake.wait_for("chat.postMessage")
    # Alice's Slack profile says en-US; she writes to Baton in Chinese.
    await http.event(fake.message_event("任务 列表", ts="7.1"))
    await http.fake.wait_for("chat.postMessage", 2)
    start = next(b for b in fake.buttons(card) if "task.start" in b["action_id"])
    ts = http.fake.posted["C1"][0]["ts"]
    assert (await http.interaction(fake.block_actions(start, message_ts=ts)))[0] == 200
    [update] = await http.fake.wait_for("chat.update")
    assert update.args["text"].startswith("#1 已移到")
    assert "负责人" in json.dumps(fake.json_arg(update, "blocks"), ensure_ascii=False)


async def test_file_shared_in_a_dm_with_a_task_caption_creates_the_task(
    http: Http,  # noqa: F811
) -> None:
    caption = "task add Check invoice 4471"
    shared = fake.message_event(caption, ts="8.1", files=[fake.shared_file()])
    await http.event(shared)
    [post] = await http.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "D1" and "Created #1: Check invoice 4471" in post.args["text"]
    assert _task_titles(http) == ["Check invoice 4471"]


async def test_file_shared_in_a_dm_without_a_caption_is_told_what_baton_reads(
    http: Http,  # noqa: F811
) -> None:
    scan = fake.shared_file("scan.pdf", "application/pdf")
    await http.event(fake.message_event("", ts="8.2", files=[scan]))
    [post] = await http.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "D1" and "I only read words" in post.args["text"]


async def test_voice_clip_is_read_by_its_caption_and_one_without_is_asked_to_type(
    http: Http,  # noqa: F811
) -> None:
    clip = fake.shared_file("audio_message.m4a", "audio/mp4")
    await http.event(fake.message_event("task add Call the courier", ts="8.3", files=[clip]))
    await http.event(fake.message_event("", ts="8.4", files=[clip]))
    created, unheard = await http.fake.wait_for("chat.postMessage", 2)
    assert created.args["text"].startswith("Created #1: Call the courier")  # nothing "heard"
    assert "can't listen to voice messages" in unheard.args["text"]


async def test_response_url_off_slack_is_never_posted_to(http: Http) -> None:  # noqa: F811
    http.fake.outside.add(PRIVATE)
    evil = "https://evil.example/x"
    body = fake.command_body(
        "add Pay <!channel>", command="/task", channel=PRIVATE, response_url=evil
    )
    await http.post(body, form=True)
    dm = (await http.fake.wait_for("chat.postMessage", 2))[1]
    assert dm.args["channel"] == "DU1" and "<!channel>" not in dm.args["text"]
    assert http.fake.made("response_url") == []


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
