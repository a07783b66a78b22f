"""Slack text in and out: mentions, escaping, broadcasts, Block Kit cards."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.slack.inbound import Profile, action_inbound, command_inbound, to_core_text
from adapters.slack.render import card_blocks, home_view, message_args, mrkdwn, parse_action_id
from bot.replies import Button, Card, Field, Reply

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_mentions_become_tokens_and_the_bot_is_dropped() -> None:
    text, people = to_core_text("<@UBOT> task add fix <@U1|alice> &amp; <@U2>", bot_user_id="UBOT")
    assert text == "task add fix <@U1> & <@U2>"
    assert people == ["U1", "U2"]


def test_broadcasts_links_and_typed_tokens_stay_inert() -> None:
    text, people = to_core_text(
        "<!channel> <!here|here> &lt;@U9&gt; <#C1|ops> <https://x.io|site>"
    )
    assert people == []
    assert "<@" not in text and "<!" not in text
    assert "@channel" in text and "#ops" in text and "site (https://x.io)" in text


def test_outbound_escapes_everything_but_mention_tokens() -> None:
    assert mrkdwn("hi <@U1> & <!channel> <@channel> a<b>c") == (
        "hi <@U1> &amp; &lt;!channel&gt; &lt;\u2060@channel&gt; a&lt;b&gt;c"
    )
    args = message_args(Reply("@here <!here>"))
    assert args["parse"] == "none" and args["link_names"] is False
    assert "<!here>" not in args["text"]


def test_card_becomes_block_kit_with_fields_and_buttons() -> None:
    card = Card(
        "Task #3 <@U1>",
        "Body *bold* <!everyone>",
        tuple(Field(f"F{i}", f"v{i}") for i in range(12)),
        (Button("Done", "task.done", "3", "primary"), Button("Drop", "task.drop", "3", "danger")),
    )
    blocks = card_blocks(card)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Task #3 @U1", "emoji": True},
    }
    assert "&lt;!everyone&gt;" in blocks[1]["text"]["text"]
    assert [len(b["fields"]) for b in blocks if "fields" in b] == [10, 2]
    buttons = blocks[-1]["elements"]
    assert [parse_action_id(b["action_id"]) for b in buttons] == ["task.done", "task.drop"]
    assert [b["style"] for b in buttons] == ["primary", "danger"]
    args = message_args(Reply("Task #3 created", card=card))
    assert args["text"] == "Task #3 created" and args["blocks"][0]["type"] == "section"


def test_home_view_is_a_home_tab() -> None:
    view = home_view(Reply("My tasks", card=Card("My tasks", "none")))
    assert view["type"] == "home" and view["blocks"][1]["type"] == "header"


def test_task_slash_command_prefixes_its_name() -> None:
    body = {
        "command": "/task",
        "text": "add ship <@U2>",
        "team_id": "T1",
        "user_id": "U1",
        "channel_id": "C1",
        "trigger_id": "tr1",
    }
    inbound = command_inbound(body, profile=Profile("Alice", "Europe/Berlin", "en-US"), now=NOW)
    assert inbound.text == "/task add ship <@U2>" and inbound.event_id == "cmd:tr1"
    assert inbound.actor.tz == "Europe/Berlin" and inbound.is_direct
    assert [m.user_id for m in inbound.mentions] == ["U2"]


def test_foreign_buttons_are_not_baton_actions() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "actions": [{"action_id": "someone-else", "value": "x", "action_ts": "1"}],
    }
    assert action_inbound(body, profile=Profile(), now=NOW) is None
