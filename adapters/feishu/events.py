"""Receiving Feishu/Lark events with lark-oapi: the dispatcher, the long connection, HTTP requests.

lark-oapi's ``ws.Client`` runs on a *module-level* event loop (``lark_oapi.ws.client.loop``, taken at
import) with ``run_until_complete``, so it cannot share Baton's running loop. ``LongConnection`` runs
it in its own thread on a loop of its own, set as that module-level loop before the client starts
(the SDK's documented work-around; upstream issues #96/#119/#133). Handlers are synchronous and run
on that thread (long connection) or a worker thread (HTTP); the adapter bridges them into Baton's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.feishu.sdk import AESCipher, P2CardActionTriggerResponse, lark, ws_client

log = logging.getLogger(__name__)

Json = dict[str, Any]
# The SDK looks these up in a plain dict, case-sensitively; HTTP header names are not.
_SDK_HEADERS = (
    lark.LARK_REQUEST_TIMESTAMP,
    lark.LARK_REQUEST_NONCE,
    lark.LARK_REQUEST_SIGNATURE,
    lark.X_REQUEST_ID,
    lark.CONTENT_TYPE,
)


def as_dict(event: Any) -> Json:
    """An SDK event object as the plain JSON dict it was parsed from (nulls dropped)."""
    data = json.loads(lark.JSON.marshal(event) or "{}")
    return data if isinstance(data, dict) else {}


def build_dispatcher(
    on_message: Callable[[Json], None],
    on_card: Callable[[Json], Json],
    *,
    encrypt_key: str = "",
    verification_token: str = "",
) -> Any:
    """The SDK's event dispatcher with Baton's two handlers (plain dicts in, response dict out)."""

    def message(event: Any) -> None:
        on_message(as_dict(event))

    def card(event: Any) -> Any:
        return P2CardActionTriggerResponse(on_card(as_dict(event)))

    return (
        lark.EventDispatcherHandler.builder(encrypt_key, verification_token)
        .register_p2_im_message_receive_v1(message)
        .register_p2_card_action_trigger(card)
        .build()
    )


# What Baton subscribes to; any other event type is answered 200 and dropped (Feishu would retry
# an error for hours).
HANDLED_TYPES = frozenset({"im.message.receive_v1", "card.action.trigger", "url_verification"})
MAX_AGE_SECONDS = 300  # a signed request older (or newer) than this is a replay


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with an HTTP request: go on (200), refuse it (4xx, ``reason`` logged), answer
    200 and drop it (``skip``: an event type Baton does not handle), or answer 200 and take the
    click it carries in the legacy card callback format (``legacy_card``: the decrypted body)."""

    status: int
    reason: str = ""
    skip: bool = False
    legacy_card: Json | None = None


def _plaintext(body: bytes, encrypt_key: str) -> Json | None:
    """The event a request carries, decrypted when it is encrypted; None when it is not one."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("encrypt"), str) and encrypt_key:
            data = json.loads(AESCipher(encrypt_key).decrypt_str(data["encrypt"]))
    except (ValueError, TypeError, KeyError):  # not JSON, not base64, not our key, not UTF-8
        return None
    return data if isinstance(data, dict) else None


def _type_and_token(data: Json) -> tuple[str, str]:
    """An event's type and verification token (schema 2.0 headers, or the flat 1.0 form)."""
    header = data.get("header")
    if isinstance(header, dict):
        return str(header.get("event_type") or ""), str(header.get("token") or "")
    event = data.get("event")
    kind = data.get("type") if data.get("type") != "event_callback" else None
    if kind is None and isinstance(event, dict):
        kind = event.get("type")
    return str(kind or ""), str(data.get("token") or "")


def screen(
    body: bytes, headers: Mapping[str, str], *, encrypt_key: str, token: str, now: datetime
) -> Verdict:
    """Check an HTTP request before the SDK reads it: with an Encrypt Key, Feishu signs every event
    (``X-Lark-Signature`` over timestamp, nonce, key and body), so an unsigned, forged or stale one
    is refused; the verification token must match; unknown event types are dropped politely;
    a legacy card callback is checked by its own signature."""
    lower = {name.lower(): value for name, value in headers.items()}
    signature = lower.get("x-lark-signature", "")
    stamp, nonce = lower.get("x-lark-request-timestamp", ""), lower.get("x-lark-request-nonce", "")
    if signature and not _fresh(stamp, now):
        return Verdict(401, "stale or missing timestamp")
    data = _plaintext(body, encrypt_key)
    if data is None:
        return Verdict(400, "not a Feishu event")
    if is_legacy_card(data):
        return _legacy_card(data, body, signature, stamp + nonce, token)
    if encrypt_key and signature:
        expected = hashlib.sha256((stamp + nonce + encrypt_key).encode() + body).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return Verdict(401, "bad signature")
    kind, sent_token = _type_and_token(data)
    if not token or not hmac.compare_digest(sent_token, token):
        return Verdict(401, "bad verification token")
    if encrypt_key and not signature and kind != "url_verification":
        return Verdict(401, "unsigned request")
    if kind not in HANDLED_TYPES:
        return Verdict(200, f"not subscribed: {kind[:60]}", skip=True)
    return Verdict(200)


