"""DingTalk rendering and parsing rules that need no server: escaping, mentions, button ids."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from adapters.dingtalk.http import sign, signature_ok
from adapters.dingtalk.render import decode_button, encode_button, message_body, render
from bot import mentions
from bot.replies import Button, Card, Field, Reply

NAMES = {"staff2": "Bob"}


def _name(uid: str) -> str:
    return NAMES.get(uid, "")


@given(st.text(max_size=200))
def test_typed_text_never_becomes_a_dingtalk_mention(typed: str) -> None:
    text, at_ids = render(mentions.inert(typed), native=True, name=_name)
    assert at_ids == ()
    for index, char in enumerate(text):
        if char == "@":
            assert text[index + 1 : index + 2] == "\u2060"


@given(st.text(max_size=40), st.text(max_size=200))
def test_button_ids_round_trip(action: str, value: str) -> None:
    assert decode_button(encode_button(Button("x", action, value))) == (action, value)


def test_forged_button_ids_are_ignored() -> None:
    for forged in ("", "bt.", "bt.!!", "bt." + "A" * 2000, "deploy.approve", "bt.WyJhIl0"):
        assert decode_button(forged) is None


def test_mentions_render_natively_only_through_the_webhook() -> None:
    text = "ping <@staff2> and <@all> <@here>"
    webhook, ids = render(text, native=True, name=_name)
    assert webhook.startswith("ping @staff2 and ") and ids == ("staff2",)
    assert "@all" not in webhook and "@here" not in webhook
    openapi, ids = render(text, native=False, name=_name)
    assert openapi.startswith("ping @Bob and ") and ids == ()


def test_card_without_buttons_is_markdown_with_fields() -> None:
    card = Card("Task #3", body="Fix CI", fields=(Field("Owner", "<@staff2>"),))
    body = message_body(Reply("Task #3 created", card=card), native=True, name=_name)
    assert body.kind == "markdown" and body.title == "Task #3"
    assert body.text == "Task #3 created\n\n### Task #3\n\nFix CI\n\n**Owner**: @staff2"
    assert body.at_ids == ("staff2",)
    assert body.webhook()["at"] == {"atUserIds": ["staff2"], "isAtAll": False}
    key, param = body.openapi()
    assert key == "sampleMarkdown" and json.dumps(param)


def test_signature_is_hmac_sha256_of_timestamp_and_secret() -> None:
    stamp = "1700000000000"
    good = sign("s3cret", stamp)
    assert signature_ok("s3cret", stamp, good, 1700000000000 + 1000)
    assert not signature_ok("s3cret", stamp, good[:-2] + "xx", 1700000000000)
    assert not signature_ok("other", stamp, good, 1700000000000)
    assert not signature_ok("s3cret", "17e12", good, 1700000000000)
    assert not signature_ok("s3cret", stamp, good, 1700000000000 + 3_600_001)
