"""The Slack adapter: slack-bolt ``AsyncApp`` in Socket Mode (with ``SLACK_APP_TOKEN``) or over HTTP.

Every request is acknowledged before Baton works on it (Slack retries after 3 s); the work then
runs in bolt's background task. Redeliveries are dropped by the app on the ``event_id`` (events),
``trigger_id`` (commands, shortcuts) or ``(message_ts, action_ts, user)`` (button clicks).
Outbound, replies become Block Kit with a text fallback; a reply with ``edit_ref`` (``channel:ts``)
updates the card in place with ``chat.update``. App Home shows the ``home.open`` reply.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import inbound
from adapters.slack.inbound import Json, Profile
from adapters.slack.render import home_view, message_args
from bot.clock import Clock
from bot.config import Settings
from bot.events import Inbound, Platform, Target
from bot.outbox import DeliveryError
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import Sink

log = logging.getLogger(__name__)

PROFILE_TTL = 3600.0  # seconds a users.info answer is trusted
MAX_PROFILES = 5000
# Errors retrying cannot fix: the message is parked for an operator at once.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "user_not_found",
        "cant_update_message",
        "message_not_found",
        "edit_window_closed",
        "restricted_action",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "missing_scope",
        "user_not_in_channel",
        "cannot_dm_bot",
        "messages_tab_disabled",
    }
)


def build_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_URL`` as base URL; honours 429s' ``Retry-After`` twice."""
    kwargs: dict[str, Any] = {"token": settings.slack_bot_token.get_secret_value(), "timeout": 10}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    client = AsyncWebClient(**kwargs)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


