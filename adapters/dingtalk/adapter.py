"""The DingTalk adapter: an internal enterprise robot in Stream mode (default) or HTTP mode.

Inbound, robot messages (groups deliver only @mentions; one-to-one chats deliver everything) and
interactive card clicks are stored through the sink (de-duplicated on ``msgId`` / the frame's
``messageId``) before the frame is acknowledged, or the HTTP callback answered; looking names up and
running the command happen afterwards, when the core's workers call ``translate``. A session webhook
named by a message is used only on DingTalk's own host (or ``DINGTALK_API_URL``'s) and never past
DingTalk's own 90 minutes: a forged body cannot make Baton send anywhere else.

Outbound, a reply goes through the conversation's ``sessionWebhook`` while it is valid and within
its 20 messages a minute, otherwise through the OpenAPI group or one-to-one send. Cards become
markdown; cards with buttons become interactive cards whose clicks come back over Stream and are
updated in place (``Reply.edit_ref`` is the card's ``outTrackId``). DingTalk bots have no threads: a
reply to a thread quotes its parent.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict, deque
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from adapters.dingtalk.http import API_URL, OAPI_URL, OpenApi, signature_ok
from adapters.dingtalk.inbound import card_inbound, mentioned_ids, message_inbound
from adapters.dingtalk.link import StreamLink, load_sdk, make_handler
from adapters.dingtalk.render import card_params, message_body
from bot import mentions
from bot.clock import Clock
from bot.config import Settings
from bot.events import Inbound, Platform, Target
from bot.outbox import DeliveryError, delivery_key
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import RawEvent, Sink, StoredEvent, Translation, Unreadable

log = logging.getLogger(__name__)

# DingTalk's general-purpose AI card template, published for every app and used by dingtalk-stream
# for cards whose buttons call back (``request: true``).
DEFAULT_CARD_TEMPLATE = "382e4302-551d-4880-bf29-a30acfab2e71.schema"
CARD_REF_PREFIX = "baton-"
WEBHOOK_PER_MINUTE = 20
WEBHOOK_MARGIN = timedelta(seconds=60)
WEBHOOK_LIFETIME = timedelta(minutes=90)  # what DingTalk gives a session webhook
MAX_REMEMBERED = 2000


class DingTalkAdapter:
    """One DingTalk robot, by Stream or by HTTP callbacks."""

    platform = Platform.DINGTALK
    # A webhook robot takes 20 messages a minute: a conversation may get a short burst (a person
    # typing several commands), and ``send`` moves past the 20th a minute to the OpenAPI.
    pace = Pace(timedelta(seconds=3), burst=10)

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._sdk = load_sdk(settings.dingtalk_api_url)
        base = settings.dingtalk_api_url.rstrip("/")
        self.api = OpenApi(
            client_id=settings.dingtalk_client_id,
            client_secret=settings.dingtalk_client_secret.get_secret_value(),
            robot_code=settings.dingtalk_robot_code or settings.dingtalk_client_id,
            api_url=base or API_URL,
            oapi_url=base or OAPI_URL,
        )
        self.http_mode = settings.dingtalk_event_mode.strip().lower() == "http"
        self.card_template = settings.dingtalk_card_template_id or DEFAULT_CARD_TEMPLATE
        self._webhook_hosts = _trusted_hosts(base or OAPI_URL)
        self.link: StreamLink | None = None
        self._sink: Sink | None = None
        self._webhooks: dict[str, tuple[str, int]] = {}
        self._webhook_sent: dict[str, deque[float]] = {}
        self._texts: OrderedDict[str, str] = OrderedDict()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, sink: Sink) -> None:
        """In Stream mode, connect (in the background); in HTTP mode the shared server serves us."""
        self._sink = sink
        if self.http_mode:
            return
        sdk = self._sdk
        credential = sdk.Credential(self._settings.dingtalk_client_id, self.api.client_secret)
        client = sdk.DingTalkStreamClient(credential, logger=log)
        client.register_callback_handler(
            sdk.ChatbotMessage.TOPIC, make_handler(sdk, self._on_message)
        )
        client.register_callback_handler(
            sdk.CallbackHandler.TOPIC_CARD_CALLBACK, make_handler(sdk, self._on_card)
        )
        self.link = StreamLink(sdk, client)
        self.link.start()

    async def stop(self) -> None:
        """Close the Stream connection for good and the HTTP pool."""
        if self.link is not None:
            await self.link.stop()
        await self.api.close()

    async def ready(self) -> str | None:
        """Over Stream, whether the connection is up; over HTTP, DingTalk calls in."""
        if self.http_mode:
            return None
        if self.link is None or not self.link.connected.is_set():
            return "DingTalk Stream not connected"
        return None

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /dingtalk/events`` in HTTP mode; nothing in Stream mode."""
        return [web.post("/dingtalk/events", self._http_event)] if self.http_mode else []

    # --- inbound ---------------------------------------------------------------------------

    async def _on_message(self, callback: Any) -> tuple[int, str]:
        """Store the message; the SDK acknowledges the frame when this returns."""
        data = callback.data if isinstance(callback.data, dict) else {}
        try:
            self._accept_message(data)
        except ValueError as exc:  # acked anyway: a redelivery would be just as malformed
            log.warning("DingTalk message dropped: %s", exc)
        return self._sdk.AckMessage.STATUS_OK, "OK"

    async def _on_card(self, callback: Any) -> tuple[int, dict[str, Any]]:
        """Store the click; the card is updated through the OpenAPI by the reply (durable,
        retried by the outbox), so the acknowledgement carries nothing."""
        data = callback.data if isinstance(callback.data, dict) else {}
        event_id = str(callback.headers.message_id or "")
        if not event_id:
            log.warning("DingTalk card click dropped: no message id")
            return self._sdk.AckMessage.STATUS_OK, {}
        chat = str(data.get("spaceId") or data.get("userId") or "")
        event = RawEvent(Platform.DINGTALK, event_id, "card", chat, {"data": data, "id": event_id})
        self._core.accept(event)
        return self._sdk.AckMessage.STATUS_OK, {}

    def _accept_message(self, data: dict[str, Any]) -> None:
        """Store one robot message (its id and conversation read without any lookup)."""
        msg = self._parse(data)
        chat = str(msg.conversation_id or msg.sender_staff_id or msg.sender_id)
        event = RawEvent(Platform.DINGTALK, str(msg.message_id), "message", chat, data)
        self._core.accept(event)

    def _parse(self, data: dict[str, Any]) -> Any:
        try:
            msg = self._sdk.ChatbotMessage.from_dict(data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"malformed robot message: {exc!r}") from exc
        if not msg.message_id or not (msg.sender_staff_id or msg.sender_id):
            raise ValueError("robot message without msgId or sender")
        return msg

    @property
    def _core(self) -> Sink:
        if self._sink is None:
            raise RuntimeError("DingTalk adapter received an event before start()")
        return self._sink

    async def translate(self, event: StoredEvent) -> Translation | None:
        """A stored message or card click as a message, with names looked up now."""
        if event.kind == "message":
            try:
                return Translation(await self.to_inbound(dict(event.payload), event.received_at))
            except ValueError as exc:
                raise Unreadable(str(exc)) from exc
        if event.kind == "card":
            data = event.payload.get("data")
            if not isinstance(data, dict):
                raise Unreadable("card click without data")
            user_id = str(data.get("userId") or "")
            found = card_inbound(
                data,
                event_id=str(event.payload.get("id") or uuid.uuid4().hex),
                workspace=self._settings.dingtalk_client_id,
                now=event.received_at,
                name=await self.api.user_name(user_id) if user_id else "",
            )
            return None if found is None else Translation(found)
        raise Unreadable(f"unknown kind {event.kind!r}")

    async def to_inbound(self, data: dict[str, Any], received_at: datetime) -> Inbound:
        """Translate one robot message, remembering its session webhook and its text."""
        msg = self._parse(data)
        if msg.sender_staff_id and msg.sender_nick:
            self.api.remember_name(str(msg.sender_staff_id), str(msg.sender_nick))
        names = {uid: await self.api.user_name(uid) for uid in mentioned_ids(msg)}
        inbound = message_inbound(
            msg, workspace=self._settings.dingtalk_client_id, now=received_at, names=names
        )
        if msg.session_webhook and msg.session_webhook_expired_time:
            self._remember_webhook(
                inbound.source, str(msg.session_webhook), int(msg.session_webhook_expired_time)
            )
        self._remember_text(inbound.event_id, inbound.text)
        return inbound

    def _remember_webhook(self, source: Target, url: str, expires_ms: int) -> None:
        """Keep a conversation's session webhook, if it is DingTalk's own, for at most as long as
        DingTalk keeps it; anything else is ignored and replies go through the OpenAPI."""
        if urlsplit(url).netloc not in self._webhook_hosts or not _secure(url):
            log.warning("DingTalk session webhook ignored: not on a DingTalk host")
            return
        cap = (self._clock.now() + WEBHOOK_LIFETIME).timestamp() * 1000
        key = _conversation(source)
        previous = self._webhooks.get(key)
        if previous is not None and previous[0] != url:
            self._webhook_sent.pop(previous[0], None)
        self._webhooks[key] = (url, int(min(expires_ms, cap)))

    async def _http_event(self, request: web.Request) -> web.Response:
        """A robot callback in HTTP mode: signature and age checked before anything is read."""
        now_ms = int(self._clock.now().timestamp() * 1000)
        if not signature_ok(
            self.api.client_secret,
            request.headers.get("timestamp", ""),
            request.headers.get("sign", ""),
            now_ms,
        ):
            log.warning("DingTalk callback refused: bad or stale signature")
            return web.json_response({"error": "bad signature"}, status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise ValueError("not a robot message")
            self._accept_message(data)
        except ValueError:  # the reason could quote the body: it is not logged
            log.warning("DingTalk callback refused: not a robot message")
            return web.json_response({"error": "malformed body"}, status=400)
        return web.json_response({"msgtype": "empty"})

    # --- outbound --------------------------------------------------------------------------

    async def send(self, target: Target, reply: Reply) -> str | None:
        """Deliver one reply; returns the card's ``outTrackId`` or the message's reference."""
        for user_id in _mentioned(reply):
            await self.api.user_name(user_id)  # cached: names for where mentions are plain text
        if reply.edit_ref and reply.edit_ref.startswith(CARD_REF_PREFIX):
            await self.api.update_card(reply.edit_ref, card_params(reply, name=self._name))
            return reply.edit_ref
        if reply.card is not None and reply.card.buttons and not self.http_mode:
            try:
                return await self._send_card(target, reply)
            except DeliveryError as exc:
                if not exc.permanent:
                    raise
                # The card API refused this card (template, permission): show it as markdown.
                log.warning("DingTalk card refused, sending markdown instead: %s", exc)
        quote = self._texts.get(target.thread, "") if target.thread else ""
        hook = self._webhook(target)
        body = message_body(reply, native=hook is not None, name=self._name, quote=quote)
        if hook is not None:
            try:
                await self.api.post_webhook(hook, body.webhook())
            except DeliveryError as exc:
                if not exc.permanent:
                    raise
                # DingTalk refused the webhook itself (expired early, robot removed): use the API.
                self._webhooks.pop(_conversation(target), None)
                hook = None
                body = message_body(reply, native=False, name=self._name, quote=quote)
            else:
                self._webhook_sent.setdefault(hook, deque()).append(self._clock.now().timestamp())
        if hook is not None:
            ref = f"dtmsg-{uuid.uuid4().hex}"
        else:
            msg_key, param = body.openapi()
            if target.channel:
                ref = await self.api.send_group(target.channel, msg_key, param)
            else:
                ref = await self.api.send_direct(_person(target), msg_key, param)
            ref = ref or f"dtmsg-{uuid.uuid4().hex}"
        self._remember_text(ref, reply.text)
        return ref

    async def _send_card(self, target: Target, reply: Reply) -> str:
        """An interactive card whose button clicks call back over Stream."""
        # The outbox row names the card, the same on every attempt: a card whose first delivery was
        # cut short is created under the same id again, not as a second card.
        out_track_id = f"{CARD_REF_PREFIX}{delivery_key() or uuid.uuid4().hex}"
        body: dict[str, Any] = {
            "cardTemplateId": self.card_template,
            "outTrackId": out_track_id,
            "callbackType": "STREAM",
            "cardData": {"cardParamMap": card_params(reply, name=self._name)},
            "userIdType": 1,
        }
        if target.channel:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{target.channel}"
            body["imGroupOpenSpaceModel"] = {"supportForward": False}
            body["imGroupOpenDeliverModel"] = {
                "robotCode": self.api.robot_code,
                "atUserIds": {uid: self._name(uid) or uid for uid in _mentioned(reply)},
            }
        else:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{_person(target)}"
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT"}
        await self.api.deliver_card(body)
        self._remember_text(out_track_id, reply.text)
        return out_track_id

    def _webhook(self, target: Target) -> str | None:
        """The conversation's session webhook, if still valid and not over 20 messages a minute."""
        remembered = self._webhooks.get(_conversation(target))
        if remembered is None:
            return None
        url, expires_ms = remembered
        now = self._clock.now()
        if (now + WEBHOOK_MARGIN).timestamp() * 1000 >= expires_ms:
            self._webhooks.pop(_conversation(target), None)
            return None
        sent = self._webhook_sent.setdefault(url, deque())
        while sent and sent[0] <= now.timestamp() - 60:
            sent.popleft()
        return url if len(sent) < WEBHOOK_PER_MINUTE else None

    def _name(self, user_id: str) -> str:
        return self.api.cached_name(user_id)

    def _remember_text(self, ref: str, text: str) -> None:
        """Recent message texts, so a reply 'in a thread' can quote its parent."""
        self._texts[ref] = text
        while len(self._texts) > MAX_REMEMBERED:
            self._texts.popitem(last=False)


def _mentioned(reply: Reply) -> list[str]:
    """Everyone a reply mentions, in its text and its card (never a broadcast id)."""
    parts = [reply.text]
    if reply.card is not None:
        card = reply.card
        parts += [card.title, card.body, *(f"{f.label} {f.value}" for f in card.fields)]
    return mentions.mentioned_ids("\n".join(parts))


def _trusted_hosts(base: str) -> frozenset[str]:
    """Where a session webhook may point: DingTalk's robot host, or the configured API host."""
    return frozenset({urlsplit(OAPI_URL).netloc, urlsplit(base).netloc} - {""})


def _secure(url: str) -> bool:
    """https, or http to this machine (the test platform)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    )


def _conversation(target: Target) -> str:
    """The key a session webhook is remembered under: the group, or the person one-to-one. A reply
    meant for one person in a group (a channel and a user) is shown in the group: DingTalk robots
    cannot show a message to one member of a group."""
    if target.channel:
        return target.channel
    return f"@{_person(target)}"


def _person(target: Target) -> str:
    if not target.user:
        raise DeliveryError(f"no DingTalk user in {target}", permanent=True)
    return target.user


__all__ = ["DingTalkAdapter"]
