"""DingTalk rendering and parsing rules that need no server: escaping, mentions, button ids."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.dingtalk.http import sign, signature_ok
from adapters.dingtalk.render import (
    card_params,
    decode_button,
    encode_button,
    escape_markdown,
    message_body,
    render,
)
from bot import mentions
from bot.replies import Button, Card, Field, Reply

NAMES = {"staff2": "Bob"}
HOSTILE = (
    "[click](http://evil.example) ![seen](http://tracker.example/p.png) **now** _it_ ~~x~~ "
    "<font color=red>red</font> `code`\n# heading\n> quote\n- item\n12. item\n=== @all"
)
_MARKUP = frozenset("\\`*_~[]<>|")
_BLOCK = re.compile(r"^[ \t]*(?:#+(?:[ \t]|$)|[>+=-]|\d+[.)](?:[ \t]|$))")


def unescaped_markup(markdown: str) -> list[str]:
    """Markdown punctuation in ``markdown`` that no backslash escapes, and lines that open a
    block (heading, quote, list); empty when the text can only render as typed."""
    found = [line for line in markdown.split("\n") if _BLOCK.match(line)]
    index = 0
    while index < len(markdown):
        char = markdown[index]
        if char == "\\":
            index += 2
            continue
        if char in _MARKUP:
            found.append(char)
        index += 1
    return found


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


@given(st.text(max_size=300))
def test_typed_text_forms_no_markdown(typed: str) -> None:
    markdown = escape_markdown(typed)
    assert unescaped_markup(markdown) == []
    assert "](" not in markdown and not re.search(r"<[A-Za-z/!?]", markdown)
    assert "@" not in markdown.replace("@\u2060", "")


def test_hostile_text_in_a_card_stays_inert_in_markdown() -> None:
    card = Card(
        HOSTILE,
        body=HOSTILE,
        fields=(Field(HOSTILE, HOSTILE + " <@staff2>"),),
        buttons=(Button("**Go**", "x.go", "1"),),
    )
    body = message_body(Reply(HOSTILE, card=card), native=True, name=_name)
    assert body.kind == "markdown"
    assert body.at_ids == ("staff2",)
    lines = body.text.split("\n")
    ours = [line for line in lines if line.startswith(("### ", "**"))]
    assert len(ours) == 2  # only Baton's own markup: the heading and the bold label
    assert ours[0].startswith("### \\[click\\]\u2060(") and ours[1].startswith("**\\[click")
    label, _, value = ours[1][2:].partition("**: ")
    assert unescaped_markup(label) == [] and unescaped_markup(value) == []
    others = [line for line in lines if line not in ours]
    assert unescaped_markup("\n".join(others).replace("[\\*\\*Go\\*\\*]", "")) == []
    assert "](" not in body.text and "<font" not in body.text
    params = card_params(Reply(HOSTILE, card=card), name=_name)
    assert unescaped_markup(params["staticMsgContent"].replace("**", "")) == []
    assert "](" not in params["staticMsgContent"]


def test_markdown_escaping_leaves_ordinary_text_alone() -> None:
    ordinary = "#1 Restock SKU-1 (2 boxes)\n12.5 kg by 2026-12-05, 补货 ¥30!"
    assert escape_markdown(ordinary) == ordinary
    assert escape_markdown("# 1. a") == "\\# 1. a" and escape_markdown("1. a") == "1\\. a"


def test_plain_text_messages_keep_markdown_characters_as_typed() -> None:
    body = message_body(Reply("SKU-1_A **x** [a](b)"), native=True, name=_name)
    assert body.kind == "text" and body.text == "SKU-1_A **x** [a](b)"


def test_signature_is_hmac_sha256_of_timestamp_and_secret() -> None:
    stamp = "1700000000000"
    good = sign("s3cret", stamp)
    assert signature_ok("s3cret", stamp, good, 1700000000000 + 1000)
    assert not signature_ok("s3cret", stamp, good[:-2] + "xx", 1700000000000)
    assert not signature_ok("other", stamp, good, 1700000000000)
    assert not signature_ok("s3cret", "17e12", good, 1700000000000)
    assert not signature_ok("s3cret", stamp, good, 1700000000000 + 3_600_001)