class SlackAdapter:
    """One Slack workspace, through slack-bolt."""

    platform = Platform.SLACK
    # About one message a second per channel, with short bursts above it.
    pace = Pace(timedelta(seconds=1), burst=3)

    def __init__(
        self, settings: Settings, clock: Clock, *, client: AsyncWebClient | None = None
    ) -> None:
        s = settings
        self._clock = clock
        self._sink: Sink | None = None
        self.client = client or build_client(s)
        self._app_token = s.slack_app_token.get_secret_value()
        signing_secret = s.slack_signing_secret.get_secret_value()
        self.socket_mode = bool(self._app_token)
        if not self.socket_mode and not signing_secret:
            raise ValueError("Slack over HTTP needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN)")
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or None,
            request_verification_enabled=not self.socket_mode,
            process_before_response=False,
        )
        self._handler: AsyncSocketModeHandler | None = None
        self._profiles: dict[str, tuple[float, Profile]] = {}
        self._register()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, sink: Sink) -> None:
        """Socket Mode: connect now. HTTP: the shared server calls ``http_routes``."""
        self._sink = sink
        if self.socket_mode:
            self._handler = AsyncSocketModeHandler(self.bolt, self._app_token)
            await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        """Close the Socket Mode connection."""
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]
            self._handler = None

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /slack/events``: events, interactions and slash commands share one URL."""
        return [] if self.socket_mode else [web.post("/slack/events", self._http)]

    async def _http(self, request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    # --- inbound ---------------------------------------------------------------------------

    def _register(self) -> None:
        bolt = self.bolt
        bolt.command(re.compile(r"^/.+"))(self._on_command)
        bolt.event("app_mention")(self._on_message)
        bolt.event("message")(self._on_message)
        bolt.event("app_home_opened")(self._on_home)
        bolt.action(re.compile(r"^baton\|"))(self._on_action)
        bolt.shortcut(inbound.SHORTCUT_ID)(self._on_shortcut)

    async def _on_command(self, ack: Any, body: Json) -> None:
        await ack()
        profile = await self.profile(str(body.get("user_id", "")))
        await self._core.handle(inbound.command_inbound(body, profile=profile, now=self._now()))

    async def _on_message(self, body: Json, context: Any) -> None:
        event: Json = body.get("event") or {}
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return
        profile = await self.profile(str(event["user"]))
        message = inbound.message_inbound(
            body, bot_user_id=context.bot_user_id, profile=profile, now=self._now()
        )
        if message is not None:
            await self._core.handle(message)

    async def _on_action(self, ack: Any, body: Json) -> None:
        await ack()
        profile = await self.profile(str((body.get("user") or {}).get("id", "")))
        message = inbound.action_inbound(body, profile=profile, now=self._now())
        if message is None:
            return
        await self._core.handle(message)
        if (body.get("container") or {}).get("type") == "view":
            await self.publish_home(message, suffix=":home")  # the clicked Home tab, refreshed

    async def _on_shortcut(self, ack: Any, body: Json) -> None:
        await ack()
        profile = await self.profile(str((body.get("user") or {}).get("id", "")))
        channel = str((body.get("channel") or {}).get("id", ""))
        ts = str((body.get("message") or {}).get("ts", ""))
        message = inbound.shortcut_inbound(
            body, profile=profile, permalink=await self._permalink(channel, ts), now=self._now()
        )
        await self._core.handle(message)

    async def _on_home(self, body: Json) -> None:
        event: Json = body.get("event") or {}
        profile = await self.profile(str(event.get("user", "")))
        message = inbound.home_inbound(body, profile=profile, now=self._now())
        if message is not None:
            await self.publish_home(message)

    async def publish_home(self, message: Inbound, *, suffix: str = "") -> None:
        """Run ``home.open`` for the person and publish the answer as their Home tab.

        ``suffix`` refreshes the tab after a click on it (a new event id, derived from the click's).
        """
        if suffix:
            message = inbound.home_for(message.actor, message.event_id + suffix, self._now())
        # Every reply is shown on the Home tab instead of being sent as a message.
        shown = self._core.answer(message, inline=lambda _reply: True).inline
        if not shown:
            return
        view = home_view(shown[0])
        try:
            await self.client.views_publish(user_id=message.actor.user_id, view=view)
        except SlackApiError as exc:
            log.warning("Slack views.publish failed: %s", exc.response.get("error"))

    async def _permalink(self, channel: str, ts: str) -> str:
        try:
            answer = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
            return str(answer["permalink"])
        except (SlackApiError, KeyError):
            return inbound.permalink_fallback(channel, ts)

    async def profile(self, user_id: str) -> Profile:
        """Name, time zone and locale from ``users.info``, cached for ``PROFILE_TTL``."""
        if not user_id:
            return Profile()
        now = time.monotonic()
        cached = self._profiles.get(user_id)
        if cached is not None and now - cached[0] < PROFILE_TTL:
            return cached[1]
        try:
            answer = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            log.warning("Slack users.info %s: %s", user_id, exc.response.get("error"))
            return cached[1] if cached else Profile()
        user: Json = answer.get("user") or {}
        names: Json = user.get("profile") or {}
        found = Profile(
            name=str(
                names.get("display_name")
                or names.get("real_name")
                or user.get("real_name")
                or user.get("name")
                or ""
            ),
            tz=user.get("tz") or None,
            locale=user.get("locale") or None,
            admin=bool(user.get("is_admin") or user.get("is_owner")),
        )
        if len(self._profiles) >= MAX_PROFILES:
            self._profiles.pop(next(iter(self._profiles)))
        self._profiles[user_id] = (now, found)
        return found

    def _now(self) -> datetime:
        return self._clock.now()

    @property
    def _core(self) -> Sink:
        if self._sink is None:
            raise RuntimeError("Slack adapter received an event before start()")
        return self._sink

    # --- outbound --------------------------------------------------------------------------

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; returns ``channel:ts`` so the card can be updated later."""
        args = message_args(reply)
        try:
            if reply.edit_ref and "://" in reply.edit_ref:
                await self._respond(reply.edit_ref, args)
                return reply.edit_ref
            if reply.edit_ref:
                channel, _, ts = reply.edit_ref.partition(":")
                args.pop("unfurl_links")
                await self.client.chat_update(channel=channel, ts=ts, **args)
                return reply.edit_ref
            if target.thread:
                args["thread_ts"] = target.thread
            if target.channel and target.user:
                await self.client.chat_postEphemeral(
                    channel=target.channel, user=target.user, **args
                )
                return None
            channel = target.channel or await self._dm_channel(str(target.user))
            answer = await self.client.chat_postMessage(channel=channel, **args)
            return f"{answer.get('channel', channel)}:{answer.get('ts')}"
        except SlackApiError as exc:
            raise _delivery_error(exc) from exc
        except (OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable: {exc!r}") from exc

    async def _respond(self, response_url: str, args: dict[str, Any]) -> None:
        """Replace an ephemeral card through its ``response_url`` (``chat.update`` cannot)."""
        webhook = AsyncWebhookClient(response_url, timeout=10)
        answer = await webhook.send(
            text=args["text"], blocks=args.get("blocks"), replace_original=True
        )
        if answer.status_code == 429:
            retry = answer.headers.get("retry-after") or answer.headers.get("Retry-After") or "1"
            raise DeliveryError("Slack rate limit on response_url", retry_after=float(retry))
        if answer.status_code >= 500:
            raise DeliveryError(f"Slack response_url answered {answer.status_code}")
        if answer.status_code >= 400:  # expired (30 min, 5 uses) or unknown: retrying cannot help
            raise DeliveryError(f"Slack response_url refused: {answer.body}", permanent=True)

    async def _dm_channel(self, user_id: str) -> str:
        answer = await self.client.conversations_open(users=user_id)
        return str(answer["channel"]["id"])


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    """What a Slack error means for the outbox: wait (429), give up (permanent) or retry."""
    response = exc.response
    error = str(response.get("error", "")) if response is not None else ""
    if response is not None and response.status_code == 429:
        retry = response.headers.get("retry-after") or response.headers.get("Retry-After") or "1"
        return DeliveryError(f"Slack rate limit: {error}", retry_after=float(retry))
    return DeliveryError(f"Slack error: {error}", permanent=error in PERMANENT_ERRORS)


__all__ = ["SlackAdapter", "build_client"]
