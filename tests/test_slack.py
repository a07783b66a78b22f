"""The Slack adapter with the real slack-bolt and slack-sdk against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from adapters.slack.adapter import SlackAdapter
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.context import Ctx
from bot.events import Platform, Target
from bot.feature import Feature
from bot.http_server import start_http
from bot.outbox import DeliveryError
from bot.replies import Button, Card, Reply
from bot.routing import Router
from bot.wiring import build_app
from commands import all_features
from tests.fakes import slack as fake
from tests.fakes.intake import connect
from tests.fakes.slack import FakeSlack

deploy = Router("deploy")


@deploy.command("deploy", usage="deploy <service>")
def start_deploy(ctx: Ctx, args: str) -> Reply:
    """Ask for a deploy approval (test-only)."""
    card = Card(
        f"Deploy {args}",
        "Waiting",
        buttons=(Button("Approve", "deploy.approve", args, "primary"),),
    )
    return Reply(f"Deploy {args}?", card=card)


@deploy.action("deploy.approve")
def approve_deploy(ctx: Ctx, value: str) -> Reply:
    """Approve a deploy (test-only): updates the card it was clicked on."""
    ref = ctx.inbound.action.message_ref if ctx.inbound.action else None
    return Reply(
        f"Approved {value} by <@{ctx.actor.user_id}>",
        card=Card(f"Deploy {value}", "Approved"),
        edit_ref=ref,
    )


DEPLOY = Feature("deploy", deploy, {})


class Http:
    """Baton's HTTP endpoint with the Slack adapter, and a client that signs like Slack."""

    def __init__(self, app: App, adapter: SlackAdapter, port: int, platform: FakeSlack) -> None:
        self.app, self.adapter, self.port, self.fake = app, adapter, port, platform

    async def post(
        self,
        body: str,
        *,
        form: bool = False,
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        sent = headers or fake.signed_headers(body, content_type=kind)
        sent.update(extra or {})
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{self.port}/slack/events", data=body.encode(), headers=sent
            ) as resp,
        ):
            return resp.status, await resp.text()

    async def command(self, text: str, **kw: Any) -> tuple[int, str]:
        """A slash command, with a ``response_url`` this fake serves."""
        kw.setdefault("response_url", self.fake.respond_url(f"cmd-{time.monotonic_ns()}"))
        return await self.post(fake.command_body(text, **kw), form=True)

    async def event(self, event: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(json.dumps(fake.event_body(event, **kw)))

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        from urllib.parse import urlencode

        return await self.post(urlencode({"payload": json.dumps(payload)}), form=True)


def _settings(tmp_path: Path, platform: FakeSlack, **extra: Any) -> Settings:
    return fake.settings(
        tmp_path / "baton.db",
        platform,
        admins_csv="UADMIN",  # a configured team: no first-run welcome
        timezone="UTC",
        **extra,
    )


@pytest.fixture
async def http(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[Http]:
    platform = fake.shared_fake()
    platform.calls.clear()
    platform.answers.clear()
    platform.outside.clear()
    app = build_app(_settings(tmp_path, platform), clock=clock, features=[*all_features(), DEPLOY])
    adapter = SlackAdapter(app.settings, app.clock)
    intake = await connect(app, adapter)
    port = fake.free_port()
    runner = await start_http(adapter.http_routes(), host="127.0.0.1", port=port)
    yield Http(app, adapter, port, platform)
    await runner.cleanup()
    await adapter.stop()
    await intake.stop()
    app.engine.dispose()


async def test_help_slash_command_is_acked_then_answered_to_the_asker_alone(http: Http) -> None:
    status, _ = await http.command("help")
    assert status == 200
    [answer] = await http.fake.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    assert "`help task`" in answer.args["text"]
    assert http.fake.made("chat.postMessage") == []
    assert http.fake.made("users.info")[0].args["include_locale"] in ("1", "true", True, "True")


async def test_slash_command_prefix_becomes_the_command(http: Http) -> None:
    await http.command("ops", command="/standup")
    [answer] = await http.fake.wait_for("response_url")
    assert "`standup`" in answer.args["text"]


async def test_forged_and_stale_signatures_are_refused(http: Http) -> None:
    body = fake.command_body("help")
    forged = fake.signed_headers(
        body, secret="not-the-secret", content_type="application/x-www-form-urlencoded"
    )
    assert (await http.post(body, form=True, headers=forged))[0] == 401
    stale = fake.signed_headers(
        body, timestamp=int(time.time()) - 600, content_type="application/x-www-form-urlencoded"
    )
    assert (await http.post(body, form=True, headers=stale))[0] == 401
    assert http.fake.made("chat.postMessage") == []


async def test_junk_gets_a_short_4xx_and_one_warning_line(
    http: Http, caplog: pytest.LogCaptureFixture
) -> None:
    status, text = await http.post("{not json", headers={"Content-Type": "application/json"})
    assert status == 401 and len(text) < 100  # unsigned: refused before anything is parsed
    signed_junk = "{not json"
    status, text = await http.post(signed_junk)
    assert status == 400 and "Traceback" not in text
    huge = "x" * (2 * 1024 * 1024)
    assert (await http.post(huge))[0] == 413
    url = f"http://127.0.0.1:{http.port}/slack/events"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:  # not a POST
        assert resp.status == 405
    assert http.fake.made("chat.postMessage") == []
    assert not any(r.exc_info for r in caplog.records)
    warnings = [r for r in caplog.records if r.name.startswith("adapters")]
    assert [r.levelname for r in warnings] == ["WARNING", "WARNING"]


async def test_a_command_is_stored_and_acked_without_bolt_whatever_its_text_says(
    http: Http,
) -> None:
    # Bolt reads any form body holding the word "payload" as an interaction; a command's own
    # fields decide here, so this one is a task like any other.
    status, text = await http.command("add Check the payload of order 7", command="/task")
    assert (status, text) == (200, "")
    [posted] = await http.fake.wait_for("chat.postMessage")
    assert "Check the payload of order 7" in posted.args["text"]


async def test_ssl_check_and_undecodable_commands_get_short_answers(http: Http) -> None:
    ssl_check = "ssl_check=1&token=old-verification-token"
    assert (await http.post(ssl_check, form=True))[0] == 200  # bolt answers Slack's probe
    undecodable = fake.command_body("add x").encode() + b"\xff\xfe"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **_signed_bytes(undecodable),
    }
    url = f"http://127.0.0.1:{http.port}/slack/events"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=undecodable, headers=headers) as resp,
    ):
        assert resp.status == 401  # signed over bytes the SDK can't read as text: not verifiable
    await asyncio.sleep(0.1)
    assert http.fake.made("chat.postMessage") == []


