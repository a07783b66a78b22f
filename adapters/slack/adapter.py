"""The Slack adapter: slack-bolt ``AsyncApp`` in Socket Mode (with ``SLACK_APP_TOKEN``) or over HTTP.

Inbound, every request is verified, then stored through the sink, and only then acknowledged (bolt
runs the listener before it answers: ``process_before_response``), so an acknowledged request is
never lost. Over HTTP the signature and timestamp are checked before anything is parsed; junk gets a
4xx and one WARNING line. The slow work (``users.info``, the command, the replies) happens after the
ack, when the core's workers call ``translate``. Redeliveries are dropped by the core on the
``event_id`` (events), ``trigger_id`` (commands, shortcuts) or ``(message_ts, action_ts, user)``
(button clicks).

Outbound, replies become Block Kit with a text fallback, sent where the person can see them
(:mod:`adapters.slack.deliver`: the channel, the request's ``response_url``, or a DM); a reply with
``edit_ref`` (``channel:ts``) updates the card in place. App Home shows the ``home.open`` reply.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import inbound
from adapters.slack.deliver import Deliverer
from adapters.slack.inbound import Json, Profile
from adapters.slack.render import home_view
from bot.clock import Clock
from bot.config import Settings
from bot.events import Actor, Inbound, Platform, Target
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import RawEvent, Sink, StoredEvent, Translation, Unreadable

log = logging.getLogger(__name__)

PROFILE_TTL = 3600.0  # seconds a users.info answer is trusted
MAX_PROFILES = 5000
HOME_STALE = timedelta(minutes=10)  # a Home tab opened longer ago than this is not drawn any more


def _slash_command(text: str) -> Json | None:
    """A slash command's fields (Slack posts them form-encoded), or None for anything else.

    Commands are the requests Baton gets most, and storing one is all their acknowledgement
    waits for, so they skip bolt's dispatch (its middleware, a client per request, listener
    matching): read as bolt reads a form body, but by field, so a command whose text holds the
    word "payload" is not taken for an interaction. Interactions (``payload``), events (JSON) and
    Slack's ``ssl_check`` go to bolt.
    """
    if text.startswith("{"):
        return None
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if not fields.get("command") or "payload" in fields or "ssl_check" in fields:
        return None
    return fields


def build_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: ``SLACK_API_URL`` as base URL; honours 429s' ``Retry-After`` twice.

    Without the SDK's default retry of a dropped connection: a post whose connection dropped may
    well be in the channel, and posting it again blind shows it twice. The outbox retries it as
    an interrupted send instead, which looks for it first."""
    kwargs: dict[str, Any] = {"token": settings.slack_bot_token.get_secret_value(), "timeout": 10}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return AsyncWebClient(
        **kwargs, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
    )


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
        # The listeners only store the event; bolt acknowledges it once they return.
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or None,
            # Over HTTP, ``_http`` verifies every request before bolt parses it.
            request_verification_enabled=False,
            process_before_response=True,
        )
        self._verifier = SignatureVerifier(signing_secret) if not self.socket_mode else None
        self._handler: AsyncSocketModeHandler | None = None
        self._profiles: dict[str, tuple[float, Profile]] = {}
        self._deliverer = Deliverer(self.client, clock, api_url=s.slack_api_url)
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

    async def ready(self) -> str | None:
        """Over Socket Mode, whether the connection is up; over HTTP, Slack calls in."""
        if not self.socket_mode:
            return None
        if self._handler is None or not await self._handler.client.is_connected():
            return "Slack Socket Mode not connected"
        return None

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /slack/events``: events, interactions and slash commands share one URL."""
        return [] if self.socket_mode else [web.post("/slack/events", self._http)]

    async def _http(self, request: web.Request) -> web.Response:
        """Verify, then store a slash command at once or hand anything else to bolt: an unsigned,
        stale or malformed request never reaches a parser, and gets a short 4xx (Slack does not
        retry those)."""
        body = await request.read()
        assert self._verifier is not None
        try:
            valid = self._verifier.is_valid_request(body, dict(request.headers))
        except UnicodeDecodeError:  # the SDK signs text: bytes that are not UTF-8 can't be checked
            valid = False
        if not valid:
            log.warning("Slack request refused: bad or stale signature")
            return web.Response(status=401, text="invalid signature")
        try:
            text = body.decode("utf-8")  # verified, so it is UTF-8
            if (command := _slash_command(text)) is not None:
                self._store_command(command)
                return web.Response(status=200)
            bolt_request = AsyncBoltRequest(
                body=text, query=request.query_string, headers=dict(request.headers)
            )
        except ValueError:  # a JSONDecodeError
            log.warning("Slack request refused: signed, but not a Slack payload")
            return web.Response(status=400, text="malformed payload")
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    # --- inbound: store, then acknowledge ------------------------------------------------------

    def _register(self) -> None:
        bolt = self.bolt
        bolt.command(re.compile(r"^/.+"))(self._on_command)
        bolt.event("app_mention")(self._on_event)
        bolt.event("message")(self._on_event)
        bolt.event("app_home_opened")(self._on_event)
        bolt.action(re.compile(r"^baton\|"))(self._on_action)
        bolt.shortcut(inbound.SHORTCUT_ID)(self._on_shortcut)

    def _accept(self, kind: str, preview: Inbound | None, payload: Json) -> None:
        """Store one event (``preview`` is its translation without a profile lookup: its id and
        chat); events that are not for Baton (``preview`` None) are acknowledged and dropped."""
        if preview is None:
            return
        chat = preview.source.channel or f"@{preview.actor.user_id}"
        event = RawEvent(Platform.SLACK, preview.event_id, kind, chat, payload)
        self._core.accept(event)

    async def _on_command(self, ack: Any, body: Json) -> None:
        self._store_command(body)
        await ack()

    def _store_command(self, body: Json) -> None:
        preview = inbound.command_inbound(body, profile=Profile(), now=self._now())
        self._accept("command", preview, {"body": body})

    async def _on_event(self, body: Json, context: Any) -> None:
        event: Json = body.get("event") or {}
        if event.get("type") == "app_home_opened":
            preview = inbound.home_inbound(body, profile=Profile(), now=self._now())
            self._accept("home", preview, {"body": body})
            return
        bot_user = context.bot_user_id
        preview = inbound.message_inbound(
            body, bot_user_id=bot_user, profile=Profile(), now=self._now()
        )
        self._accept("message", preview, {"body": body, "bot_user_id": bot_user})

    async def _on_action(self, ack: Any, body: Json) -> None:
        preview = inbound.action_inbound(body, profile=Profile(), now=self._now())
        self._accept("action", preview, {"body": body})
        await ack()

    async def _on_shortcut(self, ack: Any, body: Json) -> None:
        preview = inbound.shortcut_inbound(body, profile=Profile(), permalink="", now=self._now())
        self._accept("shortcut", preview, {"body": body})
        await ack()

    # --- after the ack: translate stored events ------------------------------------------------

    async def translate(self, event: StoredEvent) -> Translation | None:
        """A stored request as a message, with the sender's profile looked up now."""
        body = event.payload.get("body")
        if not isinstance(body, dict):
            raise Unreadable("no body")
        at = event.received_at
        if event.kind == "command":
            profile = await self.profile(str(body.get("user_id", "")))
            return Translation(inbound.command_inbound(body, profile=profile, now=at))
        if event.kind == "message":
            profile = await self.profile(str((body.get("event") or {}).get("user", "")))
            bot_user = event.payload.get("bot_user_id")
            found = inbound.message_inbound(
                body, bot_user_id=str(bot_user) if bot_user else None, profile=profile, now=at
            )
            return None if found is None else Translation(found)
        if event.kind == "action":
            return await self._translate_action(body, at)
        if event.kind == "shortcut":
            return await self._translate_shortcut(body, at)
        if event.kind == "home":
            return await self._translate_home(body, at)
        raise Unreadable(f"unknown kind {event.kind!r}")

    async def _translate_action(self, body: Json, at: datetime) -> Translation | None:
        profile = await self.profile(str((body.get("user") or {}).get("id", "")))
        message = inbound.action_inbound(body, profile=profile, now=at)
        if message is None:
            return None
        if (body.get("container") or {}).get("type") != "view":
            return Translation(message)
        actor, refresh = message.actor, message.event_id + ":home"

        async def redraw() -> None:  # the clicked Home tab, redrawn after the click
            await self.publish_home(inbound.home_for(actor, refresh, self._now()))

        return Translation(message, after=redraw)

    async def _translate_shortcut(self, body: Json, at: datetime) -> Translation:
        profile = await self.profile(str((body.get("user") or {}).get("id", "")))
        channel = str((body.get("channel") or {}).get("id", ""))
        ts = str((body.get("message") or {}).get("ts", ""))
        link = await self._permalink(channel, ts)
        return Translation(inbound.shortcut_inbound(body, profile=profile, permalink=link, now=at))

    async def _translate_home(self, body: Json, at: datetime) -> Translation | None:
        if self._now() - at > HOME_STALE:
            return None  # resumed after a restart: whoever opened it has moved on
        event: Json = body.get("event") or {}
        profile = await self.profile(str(event.get("user", "")))
        message = inbound.home_inbound(body, profile=profile, now=at)
        if message is None:
            return None
        actor = message.actor

        async def show(replies: Sequence[Reply]) -> None:
            await self._publish_view(actor, replies[0])

        return Translation(message, show=show)

    async def publish_home(self, message: Inbound) -> None:
        """Run ``home.open`` for the person at once and publish the answer as their Home tab."""
        # Every reply is shown on the Home tab instead of being sent as a message.
        shown = (await self._core.answer(message, inline=lambda _reply: True)).inline
        if shown:
            await self._publish_view(message.actor, shown[0])

    async def _publish_view(self, actor: Actor, reply: Reply) -> None:
        try:
            await self.client.views_publish(user_id=actor.user_id, view=home_view(reply))
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
        """Deliver one reply where the person can see it (:mod:`adapters.slack.deliver`)."""
        return await self._deliverer.send(target, reply)


__all__ = ["SlackAdapter", "build_client"]
