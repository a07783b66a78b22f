"""The DingTalk adapter: an internal enterprise robot in Stream mode (default) or HTTP mode.

Inbound, robot messages (groups deliver only @mentions; one-to-one chats deliver everything) and
interactive card clicks become ``Inbound`` values; the app de-duplicates redeliveries on ``msgId``.
A frame is acked only after the app has stored its replies, so a crash means a redelivery, not a
lost message.

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
from datetime import timedelta
from typing import Any

from aiohttp import web

from adapters.dingtalk.http import API_URL, OAPI_URL, OpenApi, signature_ok
from adapters.dingtalk.inbound import card_inbound, mentioned_ids, message_inbound
from adapters.dingtalk.link import StreamLink, load_sdk, make_handler
from adapters.dingtalk.render import card_params, message_body
from bot import mentions
from bot.clock import Clock
from bot.config import Settings
from bot.events import Inbound, Platform, Target
from bot.outbox import DeliveryError
from bot.pacing import Pace
from bot.replies import Reply
from bot.sink import Sink

log = logging.getLogger(__name__)

# DingTalk's general-purpose AI card template, published for every app and used by dingtalk-stream
# for cards whose buttons call back (``request: true``).
DEFAULT_CARD_TEMPLATE = "382e4302-551d-4880-bf29-a30acfab2e71.schema"
CARD_REF_PREFIX = "baton-"
WEBHOOK_PER_MINUTE = 20
WEBHOOK_MARGIN = timedelta(seconds=60)
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

    def http_routes(self) -> list[web.RouteDef]:
        """``POST /dingtalk/events`` in HTTP mode; nothing in Stream mode."""
        return [web.post("/dingtalk/events", self._http_event)] if self.http_mode else []

    # --- inbound ---------------------------------------------------------------------------

    async def _on_message(self, callback: Any) -> tuple[int, str]:
        try:
            await self._handle_message(callback.data)
        except ValueError as exc:  # acked anyway: a redelivery would be just as malformed
            log.warning("DingTalk message dropped: %s", exc)
        return self._sdk.AckMessage.STATUS_OK, "OK"

    async def _on_card(self, callback: Any) -> tuple[int, dict[str, Any]]:
        data = callback.data if isinstance(callback.data, dict) else {}
        user_id = str(data.get("userId") or "")
        inbound = card_inbound(
            data,
            event_id=str(callback.headers.message_id or uuid.uuid4().hex),
            workspace=self._settings.dingtalk_client_id,
            now=self._clock.now(),
            name=await self.api.user_name(user_id) if user_id else "",
        )
        if inbound is not None and self._sink is not None:
            await self._sink.handle(inbound)
        # The card is updated through the OpenAPI by the reply (durable, retried by the outbox).
        return self._sdk.AckMessage.STATUS_OK, {}

    async def _handle_message(self, data: dict[str, Any]) -> None:
        inbound = await self.to_inbound(data)
        if self._sink is not None:
            await self._sink.handle(inbound)

    async def to_inbound(self, data: dict[str, Any]) -> Inbound:
        """Translate one robot message, remembering its session webhook and its text."""
        try:
            msg = self._sdk.ChatbotMessage.from_dict(data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"malformed robot message: {exc!r}") from exc
        if not msg.message_id or not (msg.sender_staff_id or msg.sender_id):
            raise ValueError("robot message without msgId or sender")
        if msg.sender_staff_id and msg.sender_nick:
            self.api.remember_name(str(msg.sender_staff_id), str(msg.sender_nick))
        names = {uid: await self.api.user_name(uid) for uid in mentioned_ids(msg)}
        inbound = message_inbound(
            msg, workspace=self._settings.dingtalk_client_id, now=self._clock.now(), names=names
        )
        if msg.session_webhook and msg.session_webhook_expired_time:
            key = _conversation(inbound.source)
            previous = self._webhooks.get(key)
            url = str(msg.session_webhook)
            if previous is not None and previous[0] != url:
                self._webhook_sent.pop(previous[0], None)
            self._webhooks[key] = (url, int(msg.session_webhook_expired_time))
        self._remember_text(inbound.event_id, inbound.text)
        return inbound

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
            await self._handle_message(data)
        except ValueError as exc:
            log.warning("DingTalk callback refused: %s", exc)
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
            if target.channel and not target.user:
                ref = await self.api.send_group(target.channel, msg_key, param)
            else:
                ref = await self.api.send_direct(_person(target), msg_key, param)
            ref = ref or f"dtmsg-{uuid.uuid4().hex}"
        self._remember_text(ref, reply.text)
        return ref

    async def _send_card(self, target: Target, reply: Reply) -> str:
        """An interactive card whose button clicks call back over Stream."""
        out_track_id = f"{CARD_REF_PREFIX}{uuid.uuid4().hex}"
        body: dict[str, Any] = {
            "cardTemplateId": self.card_template,
            "outTrackId": out_track_id,
            "callbackType": "STREAM",
            "cardData": {"cardParamMap": card_params(reply, name=self._name)},
            "userIdType": 1,
        }
        if target.channel and not target.user:
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


def _conversation(target: Target) -> str:
    """The key a session webhook is remembered under: the group, or the person one-to-one."""
    if target.channel and not target.user:
        return target.channel
    return f"@{_person(target)}"


def _person(target: Target) -> str:
    if not target.user:
        raise DeliveryError(f"no DingTalk user in {target}", permanent=True)
    return target.user


__all__ = ["DingTalkAdapter"]