def _signed_bytes(body: bytes) -> dict[str, str]:
    """Slack's signature headers over raw bytes (the fake's helper signs text)."""
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(fake.SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


async def test_replayed_signed_command_runs_once(http: Http) -> None:
    body = fake.command_body("add Replayed", command="/task", trigger="same-trigger")
    headers = fake.signed_headers(body, content_type="application/x-www-form-urlencoded")
    assert (await http.post(body, form=True, headers=headers))[0] == 200
    assert (await http.post(body, form=True, headers=dict(headers)))[0] == 200
    await http.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.1)
    assert len(http.fake.made("chat.postMessage")) == 1


async def test_a_send_cut_short_by_a_crash_is_found_in_slack_not_posted_again(
    http: Http,
) -> None:
    with http.app.engine.begin() as conn:
        queued = http.app.outbox.enqueue(
            conn, Target(Platform.SLACK, fake.TEAM, "C7"), Reply("once only"), claimed=True
        )
    assert queued is not None
    await http.app.outbox.deliver([queued], claimed=True)  # the first attempt reached Slack...
    http.app.outbox.take_marks()  # ...but the process died before recording it (its lease
    with http.app.engine.begin() as conn:  # ran out)
        conn.execute(
            sa.text("UPDATE outbox SET status = 'sending', lease_until = NULL WHERE id = :id"),
            {"id": queued.id},
        )
    assert await http.app.outbox.drain() == 1
    assert len(http.fake.made("chat.postMessage")) == 1  # looked for, found, not posted again
    [look] = http.fake.made("conversations.history")
    assert look.args["channel"] == "C7"
    assert http.app.outbox.message_ref(queued.id) == f"C7:{http.fake.posted['C7'][0]['ts']}"


