"""Slack: slack-bolt's AsyncApp in Socket Mode (``SLACK_APP_TOKEN``) or over HTTP (``/slack/events``).

Every listener acknowledges first and works after (Slack retries anything not acknowledged within
3 s); redeliveries carry the same ids and are dropped by the app. Rendering lives in
``slack_render``; this module only wires Slack's events to ``Inbound`` and ``Reply`` to the Web API.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters import slack_render as render
from adapters.base import InboundSink
from bot.app import App
from bot.events import Actor, ButtonAction, Inbound, Platform, Target
from bot.outbox import DeliveryError
from bot.replies import Reply

log = logging.getLogger(__name__)
PROFILE_TTL = 6 * 3600.0
SHORTCUT_ID = "create_task_from_message"
COMMANDS = ("task", "faq", "ask", "standup", "remind", "digest")
PERMANENT = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "msg_too_long",
     "user_not_found", "cannot_dm_bot", "invalid_auth", "account_inactive", "message_not_found"}
)  # fmt: skip


class SlackAdapter:
    """Translates between Slack and Baton."""

    platform = Platform.SLACK

    def __init__(self, app: App) -> None:
        settings = app.settings
        self._app = app
        base = settings.slack_api_url or "https://slack.com/api/"
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=base)
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret or None,
            request_verification_enabled=bool(settings.slack_signing_secret),
        )
        self._app_token = settings.slack_app_token
        self._socket: AsyncSocketModeHandler | None = None
        self._profiles: dict[tuple[str, str], tuple[float, Actor]] = {}
        self._bot_user: str | None = None
        self._sink: InboundSink = app
        self._work: set[asyncio.Task[None]] = set()
        self._register()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, sink: InboundSink) -> None:
        """Connect Socket Mode when an app token is set (HTTP routes are served by the runner)."""
        self._sink = sink
        if self._app_token:
            self._socket = AsyncSocketModeHandler(self.bolt, self._app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        """Close Socket Mode and wait for work already acknowledged."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self.settle()

    async def settle(self) -> None:
        """Wait until every acknowledged event has been handled (tests and shutdown)."""
        while self._work:
            await asyncio.gather(*list(self._work), return_exceptions=True)

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /slack/events`` for events, commands, interactions (Request URL mode)."""
        if self._app_token:
            return []
        return [web.post("/slack/events", self._http)]

    async def _http(self, request: web.Request) -> web.Response:
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # --- inbound ---------------------------------------------------------------------------

    def _later(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` after the ack has gone back to Slack."""

        async def guarded() -> None:
            try:
                await work()
            except Exception:
                log.exception("handling a Slack event failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    def _register(self) -> None:
        bolt = self.bolt
        bolt.command(re.compile(r"^/"))(self._on_command)
        bolt.event("app_mention")(self._on_mention)
        bolt.event("message")(self._on_message)
        bolt.action(re.compile(f"^{render.ACTION_PREFIX}"))(self._on_action)
        bolt.shortcut(SHORTCUT_ID)(self._on_shortcut)
        bolt.event("app_home_opened")(self._on_home)

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        name = str(body.get("command", "")).lstrip("/")
        text = str(body.get("text", ""))
        line = text if name == "baton" or name not in COMMANDS else f"{name} {text}"
        self._later(lambda: self._deliver(body["team_id"], body["user_id"], body["channel_id"],
                                          None, line, f"cmd:{body.get('trigger_id')}", True))  # fmt: skip

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        thread = event.get("thread_ts")
        self._later(lambda: self._deliver(body["team_id"], event["user"], event["channel"],
                                          thread, event.get("text", ""), body["event_id"], True,
                                          ref=f"{event['channel']}:{event['ts']}"))  # fmt: skip

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("subtype") or event.get("bot_id") or "user" not in event:
            return
        direct = event.get("channel_type") == "im"
        text = event.get("text", "")
        if not direct and self._bot_user and f"<@{self._bot_user}" in text:
            return  # the app_mention event for the same message answers it
        thread = event.get("thread_ts")
        self._later(lambda: self._deliver(body["team_id"], event["user"], event["channel"],
                                          thread, text, body["event_id"], direct,
                                          ref=f"{event['channel']}:{event['ts']}"))  # fmt: skip

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        parsed = render.parse_button(str(action.get("value", "")))
        if parsed is None:
            return
        user = body["user"]["id"]
        team = body.get("team", {}).get("id") or body["user"].get("team_id", "")
        container = body.get("container", {})
        from_home = container.get("type") == "view"
        channel = container.get("channel_id") or body.get("channel", {}).get("id", "")
        ts = container.get("message_ts")
        ref = f"{channel}:{ts}" if channel and ts else None
        event_id = f"act:{ts or body.get('view', {}).get('id')}:{action.get('action_ts')}:{user}"
        button = ButtonAction(parsed[0], parsed[1], ref)

        async def work() -> None:
            actor = await self._actor(team, user)
            source = (
                Target(self.platform, team, channel)
                if channel and not from_home
                else Target.direct(actor)
            )
            inbound = Inbound(event_id, actor, source, "", True, _now(self._app), action=button)
            await self._sink.handle(inbound)
            if from_home:
                await self._publish_home(team, user)

        self._later(work)

    async def _on_shortcut(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        message = body.get("message", {})
        channel = body.get("channel", {}).get("id", "")
        ts = message.get("ts", "")
        text, _ = render.to_neutral(message.get("text", ""), bot_user_id=self._bot_user)
        title = " ".join(text.split())[:190] or "(message)"
        line = f'task add "{title.replace(chr(34), chr(39))}"'
        self._later(lambda: self._deliver(body["team"]["id"], body["user"]["id"], channel,
                                          message.get("thread_ts") or ts, line,
                                          f"sc:{body.get('trigger_id')}", True, ref=f"{channel}:{ts}",
                                          neutral=True))  # fmt: skip

    async def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        self._later(lambda: self._publish_home(body["team_id"], event["user"]))

    async def _deliver(
        self, team: str, user: str, channel: str, thread: str | None, text: str, event_id: str,
        direct: bool, *, ref: str | None = None, neutral: bool = False,
    ) -> None:  # fmt: skip
        """Translate one message and hand it to the app (which replies through ``send``)."""
        await self._ensure_bot_user()
        actor = await self._actor(team, user)
        if neutral:
            body, people = text, list[str]()
        else:
            body, people = render.to_neutral(text, bot_user_id=self._bot_user)
        named = tuple([await self._actor(team, uid) for uid in dict.fromkeys(people)])
        source = Target(self.platform, team, channel, thread)
        inbound = Inbound(
            event_id, actor, source, body, direct, _now(self._app), named, message_ref=ref
        )
        await self._sink.handle(inbound)

    async def _publish_home(self, team: str, user: str) -> None:
        """Build the home page with the app (no message is sent) and publish it."""
        actor = await self._actor(team, user)
        inbound = Inbound(f"home:{user}:{time.time_ns()}", actor, Target.direct(actor), "", True,
                          _now(self._app), action=ButtonAction("home.open"))  # fmt: skip
        queued = self._app.process(inbound)
        for item in queued:
            self._app.outbox.complete(item.id, None)
        view = render.home_view([item.reply for item in queued])
        await self.client.views_publish(user_id=user, view=view)

    # --- people ----------------------------------------------------------------------------

    async def _ensure_bot_user(self) -> None:
        if self._bot_user is None:
            try:
                self._bot_user = str((await self.client.auth_test()).get("user_id") or "")
            except SlackApiError:
                log.warning("auth.test failed; the bot's own mentions are not recognised yet")

    async def _actor(self, team: str, user: str) -> Actor:
        """Name, time zone and locale from ``users.info``, cached for a few hours."""
        key = (team, user)
        cached = self._profiles.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        actor = Actor(self.platform, team, user)
        try:
            info = (await self.client.users_info(user=user, include_locale=True)).get("user") or {}
            profile = info.get("profile") or {}
            name = profile.get("display_name") or info.get("real_name") or info.get("name") or ""
            actor = Actor(self.platform, team, user, name, info.get("tz"), info.get("locale"))
        except SlackApiError as exc:
            log.info("users.info %s failed: %s", user, _error_code(exc))
        self._profiles[key] = (time.monotonic() + PROFILE_TTL, actor)
        return actor

    # --- outbound --------------------------------------------------------------------------

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Post, update or post ephemerally; returns ``channel:ts``."""
        payload = render.message_payload(reply)
        try:
            if reply.edit_ref:
                channel, _, ts = reply.edit_ref.partition(":")
                await self.client.chat_update(channel=channel, ts=ts, **payload)
                return reply.edit_ref
            channel = target.channel
            if target.is_direct:
                opened = await self.client.conversations_open(users=target.user)
                channel = opened["channel"]["id"]
            elif target.user:
                await self.client.chat_postEphemeral(
                    channel=channel, user=target.user, thread_ts=target.thread, **payload
                )
                return None
            sent = await self.client.chat_postMessage(
                channel=channel, thread_ts=target.thread, **payload
            )
            return f"{sent['channel']}:{sent['ts']}"
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    """Slack's answer as the outbox understands it: rate limits wait, some errors are final."""
    response = exc.response
    error = _error_code(exc)
    if response is not None and response.status_code == 429:
        retry = float(response.headers.get("Retry-After", response.headers.get("retry-after", 1)))
        return DeliveryError(f"slack: ratelimited ({retry}s)", retry_after=retry)
    return DeliveryError(f"slack: {error or exc}", permanent=error in PERMANENT)


def _error_code(exc: SlackApiError) -> str:
    """Slack's ``error`` field, when the answer was JSON at all."""
    data = getattr(exc.response, "data", None)
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _now(app: App) -> datetime:
    return app.clock.now()


def manifest_commands() -> list[str]:
    """The slash commands the manifest declares (kept next to the code that handles them)."""
    return [f"/{name}" for name in (*COMMANDS, "baton")]
