"""Feishu translation without the SDK: events in, message content and cards out, hostile text inert."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.feishu import render
from adapters.feishu.inbound import Profile, action_inbound, message_inbound
from bot.events import Media, Platform, Target
from bot.replies import Button, Card, Field, Reply

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def event(message: dict[str, Any], sender_type: str = "user") -> dict[str, Any]:
    base = {"message_id": "om_1", "chat_id": "oc_1", "chat_type": "group"}
    return {
        "schema": "2.0",
        "header": {"event_id": "e1", "tenant_key": "tk"},
        "event": {
            "sender": {"sender_id": {"open_id": "ou_a"}, "sender_type": sender_type},
            "message": {**base, **message},
        },
    }


def text_message(text: str, mentions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message_type": "text", "content": json.dumps({"text": text}), "mentions": mentions}


BOT = {"key": "@_user_1", "id": {"open_id": "ou_bot"}, "name": "Baton"}
BOB = {"key": "@_user_2", "id": {"open_id": "ou_bob"}, "name": "Bob"}


def inbound(data: dict[str, Any]) -> Any:
    return message_inbound(
        data, bot_open_id="ou_bot", profile=Profile("Ann", "Asia/Tokyo"), received_at=NOW
    )


def test_group_mention_becomes_direct_command_with_person_tokens() -> None:
    got = inbound(event(text_message("@_user_1 task add Fix @_user_2", [BOT, BOB])))
    assert got.text == "task add Fix <@ou_bob>" and got.is_direct
    assert [(m.user_id, m.name) for m in got.mentions] == [("ou_bob", "Bob")]
    assert got.actor.display_name == "Ann" and got.actor.tz == "Asia/Tokyo"
    assert got.source == Target(Platform.FEISHU, "tk", "oc_1")
    assert got.message_ref == "om_1"


def test_group_message_without_bot_mention_is_not_direct() -> None:
    got = inbound(event(text_message("how do I reset VPN?", [])))
    assert got.text == "how do I reset VPN?" and not got.is_direct


def test_typed_tokens_and_at_all_stay_plain_text() -> None:
    hostile = '@_user_1 say <@ou_boss> @_all <at user_id="all"></at>'
    got = inbound(event(text_message(hostile, [BOT])))
    assert "<@ou_boss>" not in got.text and "@all" in got.text
    assert got.mentions == ()
    all_entry = {"key": "@_user_3", "id": {}, "name": "所有人"}
    got = inbound(event(text_message("@_user_1 hi @_user_3", [BOT, all_entry])))
    assert got.text == "hi @所有人" and got.mentions == ()


def test_post_message_text_and_mentions() -> None:
    post = {
        "title": "Weekly",
        "content": [
            [
                {"tag": "at", "user_id": "@_user_1", "user_name": "Baton"},
                {"tag": "text", "text": " tz"},
            ],
            [{"tag": "img", "image_key": "x"}, {"tag": "a", "text": "link", "href": "https://x"}],
        ],
    }
    message = {"message_type": "post", "content": json.dumps(post), "mentions": [BOT]}
    got = inbound(event(message))
    assert got.text == "Weekly\ntz\nlink" and got.is_direct


def test_p2p_thread_and_skipped_messages() -> None:
    got = inbound(event({**text_message("tz", []), "chat_type": "p2p"}))
    assert got.source == Target(Platform.FEISHU, "tk", user="ou_a") and got.is_direct
    threaded = {**text_message("@_user_1 tz", [BOT]), "root_id": "om_r", "thread_id": "omt"}
    assert inbound(event(threaded)).source.thread == "om_r"
    assert inbound(event({"message_type": "image", "content": "{}"})) is None  # in a chat
    picture = inbound(event({"message_type": "image", "content": "{}", "chat_type": "p2p"}))
    assert picture.media is Media.PICTURE and picture.text == ""
    assert inbound(event(text_message("hi", []), sender_type="app")) is None
    assert inbound(event({"message_type": "text", "content": "not json"})) is None


def test_card_action_carries_action_value_and_message() -> None:
    data = {
        "header": {"event_id": "c1", "tenant_key": "tk"},
        "event": {
            "operator": {"open_id": "ou_a"},
            "action": {"value": {"a": "task.done", "v": "7"}},
            "context": {"open_message_id": "om_card", "open_chat_id": "oc_1"},
        },
    }
    got = action_inbound(data, profile=Profile(), received_at=NOW)
    assert got is not None and got.action is not None
    assert (got.action.action, got.action.value, got.action.message_ref) == (
        "task.done",
        "7",
        "om_card",
    )
    data["event"]["action"] = {"value": {"cmd": "foreign"}}
    assert action_inbound(data, profile=Profile(), received_at=NOW) is None


def test_text_renders_mentions_and_breaks_injected_tags() -> None:
    reply = Reply('hi <@ou_bob> <@all> <at user_id="all"></at> </at> [pay](http://evil)')
    text = json.loads(render.text_content(reply))["text"]
    assert text.startswith('hi <at user_id="ou_bob"></at> ')
    assert text.count("<at") == 1 and "<\u2060at" in text and "<\u2060/at>" in text
    assert '<at user_id="all">' not in text and "](" not in text


def test_card_escapes_markdown_and_renders_buttons() -> None:
    card = Card(
        "Task #3 <b>",
        body="**bold** [x](http://evil) <at id=all></at> <@ou_bob>",
        fields=(Field("Owner", "<@ou_bob>"),),
        buttons=(Button("Done", "task.done", "3", "primary"), Button("Drop", "task.drop", "3")),
    )
    data = render.card(Reply("Task #3 <b>", card=card))
    assert data["schema"] == "2.0" and data["header"]["title"]["content"] == "Task #3 <b>"
    body, fields, buttons = data["body"]["elements"]
    assert "**" not in body["content"] and "[x]" not in body["content"]
    assert "<at id=all>" not in body["content"] and body["content"].endswith("<at id=ou_bob></at>")
    assert fields["content"] == "**Owner**: <at id=ou_bob></at>"
    first, second = (c["elements"][0] for c in buttons["columns"])
    assert first["behaviors"][0] == {"type": "callback", "value": {"a": "task.done", "v": "3"}}
    assert first["type"] == "primary" and second["type"] == "default"


def test_reply_without_card_becomes_card_for_edits_and_toast_is_short() -> None:
    data = render.card(Reply("Closed #4\nmore", edit_ref="om_1"))
    assert "header" not in data and data["body"]["elements"][0]["content"] == "Closed &#35;4\nmore"
    assert render.toast("Closed #4\nmore") == {"type": "success", "content": "Closed #4"}


def test_core_console_and_translation_never_import_lark_oapi(tmp_path) -> None:
    code = (
        "import sys\n"
        "from bot.wiring import build_app\n"
        "from bot.config import Settings\n"
        "import bot.runner, bot.cli, adapters.console, adapters.feishu.render, adapters.feishu.inbound\n"
        "from bot.wiring import configured_adapters\n"
        f"app = build_app(Settings(_env_file=None, database_url='sqlite:///{tmp_path}/b.db'))\n"
        "assert configured_adapters(app.settings, app.clock) == []\n"
        "assert 'lark_oapi' not in sys.modules, 'lark_oapi imported'\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEISHU_")}
    subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parent.parent
    )