async def test_a_post_whose_answer_never_came_is_looked_for_before_it_is_sent_again(
    http: Http, clock: FrozenClock
) -> None:
    """Slack posted the message but the connection dropped before its answer: the retry finds it
    in the channel instead of posting it twice."""
    http.fake.unanswered.add("chat.postMessage")
    with http.app.engine.begin() as conn:
        queued = http.app.outbox.enqueue(
            conn, Target(Platform.SLACK, fake.TEAM, "C8"), Reply("posted, unanswered")
        )
    assert queued is not None
    assert await http.app.outbox.drain() == 0  # no answer: not known to be sent
    assert len(http.fake.made("chat.postMessage")) == 1
    clock.advance(timedelta(seconds=6))
    assert await http.app.outbox.drain() == 1
    assert len(http.fake.made("chat.postMessage")) == 1  # looked for, found, not posted again
    assert http.app.outbox.message_ref(queued.id) == f"C8:{http.fake.posted['C8'][0]['ts']}"


async def test_help_mention_strips_the_bot_and_answers_the_asker_in_channel(http: Http) -> None:
    await http.event(fake.app_mention_event("help", channel="C9"))
    [shown] = await http.fake.wait_for("chat.postEphemeral")
    assert shown.args["channel"] == "C9" and shown.args["user"] == "U1"
    assert "`help task`" in shown.args["text"]
    assert http.fake.made("chat.postMessage") == []


async def test_help_direct_message_answers_in_chinese_for_a_chinese_profile(http: Http) -> None:
    await http.event(fake.message_event("help", user="U2", channel="D2", ts="2.1"))
    [post] = await http.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "D2"
    assert "命令" in post.args["text"]


async def test_workspace_owner_manages_the_channel_she_writes_in(http: Http) -> None:
    assert (await http.adapter.profile("U3")).admin and not (
        await http.adapter.profile("U1")
    ).admin
    await http.command("task columns todo,doing,done", user_id="U3")
    [olga] = await http.fake.wait_for("chat.postMessage")
    assert "Columns here are now: todo → doing → done" in olga.args["text"]
    await http.command("task columns a,b", user_id="U1")
    [alice] = await http.fake.wait_for("response_url")  # a refusal: for her eyes only
    assert "Only this channel's managers and admins may" in alice.args["text"]


async def test_bot_messages_and_edits_are_ignored(http: Http) -> None:
    await http.event(fake.message_event("help", bot_id="B1", ts="3.1"))
    await http.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel_type": "im",
            "channel": "D1",
            "ts": "3.2",
        }
    )
    await http.event(fake.message_event("help", ts="3.3"))
    posts = await http.fake.wait_for("chat.postMessage")
    assert len(posts) == 1


async def test_help_channel_message_not_addressed_to_baton_gets_no_reply(http: Http) -> None:
    channel = fake.message_event("help", channel="C2", channel_type="channel", ts="6.1")
    await http.event(channel, event_id="EvChan")
    await http.event(fake.message_event("help", ts="6.2"))
    [post] = await http.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "D1"  # only the DM was answered
    with http.app.engine.connect() as conn:
        keys = {r[0] for r in conn.exec_driver_sql("select event_key from inbox")}
    assert "slack:EvChan" in keys  # the channel message reached Baton (for FAQ-watched channels)