def _fresh(stamp: str, now: datetime) -> bool:
    """A signed request's timestamp is within ``MAX_AGE_SECONDS`` of now (else: a replay)."""
    return stamp.isdigit() and abs(now.timestamp() - int(stamp)) <= MAX_AGE_SECONDS


def is_legacy_card(data: Json) -> bool:
    """A click in the legacy card callback format: flat, with the clicked card's
    ``open_message_id`` and the ``action``, no event header."""
    return (
        "header" not in data and "open_message_id" in data and isinstance(data.get("action"), dict)
    )


def _legacy_card(data: Json, body: bytes, signature: str, stamp_nonce: str, token: str) -> Verdict:
    """Legacy card callbacks carry no verification token in their body; Feishu signs them with it
    instead (``X-Lark-Signature``: SHA-1 over timestamp, nonce, token and body)."""
    if not token or not signature:
        return Verdict(401, "unsigned card callback")
    expected = hashlib.sha1((stamp_nonce + token).encode() + body).hexdigest()  # noqa: S324
    if not hmac.compare_digest(expected, signature):
        return Verdict(401, "bad card callback signature")
    return Verdict(200, "legacy card callback", legacy_card=data)


def raw_request(path: str, headers: Mapping[str, str], body: bytes) -> Any:
    """An HTTP request as the SDK's ``RawRequest``, with the header names it expects."""
    request = lark.RawRequest()
    request.uri = path
    request.body = body
    request.headers = {name: value for name, value in headers.items()}
    for name in _SDK_HEADERS:
        found = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
        if found is not None:
            request.headers[name] = found
    return request


class Screened:
    """The dispatcher as the long connection uses it, answering an event type Baton does not
    handle with a 200 and a DEBUG line: the SDK would log an ERROR and answer 500 (and Feishu
    would push the event again)."""

    def __init__(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher

    def _do_without_validation(self, payload: bytes) -> Any:
        """The SDK's entry point for a long-connection event (plain JSON: no encryption there)."""
        try:
            data = json.loads(payload)
        except ValueError:
            data = None
        kind = _type_and_token(data)[0] if isinstance(data, dict) else ""
        if kind not in HANDLED_TYPES:
            log.debug("Feishu event answered and dropped: not subscribed: %s", kind[:60])
            return None
        return self._dispatcher._do_without_validation(payload)


class LongConnection:
    """lark-oapi's websocket client on a thread and loop of its own; ``stop`` ends both."""

    def __init__(self, app_id: str, app_secret: str, domain: str, dispatcher: Any) -> None:
        self._args = (app_id, app_secret, domain, dispatcher)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feishu-ws", daemon=True)

    def start(self) -> None:
        """Connect in the background (reconnecting on its own, as the SDK does)."""
        self._thread.start()
        self._ready.wait(timeout=5.0)

    def _run(self) -> None:
        app_id, app_secret, domain, dispatcher = self._args
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ws_client.loop = loop  # the SDK runs on this module-level loop; give it this one
        self._loop = loop
        self._client = lark.ws.Client(
            app_id,
            app_secret,
            event_handler=Screened(dispatcher),
            domain=domain,
            log_level=lark.LogLevel.WARNING,
        )
        self._ready.set()
        try:
            self._client.start()
        except RuntimeError:
            if not self._stopping.is_set():
                log.exception("Feishu long connection stopped unexpectedly")
        except Exception:
            log.exception("Feishu long connection failed (check FEISHU_APP_ID/SECRET)")
        finally:
            _close_loop(loop)

    @property
    def connected(self) -> bool:
        """True while the SDK holds an open websocket (it reconnects on its own)."""
        return getattr(self._client, "_conn", None) is not None

    def stop(self, timeout: float = 5.0) -> None:
        """Close the websocket, stop the loop and wait for the thread (blocking)."""
        self._stopping.set()
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # ws.Client has no public stop(); ``_disconnect`` closes the socket cleanly so Feishu stops
        # routing events here at once (lark_oapi.channel.FeishuChannel.stop does the same).
        disconnect = getattr(self._client, "_disconnect", None)
        # The SDK logs the close it did not initiate as an ERROR; this one is expected.
        lark.logger.setLevel(logging.CRITICAL)
        if callable(disconnect) and loop.is_running():
            done = asyncio.run_coroutine_threadsafe(disconnect(), loop)
            with contextlib.suppress(Exception):
                done.result(timeout=timeout)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=timeout)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the SDK left running on ``loop`` (receive and ping loops), then close it."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