async def test_help_retried_event_is_handled_once(http: Http) -> None:
    event = fake.app_mention_event("help", ts="4.1")
    await http.event(event, event_id="EvSame")
    await http.fake.wait_for("chat.postEphemeral")
    status, _ = await http.post(
        json.dumps(fake.event_body(event, event_id="EvSame")),
        extra={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert status == 200
    await http.event(fake.app_mention_event("help", ts="4.2"))
    assert len(await http.fake.wait_for("chat.postEphemeral", 2)) == 2
    assert len(http.fake.made("chat.postEphemeral")) == 2
    assert len(http.fake.made("users.info")) == 1  # the profile is cached


async def test_deploy_button_click_updates_the_card(http: Http) -> None:
    await http.command("deploy api")
    [post] = await http.fake.wait_for("chat.postMessage")
    [button] = fake.buttons(post)
    assert button["value"] == "api" and button["style"] == "primary"
    payload = fake.block_actions(button, message_ts="1700000000.000001")
    assert (await http.interaction(payload))[0] == 200
    [update] = await http.fake.wait_for("chat.update")
    assert update.args["channel"] == "C1" and update.args["ts"] == "1700000000.000001"
    assert "Approved api by <@U1>" in update.args["text"]
    assert (await http.interaction(payload))[0] == 200  # a retried click: handled once
    assert len(http.fake.made("chat.update")) == 1


async def test_deploy_button_on_an_ephemeral_card_is_updated_through_response_url(
    http: Http,
) -> None:
    button = {"action_id": "baton|deploy.approve|0", "value": "web", "type": "button"}
    payload = fake.block_actions(
        button,
        message_ts="17.5",
        action_ts="18.1",
        trigger="t.2",
        response_url=f"http://127.0.0.1:{http.fake.port}/respond/eph1",
        ephemeral=True,
    )
    assert (await http.interaction(payload))[0] == 200
    [respond] = await http.fake.wait_for("response_url")
    assert respond.args["replace_original"] is True and respond.args["key"] == "eph1"
    assert "Approved web" in respond.args["text"]
    assert http.fake.made("chat.update") == []


async def test_create_task_shortcut_links_back_to_the_message(http: Http) -> None:
    payload = fake.message_shortcut(
        "Fix the <!channel> login &amp; logout", channel="C5", ts="1700000005.000100"
    )
    assert (await http.interaction(payload))[0] == 200
    await http.fake.wait_for("chat.postMessage")
    [link] = http.fake.made("chat.getPermalink")
    assert link.args["message_ts"] == "1700000005.000100"
    # No task feature in this build: Baton says it does not know `task`, but the text it routed
    # is stored with the link back.
    with http.app.engine.connect() as conn:
        keys = [r[0] for r in conn.exec_driver_sql("select event_key from inbox")]
    assert "slack:cmd:t.sc" in keys


async def test_app_home_opened_publishes_my_tasks(http: Http) -> None:
    await http.event(fake.home_opened_event("U1"))
    [publish] = await http.fake.wait_for("views.publish")
    view = fake.json_arg(publish, "view")
    assert publish.args["user_id"] == "U1" and view["type"] == "home"
    assert "My tasks" in json.dumps(view)
    assert http.fake.made("chat.postMessage") == []
    assert http.app.outbox.counts().get("pending", 0) == 0


async def test_tz_mention_injection_never_pings_anyone(http: Http) -> None:
    await http.event(fake.message_event("tz <!channel> <!here> @all &lt;@U2&gt;", ts="5.1"))
    [post] = await http.fake.wait_for("chat.postMessage")
    text = post.args["text"]
    assert "<!channel>" not in text and "<!here>" not in text and "<@U2>" not in text
    assert "<!" not in text and "<@" not in text


async def test_rate_limit_becomes_a_delivery_error_with_retry_after(http: Http) -> None:
    for _ in range(2):  # the SDK's own retry handler retries twice first
        http.fake.answer_next(
            "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}
        )
    http.fake.answer_next(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}
    )
    target = Target(Platform.SLACK, fake.TEAM, "C1")
    with pytest.raises(DeliveryError) as caught:
        await http.adapter.send(target, Reply("hi"))
    assert caught.value.retry_after == 7.0 and not caught.value.permanent


async def test_unknown_channel_is_a_permanent_failure(http: Http) -> None:
    http.fake.answer_next("chat.postMessage", 200, {"ok": False, "error": "channel_not_found"})
    with pytest.raises(DeliveryError) as caught:
        await http.adapter.send(Target(Platform.SLACK, fake.TEAM, "Cgone"), Reply("hi"))
    assert caught.value.permanent


async def test_direct_target_opens_a_conversation_and_ephemeral_targets_one_user(
    http: Http,
) -> None:
    ref = await http.adapter.send(
        Target(Platform.SLACK, fake.TEAM, user="U7"), Reply("psst <@U7>")
    )
    [opened] = http.fake.made("conversations.open")
    assert opened.args["users"] == "U7" and ref and ref.startswith("DU7:")
    await http.adapter.send(
        Target(Platform.SLACK, fake.TEAM, "C1", "1.5", "U7"), Reply("only you")
    )
    [eph] = http.fake.made("chat.postEphemeral")
    assert eph.args["user"] == "U7" and eph.args["thread_ts"] == "1.5"


def test_manifest_declares_what_the_adapter_handles() -> None:
    from adapters.slack.inbound import SHORTCUT_ID, SLASH_COMMANDS

    manifest = json.loads(
        (Path(__file__).parent.parent / "adapters" / "slack" / "manifest.json").read_text()
    )
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {*SLASH_COMMANDS, "/baton"}
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {
        manifest["settings"]["event_subscriptions"]["request_url"]
    }
    assert [s["callback_id"] for s in manifest["features"]["shortcuts"]] == [SHORTCUT_ID]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "app_home_opened", "message.im", "message.channels"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "users:read", "im:write", "app_mentions:read"} <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
